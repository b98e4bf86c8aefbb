import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from cmr_reader.accounts.roles import Role, has_role
from cmr_reader.imaging.models import Case, Instance

pytestmark = pytest.mark.django_db


def login_request():
    # django-axes (login protection) needs the request to know the client's address.
    return RequestFactory().post("/accounts/login/")


def seed(password="demo-pw-1"):
    out = io.StringIO()
    call_command("seed_demo", "--password", password, "--cases", "2", "--matrix", "48", "--phases", "6", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_one_user_per_role_and_imports_cases():
    output = seed()

    assert "0 rejected" in output
    for username, role in [("coordinator", Role.COORDINATOR), ("statistician", Role.STATISTICIAN), ("reader1", Role.READER), ("reader3", Role.READER)]:
        user = authenticate(login_request(), username=username, password="demo-pw-1")
        assert user is not None and has_role(user, role)
    assert Case.objects.count() == 2


def test_seed_demo_is_idempotent_and_resets_the_password():
    seed()
    instances = Instance.objects.count()

    output = seed(password="demo-pw-2")

    assert "0 instances imported" in output
    assert Instance.objects.count() == instances
    assert get_user_model().objects.count() == 5
    assert authenticate(login_request(), username="reader2", password="demo-pw-2") is not None
