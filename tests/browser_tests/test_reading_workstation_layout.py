"""The reading workstation in headless Chromium: one screen from 1366x768 up (the viewer wide, both
reports and Submit in view, the page never scrolling), a divider the reader drags or moves with
the keys and finds where they left it, a refused submit that marks what is missing without
reloading, and arrow keys saved once they settle."""

import json
import time

import pytest
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from cmr_reader.accounts.models import UserPreference
from cmr_reader.demo.study import house_style_ai_report
from cmr_reader.reports.models import Report
from cmr_reader.studies.models import AnswerChange, Assignment
from inference.demo_reports import target_report
from tests.support.chromium import assert_no_csp_violations, log_in
from tests.support.reading_study import build_imaged_study
from tests.support.screenshots import fit_viewport

pytestmark = pytest.mark.django_db(transaction=True)

# Where everything of the workstation is, in CSS pixels of the viewport.
GEOMETRY = """
const box = (e) => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; };
const q = (s) => document.querySelector(s);
return {
  inner: [window.innerWidth, window.innerHeight],
  scroll: [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight],
  images: box(q('.workstation-images')), viewer: box(q('.workstation-images .cmr-viewer')),
  viewerBody: box(q('.workstation-images .viewer-body')), region: box(q('.reports-scroll')),
  texts: [...document.querySelectorAll('.report-text')].map(box), submit: box(q('#submit-case')),
  split: q('.workstation-splitter').getAttribute('aria-valuenow'),
};
"""


@pytest.fixture
def study(tmp_path, reader):
    """Two imaged cases whose reports are as long as the demo's (the generators' own texts)."""
    built = build_imaged_study(tmp_path / "synthetic", readers=[reader])
    truths = [json.loads(path.read_text()) for path in (tmp_path / "synthetic").glob("*/ground_truth.json")]
    longest = max(truths, key=lambda truth: len(target_report(truth)))
    Report.objects.filter(source="reference").update(text=target_report(longest))
    Report.objects.filter(source="ai").update(text=house_style_ai_report(longest, seed=1)[0])
    return built


def open_first_case(browser, live_server, reader) -> Assignment:
    log_in(browser, live_server.url, username=reader.username, password="pw-rita_reader")
    assignment = Assignment.objects.filter(reader=reader).order_by("position").first()
    browser.get(live_server.url + reverse("reading:case", args=[assignment.public_id]))
    WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".vp canvas"))
    return assignment


def geometry(browser) -> dict:
    return browser.execute_script(GEOMETRY)


def inside(box: dict, outer: dict) -> bool:
    return (
        box["top"] >= outer["top"] - 0.5
        and box["bottom"] <= outer["bottom"] + 0.5
        and box["left"] >= outer["left"] - 0.5
        and box["right"] <= outer["right"] + 0.5
    )


def click_radio(browser, name: str, value: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]').click()


def all_saved(browser) -> bool:
    return browser.execute_script(
        "return document.getElementById('save-status').textContent === window.gettext('All answers saved')"
    )


def changes(assignment, item: str) -> list[tuple]:
    return list(
        AnswerChange.objects.filter(assignment=assignment, item=item)
        .order_by("id")
        .values_list("old_value", "new_value")
    )


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_workstation_fits_one_screen(browser, live_server, reader, study, size, artifacts_dir):
    width, height = size
    fit_viewport(browser, width, height)
    open_first_case(browser, live_server, reader)
    found = geometry(browser)
    assert found["inner"] == [width, height]
    screen = {"top": 0, "left": 0, "bottom": height, "right": width}

    # The page itself never scrolls.
    assert found["scroll"][1] <= height and found["scroll"][0] <= width, found["scroll"]
    # The images take most of the width, and the viewer fills their column's height.
    assert found["images"]["width"] >= 0.55 * width, found["images"]
    assert (
        found["viewer"]["bottom"] >= found["images"]["bottom"] - 1
        and found["viewer"]["top"] <= found["images"]["top"] + 1
    )
    assert found["viewerBody"]["height"] >= 0.6 * height, found["viewerBody"]
    # Both reports side by side, whole, in view on the first screen; Submit too.
    report_a, report_b = found["texts"]
    assert report_a["top"] == report_b["top"] and report_a["right"] <= report_b["left"]
    for text in found["texts"]:
        assert inside(text, screen) and inside(text, found["region"]), (text, found["region"])
    assert inside(found["submit"], screen)
    browser.save_screenshot(str(artifacts_dir / f"reading-workstation-{width}x{height}.png"))

    # Scrolled to its last question, the reports' column still shows Submit; the page stays put.
    browser.execute_script(
        "const r = document.querySelector('.reports-scroll'); r.scrollTop = r.scrollHeight;"
    )
    after = geometry(browser)
    assert inside(after["submit"], screen)
    assert browser.execute_script("return window.scrollY") == 0
    assert_no_csp_violations(browser)


def test_the_split_is_dragged_moved_with_the_keys_and_remembered(browser, live_server, reader, study):
    fit_viewport(browser, 1366, 768)
    open_first_case(browser, live_server, reader)
    splitter = browser.find_element(By.CSS_SELECTOR, ".workstation-splitter")
    before = geometry(browser)
    assert before["split"] == "60"

    # Dragged 150 px to the left: the images narrow by as much, the reports widen.
    ActionChains(browser).click_and_hold(splitter).move_by_offset(-75, 0).move_by_offset(
        -75, 0
    ).release().perform()
    dragged = geometry(browser)
    assert abs(dragged["images"]["width"] - (before["images"]["width"] - 150)) <= 3, dragged["images"]
    share = int(dragged["split"])
    assert share < 60
    WebDriverWait(browser, 10).until(
        lambda b: UserPreference.objects.filter(user=reader, reading_split__isnull=False).exists()
    )
    assert round(UserPreference.objects.get(user=reader).reading_split * 100) == share

    # Another case, or the same after a reload: the divider is where the reader left it.
    browser.refresh()
    WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".vp canvas"))
    reloaded = geometry(browser)
    assert reloaded["split"] == str(share)
    assert abs(reloaded["images"]["width"] - dragged["images"]["width"]) <= 2

    # The keyboard: two presses of the right arrow give the images 4 % more, saved as well; the
    # arrows move the divider, not the viewer's cardiac phase.
    phase = "return document.querySelector('[data-action=phase]').value"
    phase_before = browser.execute_script(phase)
    browser.find_element(By.CSS_SELECTOR, ".workstation-splitter").send_keys(
        Keys.ARROW_RIGHT, Keys.ARROW_RIGHT
    )
    assert geometry(browser)["split"] == str(share + 4)
    WebDriverWait(browser, 10).until(
        lambda b: round(UserPreference.objects.get(user=reader).reading_split * 100) == share + 4
    )
    assert browser.execute_script(phase) == phase_before

    # End gives the images all they may have: the reports' column is then too narrow for two
    # reports side by side, and they stack; Home gives the reports the most room.
    browser.find_element(By.CSS_SELECTOR, ".workstation-splitter").send_keys(Keys.END)
    widest = geometry(browser)
    assert widest["split"] == "80"
    report_a, report_b = widest["texts"]
    assert report_b["top"] > report_a["bottom"]
    browser.find_element(By.CSS_SELECTOR, ".workstation-splitter").send_keys(Keys.HOME)
    narrowest = geometry(browser)
    assert narrowest["split"] == "35"
    report_a, report_b = narrowest["texts"]
    assert report_a["top"] == report_b["top"]
    assert narrowest["scroll"][1] <= 768
    WebDriverWait(browser, 10).until(lambda b: UserPreference.objects.get(user=reader).reading_split == 0.35)
    assert_no_csp_violations(browser)


def test_a_refused_submit_marks_whats_missing_without_reloading(browser, live_server, reader, study):
    fit_viewport(browser, 1366, 768)
    assignment = open_first_case(browser, live_server, reader)
    for criterion in ("correctness", "completeness", "readability"):
        click_radio(browser, f"A.{criterion}", "4")
    click_radio(browser, "A.error", "false")
    WebDriverWait(browser, 10).until(all_saved)
    browser.execute_script(
        "window.notReloaded = true; document.querySelector('.vp canvas').dataset.sameCanvas = 'yes';"
    )

    browser.find_element(By.ID, "submit-case").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".is-missing"))

    assert browser.execute_script("return window.notReloaded === true")
    assert browser.find_element(By.CSS_SELECTOR, ".vp canvas").get_attribute("data-same-canvas") == "yes"
    assignment.refresh_from_db()
    assert assignment.submitted_at is None
    marked = [e.get_attribute("data-item") for e in browser.find_elements(By.CSS_SELECTOR, ".is-missing")]
    assert marked[0] == "B.correctness" and "A.correctness" not in marked
    assert {"B.completeness", "B.readability", "B.error", "pair.preference", "pair.ai_guess"} <= set(marked)
    # Each marked question says so, to the eye and to a screen reader.
    first = browser.find_element(By.CSS_SELECTOR, '[data-item="B.correctness"]')
    assert first.find_element(By.CSS_SELECTOR, ".missing-note").is_displayed()
    radios = first.find_elements(By.CSS_SELECTOR, "input[type=radio]")
    assert all(radio.get_attribute("aria-invalid") == "true" for radio in radios)
    # The focus is on the first of them, which is in view in the reports' column.
    assert browser.execute_script("return document.activeElement.name") == "B.correctness"
    found = geometry(browser)
    first_box = browser.execute_script(
        "const r = document.querySelector('[data-item=\"B.correctness\"]').getBoundingClientRect();"
        "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};"
    )
    assert inside(first_box, found["region"])
    assert browser.find_element(By.ID, "missing-count").get_attribute("data-missing") == str(len(marked))

    # Answering a marked question takes its mark away.
    click_radio(browser, "B.correctness", "3")
    assert "is-missing" not in first.get_attribute("class")
    assert radios[0].get_attribute("aria-invalid") is None
    assert not first.find_elements(By.CSS_SELECTOR, ".missing-note")
    assert_no_csp_violations(browser)


def test_arrow_keys_save_the_answer_they_settle_on_and_a_click_saves_at_once(
    browser, live_server, reader, study
):
    fit_viewport(browser, 1366, 768)
    assignment = open_first_case(browser, live_server, reader)

    # A click is saved at once: the save starts in the click itself.
    browser.execute_script("document.getElementById('save-status').textContent = 'untouched'")
    click_radio(browser, "A.correctness", "1")
    assert browser.find_element(By.ID, "save-status").text != "untouched"
    WebDriverWait(browser, 10).until(all_saved)
    assert changes(assignment, "A.correctness") == [(None, 1)]

    # Three presses of the right arrow, a moment apart (each check saved at once would be a
    # request of its own): one change, to the answer they settled on.
    radio = browser.find_element(By.CSS_SELECTOR, 'input[name="A.correctness"][value="1"]')
    ActionChains(browser).send_keys_to_element(radio, Keys.ARROW_RIGHT).pause(0.3).send_keys(
        Keys.ARROW_RIGHT
    ).pause(0.3).send_keys(Keys.ARROW_RIGHT).perform()
    WebDriverWait(browser, 10).until(lambda b: len(changes(assignment, "A.correctness")) == 2)
    WebDriverWait(browser, 10).until(all_saved)
    time.sleep(1)  # nothing more comes
    assert changes(assignment, "A.correctness") == [(None, 1), (1, 4)]

    # An arrow pressed just before Enter is not left waiting for the quiet time: the submit
    # saves it first.
    for name in ("A.completeness", "A.readability", "B.correctness", "B.completeness", "B.readability"):
        click_radio(browser, name, "3")
    click_radio(browser, "A.error", "false")
    click_radio(browser, "B.error", "false")
    click_radio(browser, "pair.preference", "equal")
    click_radio(browser, "pair.ai_guess", "unsure")
    WebDriverWait(browser, 10).until(all_saved)
    radio = browser.find_element(By.CSS_SELECTOR, 'input[name="B.readability"][value="3"]')
    ActionChains(browser).send_keys_to_element(radio, Keys.ARROW_LEFT).send_keys(Keys.ENTER).perform()
    WebDriverWait(browser, 10).until(lambda b: assignment.public_id not in b.current_url)
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    assert changes(assignment, "B.readability") == [(None, 3), (3, 2)]
    assert_no_csp_violations(browser)
