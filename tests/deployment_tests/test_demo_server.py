"""The demo as scripts/demo.sh runs it: no settings but HTTPS=0, DEBUG off. A real server process
serves the collected static files (WhiteNoise), the site's own error pages and a login over plain
HTTP on 127.0.0.1, with keys it made for itself."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.deployment_tests.test_production_settings import bare_environment, run_with

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    env = {**bare_environment(tmp_path), "HTTPS": "0"}
    for step in (["manage.py", "migrate", "--noinput"], ["manage.py", "collectstatic", "--noinput"]):
        result = run_with(env, step)
        assert result.returncode == 0, result.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/health/", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_demo_serves_static_files_error_pages_and_a_login_without_debug(demo_server):
    stylesheet = requests.get(demo_server + "/static/css/site.css", timeout=10)
    missing = requests.get(demo_server + "/no-such-page/", timeout=10)
    login = requests.get(demo_server + "/accounts/login/", timeout=10, allow_redirects=False)

    assert stylesheet.status_code == 200
    assert stylesheet.headers["Content-Type"].startswith("text/css")
    assert missing.status_code == 404
    assert "There is nothing at this address." in missing.text
    assert "Django tried these URL patterns" not in missing.text
    assert login.status_code == 200
    csrf_cookie = login.headers["Set-Cookie"]
    assert "csrftoken=" in csrf_cookie and "Secure" not in csrf_cookie
    assert "Strict-Transport-Security" not in login.headers
