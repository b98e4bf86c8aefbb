import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from cmr_reader.login_protection import client_ip

pytestmark = pytest.mark.django_db


def log_in(client, username, password, address="10.0.0.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_wrong_passwords_lock_out_even_the_right_one(client, reader):
    for _ in range(4):
        assert log_in(client, "rita_reader", "wrong-password").status_code == 200

    fifth = log_in(client, "rita_reader", "wrong-password")
    right = log_in(client, "rita_reader", "pw-rita_reader")

    assert fifth.status_code == 429
    assert right.status_code == 429
    assert "registration/lockout.html" in [template.name for template in right.templates]
    assert "Login locked" in right.content.decode()
    assert "try again in 30 minutes" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address(client, reader, other_reader):
    for _ in range(5):
        log_in(client, "rita_reader", "wrong-password")

    assert log_in(client, "otto_reader", "pw-otto_reader").status_code == 302
    assert log_in(client, "rita_reader", "pw-rita_reader", address="10.0.0.8").status_code == 302


def test_one_password_tried_across_many_accounts_locks_the_address(client, reader, other_reader, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    # Two wrong passwords for each of three accounts (some that do not exist): under each
    # account's limit of five, but six from one address.
    for username in ("rita_reader", "otto_reader", "no_such_user"):
        for _ in range(2):
            assert log_in(client, username, "Spring2026!").status_code == 200

    refused = log_in(client, "otto_reader", "pw-otto_reader")

    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert "registration/lockout.html" in [template.name for template in refused.templates]
    # Another address is not affected.
    assert log_in(client, "otto_reader", "pw-otto_reader", address="10.0.0.9").status_code == 302


def test_a_few_failures_from_a_shared_address_lock_no_one_out(client, reader, other_reader):
    # Readers behind one hospital address each mistype once or twice: far below the address limit.
    for username in ("rita_reader", "otto_reader"):
        log_in(client, username, "typo-password")

    assert log_in(client, "otto_reader", "pw-otto_reader").status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, reader):
    for _ in range(4):
        log_in(client, "rita_reader", "wrong-password")
    assert log_in(client, "rita_reader", "pw-rita_reader").status_code == 302
    client.logout()

    for _ in range(4):
        assert log_in(client, "rita_reader", "wrong-password").status_code == 200
    assert log_in(client, "rita_reader", "pw-rita_reader").status_code == 302


def test_anonymous_api_callers_still_get_401_json(client):
    response = client.get("/dicomweb/studies", HTTP_ACCEPT="application/dicom+json")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_passwords_need_twelve_characters():
    with pytest.raises(ValidationError):
        validate_password("Xq7#mv2!kLp")  # 11 characters
    validate_password("Xq7#mv2!kLp9")


def test_client_address_is_the_socket_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")

    assert client_ip(request) == "10.0.0.1"


def test_client_address_behind_one_proxy_ignores_what_the_client_claims(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.168.4.20")

    assert client_ip(request) == "192.168.4.20"
