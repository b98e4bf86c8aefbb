"""A reader completes a whole case with the keyboard alone (Tab, Shift+Tab, Space, arrows, Enter
and typing; never a click), in Chinese and in English: from the login page through the skip link
and every question to the submit button, in the order the page promises. Along the way the
test takes the reader's guide screenshots when CMR_SCREENSHOTS is set (``make screenshots``)."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from cmr_reader.studies.models import Answer, Assignment
from cmr_reader.studies.questionnaire import ERROR_CATEGORIES
from tests.support.axe import axe_violations, describe
from tests.support.chromium import assert_no_csp_violations
from tests.support.reading_study import build_imaged_study
from tests.support.screenshots import GuideCamera

pytestmark = pytest.mark.django_db(transaction=True)

# What the page reports about the element that has focus, and how the test names it.
FOCUSED = """
const e = document.activeElement;
return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.getAttribute('name') || '',
        value: e.value || '', id: e.id || '', href: e.getAttribute('href') || '',
        cls: e.className || '', checked: !!e.checked, inViewer: !!e.closest('.cmr-viewer'),
        inHeader: !!e.closest('.site-header')};
"""

# The reader's answers, given with the keyboard: a score is Space (1) then arrows up to it.
SCORES = {
    "A.correctness": 4,
    "A.completeness": 4,
    "A.readability": 5,
    "B.correctness": 2,
    "B.completeness": 3,
    "B.readability": 4,
}
# A study's name is the coordinator's data, written in the study's language.
STUDY_NAMES = {"zh-hans": "肥厚型心肌病 AI 报告阅片研究", "en": "HCM AI report reader study"}
COMMENTS = {
    "zh-hans": ("射血分数高估约 10 个百分点", "报告 A 更完整"),
    "en": ("EF overstated by about 10 points", "Report A is more complete"),
}


def press(browser, *keys) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def shift_tab(browser) -> None:
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()


def focused(browser) -> dict:
    return browser.execute_script(FOCUSED)


def key_of(element: dict) -> str:
    """A short, stable name of a focused element: its id, its form name, or its link."""
    if element["type"] == "checkbox":
        return f"{element['name']}={element['value']}"
    if element["inViewer"] or element["inHeader"]:
        return "viewer" if element["inViewer"] else "header"
    return element["id"] or element["name"] or element["href"] or element["tag"]


def tab_until(browser, wanted, *, limit: int = 60) -> list[str]:
    """Presses Tab until ``wanted(focused element)``; returns the names of the stops on the way."""
    stops = []
    for _ in range(limit):
        press(browser, Keys.TAB)
        element = focused(browser)
        stops.append(key_of(element))
        if wanted(element):
            return stops
    raise AssertionError(f"not reached in {limit} presses of Tab: {stops}")


def choose(browser, steps: int) -> None:
    """On the first radio of a group that has none checked: Space checks it, each arrow the next."""
    press(browser, Keys.SPACE, *([Keys.ARROW_RIGHT] * steps))


def all_saved(browser) -> bool:
    # Compared with the page's own translation of the message (the djangojs catalogue).
    return browser.execute_script(
        "return document.getElementById('save-status').textContent === window.gettext('All answers saved')"
    )


def viewer_loaded(browser) -> bool:
    """Every viewport has all its images and every series its thumbnail."""
    return browser.execute_script(
        "const s = window.cmrViewer && window.cmrViewer.state();"
        "return !!s && s.panels.length > 0 && s.panels.every((p) => p.state === 'ready' && p.loaded === p.total)"
        " && !document.querySelector('[data-series]:not([data-thumbnail=ready])');"
    )


@pytest.fixture
def study(tmp_path, reader, language):
    # The study is created in the interface language, as a coordinator working in it would.
    with translation.override(language):
        name = STUDY_NAMES[language]
        return build_imaged_study(tmp_path / "synthetic", readers=[reader], language=language, name=name)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_reader_completes_a_case_with_the_keyboard_alone(browser, live_server, reader, study, language):
    camera = GuideCamera(browser, journey="reader", language=language)
    with translation.override(language):
        expected = {
            msgid: translation.gettext(msgid)
            for msgid in ("Submit case", "Report A", "Clinically significant error?", "Log in")
        }
    if language != "en":
        untranslated = [msgid for msgid, text in expected.items() if text == msgid]
        assert untranslated == [], f"the {language} catalogue lacks {untranslated}"

    # The interface language as the header's switch leaves it: Django's language cookie.
    browser.get(live_server.url + reverse("login"))
    browser.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language})
    browser.get(live_server.url + reverse("login"))
    assert browser.execute_script("return document.documentElement.lang") == language
    assert expected["Log in"] in browser.title
    camera.shoot("1-login")

    # Log in: the user name field has focus; type, Tab, type, Enter.
    assert focused(browser)["name"] == "username"
    press(browser, reader.username, Keys.TAB, "pw-rita_reader", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: b.current_url == f"{live_server.url}/")

    # Home -> My reading -> Start, each by Tab and Enter.
    reading_home = reverse("reading:home")
    tab_until(browser, lambda e: e["href"] == reading_home and "button" in e["cls"])
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: b.current_url == live_server.url + reading_home)
    camera.shoot("2-home")
    tab_until(browser, lambda e: "/continue/" in e["href"])
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: "/reading/cases/" in b.current_url)
    assignment = Assignment.objects.get(public_id=browser.current_url.rstrip("/").split("/")[-1])
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return !!document.querySelector('.vp canvas')")
    )
    assert browser.execute_script("return document.documentElement.lang") == language
    page = browser.find_element("id", "rating-form").text
    assert expected["Report A"] in page and expected["Clinically significant error?"] in page
    camera.shoot("3-reading", ready=viewer_loaded)

    # The whole page once with Tab: the skip link comes first after the header, then the
    # viewer's controls, which let the focus go on to the reports and the questionnaire.
    stops = tab_until(browser, lambda e: e["name"] == "A.correctness", limit=120)
    skip, first_report = stops.index("#rating-form"), stops.index("report-A-text")
    assert set(stops[:skip]) == {"header"}, stops
    viewer = [n for n, stop in enumerate(stops) if stop == "viewer"]
    assert len(viewer) >= 8 and skip < viewer[0] and viewer[-1] < first_report, stops
    # Shift+Tab goes back the same way, to the top of the page.
    back = []
    for _ in range(len(stops) - 1):
        shift_tab(browser)
        back.append(key_of(focused(browser)))
    assert back == stops[-2::-1]
    browser.execute_script("document.activeElement.blur()")

    # Back to the skip link and through it: the next Tab is in the questionnaire.
    tab_until(browser, lambda e: e["href"] == "#rating-form")
    press(browser, Keys.ENTER)
    error_comment, pair_comment = COMMENTS[language]
    visited = []
    for _ in range(80):
        press(browser, Keys.TAB)
        element = focused(browser)
        name = key_of(element)
        visited.append(name)
        if name in SCORES:
            choose(browser, SCORES[name] - 1)
        elif name == "A.error":
            choose(browser, 0)  # No
        elif name == "B.error":
            choose(browser, 1)  # Yes: the error details appear after this group
        elif name == "B.error_categories=wrong_measurement":
            press(browser, Keys.SPACE)
        elif name == "B.error_comment":
            press(browser, error_comment)
        elif name == "pair.preference":
            choose(browser, 0)  # Report A
        elif name == "pair.ai_guess":
            choose(browser, 1)  # Report B
        elif name == "pair.ai_confidence":
            choose(browser, 2)  # 3
        elif name == "pair.comment":
            press(browser, pair_comment)
        elif name == "submit-case":
            break
    assert visited == [
        "report-A-text", "A.correctness", "A.completeness", "A.readability", "A.error",
        "report-B-text", "B.correctness", "B.completeness", "B.readability", "B.error",
        *[f"B.error_categories={key}" for key in ERROR_CATEGORIES], "B.error_comment",
        "pair.preference", "pair.ai_guess", "pair.ai_confidence", "pair.comment", "submit-case",
    ]  # fmt: skip
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element("id", "missing-count").get_attribute("data-missing") == "0"
    )
    WebDriverWait(browser, 20).until(all_saved)
    assert browser.find_element("id", "submit-case").text == expected["Submit case"]
    camera.shoot("4-questionnaire")

    # The page as a whole passes axe with every answer given, in this language too.
    violations = axe_violations(browser)
    assert violations == [], describe(violations)

    # Shift+Tab leaves the button for the comment and Tab comes back; Enter submits.
    shift_tab(browser)
    assert key_of(focused(browser)) == "pair.comment"
    press(browser, Keys.TAB)
    assert key_of(focused(browser)) == "submit-case"
    case_url = browser.current_url
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: b.current_url != case_url)  # the next case
    # The confirmation is on the page the reader lands on, in a status region.
    status = browser.find_element("css selector", "ul.messages[role=status]")
    with translation.override(language):
        assert translation.gettext("Case submitted: your answers are saved.") in status.text
    camera.shoot("5-submitted", ready=viewer_loaded)

    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    stored = dict(Answer.objects.filter(assignment=assignment).values_list("item", "value"))
    assert stored == {
        **SCORES,
        "A.error": False,
        "B.error": True,
        "B.error_categories": ["wrong_measurement"],
        "B.error_comment": error_comment,
        "pair.preference": "A",
        "pair.ai_guess": "B",
        "pair.ai_confidence": 3,
        "pair.comment": pair_comment,
    }
    assert_no_csp_violations(browser)
