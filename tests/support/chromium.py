"""Headless Debian Chromium under Selenium, as the browser tests and bench/bench_viewer.py use it."""

import os
from pathlib import Path

# Selenium Manager must neither look for drivers online nor send usage statistics.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


# Runs before any script of every page: each Content Security Policy violation is recorded in
# window.__cspViolations. The list is carried across navigations in sessionStorage, so that a
# violation on a page the test has already left still counts.
CSP_VIOLATION_LISTENER = """
(() => {
  const key = 'cmr-test-csp-violations';
  let stored = [];
  try { stored = JSON.parse(sessionStorage.getItem(key) || '[]'); } catch (error) { stored = []; }
  window.__cspViolations = stored;
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push({
      page: document.location.href, directive: event.effectiveDirective, blocked: event.blockedURI,
      source: event.sourceFile, line: event.lineNumber, sample: event.sample,
    });
    try { sessionStorage.setItem(key, JSON.stringify(window.__cspViolations)); } catch (error) {}
  });
})();
"""


def missing_browser_parts() -> list[str]:
    return [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]


def start_chromium(*, profile_dir: Path, window_size: str = "1280,900"):
    """A headless Chromium with its own profile and no background network traffic."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # Chromium refuses to run as root otherwise (CI runs as root)
        "--disable-gpu",
        # WebGL in software (SwiftShader): the viewer renders with WebGL, and there is no GPU here.
        "--enable-unsafe-swiftshader",
        "--disable-dev-shm-usage",
        # No background traffic: the machine has no network beyond loopback.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        f"--window-size={window_size}",
        f"--user-data-dir={profile_dir}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_VIOLATION_LISTENER})
    return driver


def csp_violations(driver) -> list:
    """The policy violations seen in this tab since the last call: the pages' events and the
    console's errors (the console also reports what no page event shows, such as a violation
    inside a web worker)."""
    events = driver.execute_script(
        "const seen = window.__cspViolations || []; window.__cspViolations = [];"
        "try { sessionStorage.removeItem('cmr-test-csp-violations'); } catch (error) {}"
        "return seen;"
    )
    console = [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    return events + console


def assert_no_csp_violations(driver) -> None:
    violations = csp_violations(driver)
    assert violations == [], "\n".join(str(violation)[:400] for violation in violations)


def log_in(driver, base_url: str, *, username: str, password: str) -> None:
    """Sign in through the login form and wait for the home page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/accounts/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    # The login form's own button: the header's language switch has submit buttons too.
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(driver, 10).until(expected_conditions.url_to_be(f"{base_url}/"))
