"""The sign-in backend reads a user's roles with the user, and afresh on every request."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmr_reader.accounts.backends import UserWithRolesBackend
from cmr_reader.accounts.roles import Role, has_role, roles_of

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_its_roles_in_one_query(coordinator):
    coordinator.groups.add(Group.objects.get(name=Role.STATISTICIAN.value))

    with CaptureQueriesContext(connection) as context:
        user = UserWithRolesBackend().get_user(coordinator.pk)
        roles = roles_of(user)

    assert len(context.captured_queries) == 1
    assert set(roles) == {Role.COORDINATOR, Role.STATISTICIAN}
    assert user.username == coordinator.username and user.check_password("pw-carol_coordinator")


def test_a_user_without_roles_has_none(django_user_model):
    plain = django_user_model.objects.create_user("nobody", password="pw-nobody")

    user = UserWithRolesBackend().get_user(plain.pk)

    assert user == plain and roles_of(user) == [] and not has_role(user, Role.READER)


def test_unknown_inactive_and_malformed_ids_are_no_user(reader):
    backend = UserWithRolesBackend()
    reader.is_active = False
    reader.save()

    assert backend.get_user(reader.pk) is None
    assert backend.get_user(reader.pk + 1000) is None
    assert backend.get_user("not-a-number") is None


def test_a_role_taken_away_takes_effect_on_the_next_request(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("imaging:cases")).status_code == 200

    coordinator.groups.clear()

    assert client.get(reverse("imaging:cases")).status_code == 403
