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


def run_python(args: list[str], tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DEBUG"}}
    env.update(PRODUCTION_ENV, DATA_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="cmr_reader.settings")
    env.update(overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


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
def test_production_refuses_to_start_on_a_development_key(tmp_path, name):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != name}
    env_without_key = {**os.environ, **env, "DATA_DIR": str(tmp_path / "var")}
    env_without_key.pop(name, None)
    env_without_key.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env_without_key, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} is the development default" in result.stderr


def test_production_cookies_are_secure(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; import json; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.X_FRAME_OPTIONS, s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER]))"
    )
    result = run_python(["-c", code], tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        True, True, True, "Lax", "DENY", True, ["HTTP_X_FORWARDED_PROTO", "https"]
    ]


def test_log_format_json_writes_json_lines(tmp_path):
    code = "import django, logging; django.setup(); logging.getLogger('cmr_reader.probe').warning('hello %s', 'there')"
    result = run_python(["-c", code], tmp_path, LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    probe = [line for line in lines if line["logger"] == "cmr_reader.probe"]
    assert probe == [
        {"time": probe[0]["time"], "level": "WARNING", "logger": "cmr_reader.probe",
         "message": "hello there", "request_id": "-"}
    ]
