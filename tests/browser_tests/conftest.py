"""Real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium.

Where the browser is missing, the tests fail under CI (so a broken set-up is never a silent
skip) and skip with the reason elsewhere.
"""

import os
import shutil
from pathlib import Path

import pytest

# Selenium Manager must neither look for drivers online nor send usage statistics.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _require_browser() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if not missing:
        return
    message = f"browser tests need Debian's chromium and chromium-driver; missing: {', '.join(missing)}"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def browser(tmp_path):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # Chromium refuses to run as root otherwise (CI runs as root)
        "--disable-gpu",
        "--disable-dev-shm-usage",
        # No background traffic: the machine has no network beyond loopback.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)
