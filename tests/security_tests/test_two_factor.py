"""The optional TOTP second factor for staff: enrolment, the login code step, throttling, reuse,
what an unverified session may reach, removal. Codes are computed from the secret the page shows,
as an authenticator app would, on a fixed clock."""

from base64 import b32decode
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp import models as totp_models
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

NOW = 1_900_000_005.0  # a fixed instant, 5 s into a 30 s time step
VERIFY = "/accounts/two-factor/verify/"


@pytest.fixture
def clock(monkeypatch):
    """django-otp reads ``time.time()`` to pick the time step; tests set it."""
    fake = SimpleNamespace(now=NOW)
    monkeypatch.setattr(totp_models, "time", SimpleNamespace(time=lambda: fake.now))
    return fake


def code_for(key: bytes, at: float) -> str:
    """The six digits an authenticator app shows at ``at`` (RFC 6238: 30 s steps from 0, SHA-1)."""
    generator = TOTP(key, step=30, t0=0, digits=6)
    generator.time = at
    return f"{generator.token():06d}"


def log_in(client, username, password, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, REMOTE_ADDR="10.0.0.9")


@pytest.fixture
def enrolled(coordinator):
    """Carol the coordinator with a confirmed authenticator; returns its raw key."""
    device = TOTPDevice.objects.create(user=coordinator, name="authenticator", confirmed=True)
    return device.bin_key


def key_from_page(response) -> bytes:
    secret = response.context["secret"].replace(" ", "")
    return b32decode(secret + "=" * (-len(secret) % 8))


def test_staff_member_enrols_with_a_code_from_the_secret_shown(client, coordinator, clock):
    client.force_login(coordinator)

    started = client.post(reverse("two_factor:start"))
    page = client.get(reverse("two_factor:enrol"))
    key = key_from_page(page)
    uri = unquote(page.context["otpauth_uri"])
    confirmed = client.post(reverse("two_factor:enrol"), {"code": code_for(key, NOW)})

    assert started.status_code == 302 and started["Location"] == reverse("two_factor:enrol")
    assert page.status_code == 200
    assert uri.startswith("otpauth://totp/CMR Reader:carol_coordinator?")
    assert "issuer=CMR Reader" in uri and "secret=" + page.context["secret"].replace(" ", "") in uri
    assert page.context["qr_code"].startswith("data:image/svg+xml")
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    assert confirmed.status_code == 302
    assert TOTPDevice.objects.get(user=coordinator).confirmed
    # The session that enrolled has shown a code: it goes on without a code step.
    assert client.get(reverse("studies:list")).status_code == 200


def test_enrolment_is_not_confirmed_by_a_wrong_code(client, coordinator, clock):
    client.force_login(coordinator)
    client.post(reverse("two_factor:start"))
    key = key_from_page(client.get(reverse("two_factor:enrol")))

    wrong = client.post(reverse("two_factor:enrol"), {"code": code_for(key, NOW + 300)})

    assert wrong.status_code == 200
    assert "not right" in wrong.content.decode()
    assert not TOTPDevice.objects.get(user=coordinator).confirmed
    # An unconfirmed device asks for nothing at login.
    client.logout()
    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    assert client.get(reverse("studies:list")).status_code == 200


def test_login_of_an_enrolled_user_requires_the_code(client, coordinator, enrolled, clock):
    logged_in = log_in(client, "carol_coordinator", "pw-carol_coordinator", next_url="/studies/")
    before = client.get("/studies/")
    code_page = client.get(before["Location"])
    passed = client.post(VERIFY, {"code": code_for(enrolled, NOW), "next": "/studies/"})
    after = client.get("/studies/")

    assert logged_in.status_code == 302 and logged_in["Location"] == "/studies/"
    assert before.status_code == 302 and before["Location"] == VERIFY + "?next=%2Fstudies%2F"
    assert code_page.status_code == 200 and "Enter your code" in code_page.content.decode()
    assert passed.status_code == 302 and passed["Location"] == "/studies/"
    assert after.status_code == 200


def test_the_code_step_never_redirects_off_the_site(client, coordinator, enrolled, clock):
    log_in(client, "carol_coordinator", "pw-carol_coordinator")

    passed = client.post(VERIFY, {"code": code_for(enrolled, NOW), "next": "https://evil.example/"})

    assert passed.status_code == 302 and passed["Location"] == "/"


def test_a_wrong_code_is_refused_and_throttled(client, coordinator, enrolled, clock):
    log_in(client, "carol_coordinator", "pw-carol_coordinator")

    wrong = client.post(VERIFY, {"code": code_for(enrolled, NOW + 600)})
    right_too_soon = client.post(VERIFY, {"code": code_for(enrolled, NOW)})
    still_locked_out = client.get("/studies/")
    device = TOTPDevice.objects.get(user=coordinator)

    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert right_too_soon.status_code == 200 and "Wait 1 second" in right_too_soon.content.decode()
    assert still_locked_out.status_code == 302 and still_locked_out["Location"].startswith(VERIFY)
    assert device.throttling_failure_count == 1

    # Once the throttling delay has passed, the right code is accepted.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    assert client.post(VERIFY, {"code": code_for(enrolled, NOW)}).status_code == 302
    assert client.get("/studies/").status_code == 200


def test_throttling_doubles_the_wait_after_each_wrong_code(client, coordinator, enrolled, clock):
    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    device = TOTPDevice.objects.get(user=coordinator)
    for expected_count in (1, 2, 3):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
        client.post(VERIFY, {"code": "000000" if code_for(enrolled, NOW) != "000000" else "111111"})
        device.refresh_from_db()
        assert device.throttling_failure_count == expected_count

    refused = client.post(VERIFY, {"code": code_for(enrolled, NOW)})

    assert "Wait 4 seconds" in refused.content.decode()


def test_wrong_codes_count_towards_the_login_lockout(client, coordinator, enrolled, clock, settings):
    settings.AXES_FAILURE_LIMIT = 3
    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    wrong = code_for(enrolled, NOW + 900)
    answers = []
    for _ in range(3):
        # Past django-otp's throttling delay each time, so that each code is looked at.
        TOTPDevice.objects.filter(user=coordinator).update(throttling_failure_timestamp=None)
        answers.append(client.post(VERIFY, {"code": wrong}, REMOTE_ADDR="10.0.0.9"))

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert "Login locked" in answers[-1].content.decode()
    assert "_auth_user_id" not in client.session
    # The password alone no longer opens a session from this address.
    assert log_in(client, "carol_coordinator", "pw-carol_coordinator").status_code == 429


def test_a_code_cannot_be_used_twice(client, coordinator, enrolled, clock):
    code = code_for(enrolled, NOW)
    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("logout"))

    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    reused = client.post(VERIFY, {"code": code})
    # The next time step's code (the app's next code) is still accepted, within django-otp's tolerance.
    TOTPDevice.objects.filter(user=coordinator).update(throttling_failure_timestamp=None)
    next_code = client.post(VERIFY, {"code": code_for(enrolled, NOW + 30)})

    assert reused.status_code == 200 and "already used" in reused.content.decode()
    assert next_code.status_code == 302


def test_the_code_that_confirmed_enrolment_cannot_open_a_login(client, coordinator, clock):
    client.force_login(coordinator)
    client.post(reverse("two_factor:start"))
    key = key_from_page(client.get(reverse("two_factor:enrol")))
    code = code_for(key, NOW)
    client.post(reverse("two_factor:enrol"), {"code": code})
    client.post(reverse("logout"))

    log_in(client, "carol_coordinator", "pw-carol_coordinator")

    assert client.post(VERIFY, {"code": code}).status_code == 200
    assert client.get("/studies/").status_code == 302


def test_an_unverified_session_reaches_no_page_and_no_api(client, coordinator, enrolled, clock):
    log_in(client, "carol_coordinator", "pw-carol_coordinator")

    for path in ["/", "/studies/", "/imaging/cases/", "/access-log/", reverse("two_factor:settings")]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), path
    for path in ["/api/cases/", "/api/schema/", "/dicomweb/studies"]:
        response = client.get(path, HTTP_ACCEPT="application/json")
        assert response.status_code == 403, path
        assert response.json()["code"] == "second_factor_required", path
    # A script posting JSON to a page gets JSON too.
    posted = client.post("/reading/", data={}, content_type="application/json")
    assert posted.status_code == 403 and posted.json()["code"] == "second_factor_required"
    # Someone with only the password cannot remove the second factor.
    removal = client.post(reverse("two_factor:remove"), {"password": "pw-carol_coordinator"})
    assert removal.status_code == 302 and removal["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=coordinator, confirmed=True).exists()
    # The health probe, the language switch and logging out still work.
    assert client.get("/health/").status_code == 200
    switched = client.post(reverse("set_language"), {"language": "zh-hans", "next": VERIFY})
    assert switched.status_code == 302 and switched["Location"] == VERIFY
    logged_out = client.post(reverse("logout"))
    assert logged_out.status_code == 302 and logged_out["Location"] == reverse("login")


def test_an_unverified_admin_cannot_reach_the_django_admin(client, clock):
    admin = get_user_model().objects.create_superuser("ada_admin", password="pw-ada-admin-long")
    TOTPDevice.objects.create(user=admin, name="authenticator", confirmed=True)
    log_in(client, "ada_admin", "pw-ada-admin-long")

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_readers_have_no_enrolment_pages(client, reader):
    client.force_login(reader)

    assert client.get(reverse("two_factor:settings")).status_code == 403
    assert client.post(reverse("two_factor:start")).status_code == 403
    assert client.get(reverse("two_factor:enrol")).status_code == 403
    assert client.post(reverse("two_factor:remove"), {"password": "pw-rita_reader"}).status_code == 403
    assert not TOTPDevice.objects.exists()
    assert reverse("two_factor:settings") not in client.get("/").content.decode()


def test_removing_the_device_needs_the_password_or_a_current_code(client, coordinator, enrolled, clock):
    client.force_login(coordinator)
    # A session that logged in before enrolment (force_login) is asked for the code like any other.
    client.post(VERIFY, {"code": code_for(enrolled, NOW)})

    wrong = client.post(reverse("two_factor:remove"), {"password": "not-my-password"})
    empty = client.post(reverse("two_factor:remove"), {})
    removed = client.post(reverse("two_factor:remove"), {"password": "pw-carol_coordinator"})

    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert empty.status_code == 200 and "password or a current code" in empty.content.decode()
    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    client.post(reverse("logout"))
    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    assert client.get("/studies/").status_code == 200


def test_a_current_code_removes_the_device_too(client, coordinator, enrolled, clock):
    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    client.post(VERIFY, {"code": code_for(enrolled, NOW)})

    reused = client.post(reverse("two_factor:remove"), {"code": code_for(enrolled, NOW)})
    TOTPDevice.objects.filter(user=coordinator).update(throttling_failure_timestamp=None)
    removed = client.post(reverse("two_factor:remove"), {"code": code_for(enrolled, NOW + 30)})

    assert reused.status_code == 200
    assert removed.status_code == 302
    assert not TOTPDevice.objects.exists()


def test_a_device_removed_elsewhere_lets_a_waiting_session_through(client, coordinator, enrolled, clock):
    log_in(client, "carol_coordinator", "pw-carol_coordinator")
    TOTPDevice.objects.filter(user=coordinator).delete()

    waiting = client.get("/studies/")
    passed = client.get(waiting["Location"])

    assert waiting["Location"].startswith(VERIFY)
    assert passed.status_code == 302 and passed["Location"] == "/studies/"
    assert client.get("/studies/").status_code == 200


def test_coordinators_see_which_staff_have_a_second_factor(client, coordinator, statistician, reader):
    TOTPDevice.objects.create(user=statistician, name="authenticator", confirmed=True)
    TOTPDevice.objects.create(user=coordinator, name="authenticator", confirmed=False)
    client.force_login(coordinator)

    page = client.get(reverse("two_factor:settings"))
    rows = {row.username: row.enrolled for row in page.context["staff"]}

    # Readers are not staff; an unconfirmed device is not a second factor.
    assert rows == {"carol_coordinator": False, "sam_statistician": True}


def test_statisticians_do_not_see_the_staff_list(client, statistician):
    client.force_login(statistician)

    page = client.get(reverse("two_factor:settings"))

    assert page.status_code == 200 and page.context["staff"] is None


def test_an_administrator_removes_a_lost_second_factor_from_the_command_line(client, coordinator, enrolled):
    out = StringIO()

    call_command("remove_second_factor", "carol_coordinator", stdout=out)
    log_in(client, "carol_coordinator", "pw-carol_coordinator")

    assert "Removed 1" in out.getvalue()
    assert not TOTPDevice.objects.exists()
    assert client.get("/studies/").status_code == 200
    with pytest.raises(CommandError):
        call_command("remove_second_factor", "nobody")
