"""A coordinator turns on two-factor sign-in in Chromium and logs in with a code, under the
Content Security Policy (the QR code is an SVG data: image)."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.chromium import assert_no_csp_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def code_at_step(key: bytes, step: int) -> str:
    generator = TOTP(key, step=30, t0=0, digits=6)
    generator.time = step * 30
    return f"{generator.token():06d}"


def current_code(key: bytes) -> str:
    return code_at_step(key, TOTP(key, step=30, t0=0).t())


def next_code_accepted(key: bytes, device: TOTPDevice) -> str:
    """The app's code for the first step that ``device`` will still take: after the step it last
    accepted (no replay) and inside its window, which is shifted by the drift learnt at enrolment
    (a code typed just before a step boundary and checked just after sets a drift of -1)."""
    device.refresh_from_db()
    now = TOTP(key, step=30, t0=0).t() + device.drift
    return code_at_step(key, max(device.last_t + 1, now))


def test_coordinator_enrols_and_then_logs_in_with_a_code(browser, live_server, coordinator):
    base = live_server.url
    wait = WebDriverWait(browser, 10)
    log_in(browser, base, username="carol_coordinator", password="pw-carol_coordinator")

    browser.get(base + "/accounts/two-factor/")
    browser.find_element(By.CSS_SELECTOR, "#two-factor-start button").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "two-factor-secret")))
    qr_width = browser.execute_script("return document.getElementById('two-factor-qr').naturalWidth")
    secret = browser.find_element(By.ID, "two-factor-secret").text.replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    browser.find_element(By.NAME, "code").send_keys(current_code(key))
    browser.find_element(By.CSS_SELECTOR, "#two-factor-confirm button").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "two-factor-remove")))
    assert_no_csp_violations(browser)

    assert qr_width > 0
    assert TOTPDevice.objects.get(user=coordinator).confirmed

    # A new login stops at the code step until the app's next code is given.
    browser.delete_all_cookies()
    browser.get(base + "/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys("carol_coordinator")
    browser.find_element(By.NAME, "password").send_keys("pw-carol_coordinator")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "two-factor-verify")))
    device = TOTPDevice.objects.get(user=coordinator)
    browser.find_element(By.NAME, "code").send_keys(next_code_accepted(key, device))
    browser.find_element(By.CSS_SELECTOR, "#two-factor-verify button").click()
    wait.until(expected_conditions.url_to_be(f"{base}/"))
    assert_no_csp_violations(browser)
