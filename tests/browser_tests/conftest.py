"""Real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium.

Where the browser is missing, the tests fail under CI (so a broken set-up is never a silent
skip) and skip with the reason elsewhere. Screenshots go to ``test-artifacts/`` (or
``$TEST_ARTIFACTS_DIR``) so that a person can look at them after a run.
"""

import os
import shutil
from pathlib import Path

import pytest

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
