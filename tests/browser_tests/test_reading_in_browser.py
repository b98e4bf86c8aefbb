"""A reader rates a whole case in headless Chromium: clicks and keyboard, a reload half-way
(nothing is lost), a submit that is refused while answers are missing (marked in the page, which
is not reloaded), then accepted."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from cmr_reader.domain.synthetic import write_cases
from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies import assign
from cmr_reader.studies.models import Answer, AnswerChange, Assignment, ReaderStudy
from tests.support.chromium import assert_no_csp_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reader_study(tmp_path, settings, private_storage, reader, other_reader) -> ReaderStudy:
    folders = write_cases(tmp_path / "synthetic", cases=2, seed=21, matrix=48, phases=6)
    for folder in folders:
        import_sources(
            iter_path_sources(sorted(folder.glob("*.dcm"))),
            pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
            storage_root=settings.DICOM_STORAGE_ROOT,
        )
    run = GenerationRun.objects.create(model_name="tiny")
    for case in Case.objects.all():
        Report.objects.create(
            case=case,
            source="reference",
            language="en",
            text="Findings: LVEF 60%. No LGE.\nImpression: Normal.",
        )
        Report.objects.create(
            case=case,
            source="ai",
            language="en",
            text="Findings: EF 58%, no scar.\nImpression: Normal study.",
            generation_run=run,
        )
    study = ReaderStudy.objects.create(name="Browser study", readers_per_case=2, overlap_count=2, seed=3)
    assign.add_default_criteria(study)
    assign.add_cases(study, None)
    assign.add_readers(study, [reader, other_reader])
    assign.assign(study, now=timezone.now() - timedelta(minutes=5))
    return study


def saved(browser, item: str) -> bool:
    box = browser.find_element(By.CSS_SELECTOR, f'[data-item="{item}"] .save-state')
    return box.text == "Saved"


def click_radio(browser, name: str, value: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]').click()


def test_a_reader_rates_a_case_reloads_and_submits(browser, live_server, reader, reader_study, artifacts_dir):
    log_in(browser, live_server.url, username=reader.username, password="pw-rita_reader")
    browser.get(f"{live_server.url}/reading/")
    browser.find_element(By.CSS_SELECTOR, "a.button").click()
    WebDriverWait(browser, 10).until(lambda b: "/reading/cases/" in b.current_url)
    assignment = Assignment.objects.get(public_id=browser.current_url.rstrip("/").split("/")[-1])
    assert assignment.reader == reader

    # Report A by clicking; correctness of B with the keyboard (focus the group, press 2).
    for criterion in ("correctness", "completeness", "readability"):
        click_radio(browser, f"A.{criterion}", "4")
    click_radio(browser, "B.correctness", "3")
    browser.find_element(By.CSS_SELECTOR, 'input[name="B.correctness"][value="3"]').send_keys("2")
    WebDriverWait(browser, 20).until(
        lambda b: "All answers saved" in b.find_element(By.ID, "save-status").text
    )
    assert saved(browser, "A.readability") and saved(browser, "B.correctness")
    assert Answer.objects.get(assignment=assignment, item="B.correctness").value == 2

    # Reload half-way: what was given is still there.
    browser.refresh()
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.CSS_SELECTOR, 'input[name="A.completeness"][value="4"]').is_selected()
    )
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="B.correctness"][value="2"]').is_selected()

    # Submitting now is refused: the answers missing are marked in the page, not reloaded.
    browser.execute_script("window.notReloaded = true")
    browser.find_element(By.ID, "submit-case").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".is-missing"))
    assert browser.execute_script("return window.notReloaded === true")
    marked = {e.get_attribute("data-item") for e in browser.find_elements(By.CSS_SELECTOR, ".is-missing")}
    assert {"B.completeness", "B.readability", "A.error", "pair.preference"} <= marked
    assert "A.correctness" not in marked and "B.correctness" not in marked
    assignment.refresh_from_db()
    assert assignment.submitted_at is None

    for criterion in ("completeness", "readability"):
        click_radio(browser, f"B.{criterion}", "5")
    click_radio(browser, "A.error", "false")
    click_radio(browser, "B.error", "true")
    WebDriverWait(browser, 5).until(
        lambda b: b.find_element(By.CSS_SELECTOR, '[data-item="B.error_categories"]').is_displayed()
    )
    browser.find_element(
        By.CSS_SELECTOR, 'input[name="B.error_categories"][value="wrong_measurement"]'
    ).click()
    browser.find_element(By.CSS_SELECTOR, 'textarea[name="B.error_comment"]').send_keys(
        "EF overstated by 10 points"
    )
    click_radio(browser, "pair.preference", "A")
    click_radio(browser, "pair.ai_guess", "B")
    click_radio(browser, "pair.ai_confidence", "3")
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "missing-count").get_attribute("data-missing") == "0"
    )
    WebDriverWait(browser, 10).until(
        lambda b: "All answers saved" in b.find_element(By.ID, "save-status").text
    )
    browser.save_screenshot(str(artifacts_dir / "reading-case-filled.png"))

    # Enter submits (focus in the form, not in a text box).
    browser.find_element(By.CSS_SELECTOR, 'input[name="pair.preference"][value="A"]').send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(
        lambda b: b.current_url.rstrip("/").split("/")[-1] != assignment.public_id
    )
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    stored = dict(Answer.objects.filter(assignment=assignment).values_list("item", "value"))
    assert stored["B.error_comment"] == "EF overstated by 10 points"
    assert stored["B.error_categories"] == ["wrong_measurement"]
    assert stored["pair.ai_confidence"] == 3
    # The audit ends with the value kept (3 may be missing: a save superseded while being retried
    # is dropped on purpose, the newer value wins).
    history = list(
        AnswerChange.objects.filter(assignment=assignment, item="B.correctness")
        .order_by("id")
        .values_list("new_value", flat=True)
    )
    assert history[-1] == 2 and set(history) <= {2, 3}
    assert_no_csp_violations(browser)


def test_one_press_of_submit_right_after_typing_a_comment_submits_with_the_comment(
    browser, live_server, reader, reader_study
):
    """The comment's save is still waiting (typing is saved 600 ms after the last key) when the
    reader submits: the page saves it first and then submits, instead of ignoring the press."""
    log_in(browser, live_server.url, username=reader.username, password="pw-rita_reader")
    browser.get(f"{live_server.url}/reading/")
    browser.find_element(By.CSS_SELECTOR, "a.button").click()
    WebDriverWait(browser, 10).until(lambda b: "/reading/cases/" in b.current_url)
    assignment = Assignment.objects.get(public_id=browser.current_url.rstrip("/").split("/")[-1])
    for slot in ("A", "B"):
        for criterion in ("correctness", "completeness", "readability"):
            click_radio(browser, f"{slot}.{criterion}", "4")
        click_radio(browser, f"{slot}.error", "false")
    click_radio(browser, "pair.preference", "A")
    click_radio(browser, "pair.ai_guess", "unsure")
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "missing-count").get_attribute("data-missing") == "0"
    )
    WebDriverWait(browser, 10).until(
        lambda b: "All answers saved" in b.find_element(By.ID, "save-status").text
    )

    browser.find_element(By.CSS_SELECTOR, 'textarea[name="pair.comment"]').send_keys("Both read well.")
    browser.find_element(By.ID, "submit-case").click()  # at once: the typing is not saved yet

    WebDriverWait(browser, 10).until(
        lambda b: b.current_url.rstrip("/").split("/")[-1] != assignment.public_id
    )
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    assert Answer.objects.get(assignment=assignment, item="pair.comment").value == "Both read well."


def test_answers_given_before_the_page_script_ran_are_saved_when_it_runs(
    browser, live_server, reader, reader_study
):
    """A slow connection: the reader clicks while the page's script is still loading. The radios
    are checked but nothing listened, so no save went out; the script sends them when it runs
    (they differ from what the server rendered). The script is held back here by blocking its
    URL, then added to the page again."""
    log_in(browser, live_server.url, username=reader.username, password="pw-rita_reader")
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*js/reading*"]})
    try:
        browser.get(f"{live_server.url}/reading/")
        browser.find_element(By.CSS_SELECTOR, "a.button").click()
        WebDriverWait(browser, 10).until(lambda b: "/reading/cases/" in b.current_url)
        assignment = Assignment.objects.get(public_id=browser.current_url.rstrip("/").split("/")[-1])
        click_radio(browser, "A.correctness", "4")
        click_radio(browser, "B.readability", "2")
        assert not Answer.objects.filter(assignment=assignment).exists()
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})

    browser.execute_script(
        "const script = document.createElement('script');"
        "script.src = document.querySelector('script[src*=\"js/reading\"]').src;"
        "document.body.append(script);"
    )

    stored = lambda _browser: {  # noqa: E731 - polled below
        answer.item: answer.value for answer in Answer.objects.filter(assignment=assignment)
    }
    WebDriverWait(browser, 10).until(lambda b: stored(b) == {"A.correctness": 4, "B.readability": 2})
    WebDriverWait(browser, 10).until(lambda b: saved(b, "A.correctness") and saved(b, "B.readability"))
