"""The demo's first command ends by saying where to go and how to log in as each role."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from cmr_reader.demo.users import DEMO_USERS
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db

DEMO_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "demo.sh"


def welcome(**options) -> str:
    out = io.StringIO()
    call_command("demo_welcome", stdout=out, **options)
    return out.getvalue()


def test_the_welcome_names_the_address_every_demo_user_and_the_password(reader, other_reader):
    build_study(readers=[reader, other_reader], cases=3, name="Demo study")
    text = welcome(url="http://127.0.0.1:8000/", password="pw-of-the-demo")
    assert "http://127.0.0.1:8000/" in text
    assert "pw-of-the-demo" in text
    for username, _role in DEMO_USERS:
        assert f"  {username} " in text, username
    assert "3 synthetic cases" in text and "“Demo study”" in text


def test_the_demo_script_prints_the_welcome_before_the_server_starts():
    lines = DEMO_SCRIPT.read_text().splitlines()
    welcome_line = next(n for n, line in enumerate(lines) if "manage.py demo_welcome" in line)
    server_line = next(n for n, line in enumerate(lines) if "manage.py runserver" in line)
    seed_line = next(n for n, line in enumerate(lines) if "manage.py seed_demo" in line)
    assert seed_line < welcome_line < server_line
    assert '--password "$DEMO_PASSWORD"' in lines[welcome_line]
