"""Roles, login, each role's home page, the API schema."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_migrations_create_the_three_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {"reader", "coordinator", "statistician"}


def test_login_page_is_at_accounts_login(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_a_user_logs_in_with_username_and_password(client, coordinator):
    response = client.post(
        "/accounts/login/", {"username": coordinator.username, "password": "pw-carol_coordinator"}
    )

    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_home_requires_login(client):
    assert client.get(reverse("home")).url.startswith("/accounts/login/")


def test_coordinator_home_points_to_upload_and_cases(client, coordinator):
    client.force_login(coordinator)

    page = client.get(reverse("home")).content.decode()

    assert reverse("imaging:upload") in page
    assert reverse("imaging:cases") in page


def test_reader_home_offers_no_staff_pages(client, reader):
    client.force_login(reader)

    page = client.get(reverse("home")).content.decode()

    assert reverse("imaging:upload") not in page
    assert reverse("imaging:cases") not in page
    assert client.get(reverse("imaging:cases")).status_code == 403


def test_user_without_a_role_is_told_to_ask_for_one(client, outsider):
    client.force_login(outsider)

    assert b"no role yet" in client.get(reverse("home")).content


def test_openapi_schema_is_served(client, coordinator):
    client.force_login(coordinator)

    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert b"openapi" in response.content
    assert b"/api/import-jobs/" in response.content


def test_case_api_is_for_staff_only(client, reader, statistician):
    client.force_login(reader)
    assert client.get("/api/cases/").status_code == 403
    client.force_login(statistician)
    assert client.get("/api/cases/").status_code == 200
