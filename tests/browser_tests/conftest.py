"""Real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium.

Where the browser is missing, the tests fail under CI (so a broken set-up is never a silent
skip) and skip with the reason elsewhere. Screenshots go to ``test-artifacts/`` (or
``$TEST_ARTIFACTS_DIR``) so that a person can look at them after a run.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler

from cmr_reader.content_security import ContentSecurityPolicyMiddleware
from tests.support.chromium import missing_browser_parts, start_chromium

REPO = Path(__file__).resolve().parents[2]


def _require_browser() -> None:
    missing = missing_browser_parts()
    if not missing:
        return
    message = f"browser tests need Debian's chromium and chromium-driver; missing: {', '.join(missing)}"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def static_files_under_the_policy(monkeypatch):
    """Static files with the Content-Security-Policy header, as whitenoise serves them in production.

    The live server answers /static/ without any middleware, but a web worker runs under the
    policy of its own script's response, not the page's: without this the viewer's decoding
    workers would run under no policy here and under the site's policy in production.
    """
    serve = StaticFilesHandler.serve

    def serve_under_the_policy(handler, request):
        return ContentSecurityPolicyMiddleware(lambda request: serve(handler, request))(request)

    monkeypatch.setattr(StaticFilesHandler, "serve", serve_under_the_policy)


@pytest.fixture
def browser(tmp_path):
    _require_browser()
    driver = start_chromium(profile_dir=tmp_path / "chromium-profile")
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPO / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
