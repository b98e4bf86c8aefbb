"""A coordinator uploads DICOM in a real browser and watches the import finish."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from cmr_reader.imaging.models import ImportJob, Instance
from tests.support.chromium import assert_no_csp_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_uploads_files_and_sees_the_import_complete(
    browser, live_server, coordinator, synthetic_case_dir, tmp_path
):
    files = sorted(synthetic_case_dir.glob("*.dcm"))[:8]
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    log_in(browser, live_server.url, username=coordinator.username, password="pw-carol_coordinator")

    browser.get(f"{live_server.url}/imaging/upload/")
    browser.find_element(By.ID, "id_files").send_keys("\n".join(str(p) for p in [*files, notes]))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    WebDriverWait(browser, 20).until(expected_conditions.url_contains("/imaging/imports/"))
    assert browser.find_element(By.ID, "job-state").text in ("Queued", "Running")

    call_command(
        "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0
    )

    # The page polls the job's API and updates itself; no reload.
    WebDriverWait(browser, 20).until(
        expected_conditions.text_to_be_present_in_element((By.ID, "job-state"), "Done")
    )
    assert browser.find_element(By.ID, "job-imported").text == "8"
    assert browser.find_element(By.ID, "job-rejected-count").text == "1"
    assert "#9 ….txt" in browser.find_element(By.ID, "job-rejected").text  # notes.txt
    assert "not a DICOM file" in browser.find_element(By.ID, "job-rejected").text
    assert ImportJob.objects.get().state == ImportJob.State.DONE
    assert Instance.objects.count() == 8
    browser.save_screenshot(str(tmp_path / "import-done.png"))
    assert_no_csp_violations(browser)


def test_reader_sees_no_upload_page(browser, live_server, reader):
    log_in(browser, live_server.url, username=reader.username, password="pw-rita_reader")

    browser.get(f"{live_server.url}/imaging/upload/")

    assert "Upload DICOM" not in browser.page_source
    assert "Not allowed" in browser.page_source
    assert_no_csp_violations(browser)
