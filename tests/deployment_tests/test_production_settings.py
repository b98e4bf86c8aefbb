"""The documented production environment (docs/deployment.md), checked in fresh processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Distinct from the settings' development defaults; 50+ characters as check --deploy asks.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3J9vQ2mX8pL4wR7tY1uZ6nB5cV0aS2dF8gH3jK9lM4qW7eR1tY6uI0oP5aZ3xC",
    "PSEUDONYM_KEY": "p7Hq2Wn9Lx4Rt8Vb3Mc6Zs1Kd5Fg0Jy",
    "ALLOWED_HOSTS": "cmr.example-hospital.org",
    "CSRF_TRUSTED_ORIGINS": "https://cmr.example-hospital.org",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}


# What the suite's own settings (tests/settings.py) put in the environment, and what a site sets.
SITE_VARIABLES = {"DATABASE_URL", "DEBUG", "HTTPS", "SECRET_KEY", "PSEUDONYM_KEY", "DJANGO_SETTINGS_MODULE"}


def bare_environment(tmp_path: Path) -> dict[str, str]:
    """This machine's environment without any of the site's settings: the defaults apply."""
    env = {key: value for key, value in os.environ.items() if key not in SITE_VARIABLES}
    env.update(DATA_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="cmr_reader.settings")
    return env


def run_with(env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def run_python(args: list[str], tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    return run_with({**bare_environment(tmp_path), **PRODUCTION_ENV, **overrides}, args)


PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: getattr(s, name) for name in %r}))"
)


def settings_in(env: dict[str, str], *names: str) -> dict:
    result = run_with(env, ["-c", PRINT_SETTINGS % (names,)])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_in_the_documented_production_environment(tmp_path):
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_https_redirect(tmp_path):
    # Proves the check above can fail: SECURE_SSL_REDIRECT=0 is a deploy warning.
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, SECURE_SSL_REDIRECT="0"
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize("name", ["SECRET_KEY", "PSEUDONYM_KEY"])
def test_a_site_on_a_database_server_refuses_to_start_without_its_keys(tmp_path, name):
    env = {**bare_environment(tmp_path), **PRODUCTION_ENV, "DATABASE_URL": "postgres://cmr@db.internal/cmr"}
    env.pop(name)
    result = run_with(env, ["manage.py", "check"])

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} is not set" in result.stderr


def test_with_no_settings_at_all_debug_is_off_and_https_is_on(tmp_path):
    values = settings_in(
        bare_environment(tmp_path),
        "DEBUG",
        "HTTPS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
    )

    assert values == {
        "DEBUG": False,
        "HTTPS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
    }


def test_the_embedded_site_makes_its_own_keys_once_and_keeps_them(tmp_path):
    env = bare_environment(tmp_path)
    first = settings_in(env, "SECRET_KEY", "PSEUDONYM_KEY")
    second = settings_in(env, "SECRET_KEY", "PSEUDONYM_KEY")
    elsewhere = settings_in(bare_environment(tmp_path / "another-site"), "SECRET_KEY", "PSEUDONYM_KEY")

    assert first == second
    assert first["SECRET_KEY"] != first["PSEUDONYM_KEY"]
    assert len(first["SECRET_KEY"]) >= 50 and len(set(first["SECRET_KEY"])) >= 5
    assert elsewhere["SECRET_KEY"] != first["SECRET_KEY"]
    assert elsewhere["PSEUDONYM_KEY"] != first["PSEUDONYM_KEY"]
    keys = tmp_path / "var" / "keys"
    assert sorted(path.name for path in keys.iterdir()) == ["pseudonym_key", "secret_key"]
    assert {path.stat().st_mode & 0o777 for path in keys.iterdir()} == {0o600}


@pytest.mark.parametrize("typo", ["ture", "fasle", "2", "enabled"])
def test_a_yes_no_setting_that_is_neither_is_refused(tmp_path, typo):
    result = run_with({**bare_environment(tmp_path), "SECURE_SSL_REDIRECT": typo}, ["manage.py", "check"])

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"SECURE_SSL_REDIRECT={typo!r} is not a yes/no value" in result.stderr


def test_production_cookies_are_secure(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; import json; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.X_FRAME_OPTIONS, s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER]))"
    )
    result = run_python(["-c", code], tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        True,
        True,
        True,
        "Lax",
        "DENY",
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
    ]


def test_log_format_json_writes_json_lines(tmp_path):
    code = "import django, logging; django.setup(); logging.getLogger('cmr_reader.probe').warning('hello %s', 'there')"
    result = run_python(["-c", code], tmp_path, LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    probe = [line for line in lines if line["logger"] == "cmr_reader.probe"]
    assert probe == [
        {
            "time": probe[0]["time"],
            "level": "WARNING",
            "logger": "cmr_reader.probe",
            "message": "hello there",
            "request_id": "-",
        }
    ]
