"""axe-core in headless Chromium over the pages each role starts from and works in: the login
page, the reader's home and reading workstation (viewer, both reports, the questionnaire), the
coordinator's home and study page, and the statistician's analysis dashboard with results. No
violation of any WCAG 2.x A/AA rule or of axe's best practices is allowed, whatever its impact."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cmr_reader.analysis import runs
from cmr_reader.studies import answers
from cmr_reader.studies.models import Assignment
from tests.support.axe import axe_violations, describe
from tests.support.chromium import assert_no_csp_violations, log_in
from tests.support.reading_study import build_imaged_study

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def study(tmp_path, reader, other_reader):
    return build_imaged_study(tmp_path / "synthetic", readers=[reader, other_reader])


def submit_every_reading(study, now) -> None:
    """Both readers answer every item of every case and submit, so that there is something to analyse."""
    for n, assignment in enumerate(Assignment.objects.filter(study=study).order_by("reader_id", "position")):
        items = {
            f"{slot}.{c}": 1 + (n + len(c) + ord(slot)) % 5
            for slot in "AB"
            for c in ("correctness", "completeness", "readability")
        }
        items.update(
            {
                "A.error": False,
                "B.error": False,
                "pair.preference": "A",
                "pair.ai_guess": "B",
                "pair.ai_confidence": 3,
            }
        )
        for item, value in items.items():
            answers.save_answer(
                assignment_id=assignment.pk, user=assignment.reader, item=item, value=value, now=now
            )
        answers.submit(assignment_id=assignment.pk, user=assignment.reader, now=now)


class Audit:
    """axe's findings page by page; the test asserts once, at the end, so one run shows them all."""

    def __init__(self, browser):
        self.browser = browser
        self.found: dict[str, list[dict]] = {}

    def check(self, page: str) -> None:
        violations = axe_violations(self.browser)
        if violations:
            self.found[page] = violations

    def assert_clean(self) -> None:
        assert self.found == {}, "\n".join(f"{page}:\n{describe(v)}" for page, v in self.found.items())


def viewer_ready(browser) -> bool:
    return bool(browser.find_elements(By.CSS_SELECTOR, ".vp canvas"))


def test_the_login_page_is_accessible(browser, live_server):
    audit = Audit(browser)
    browser.get(f"{live_server.url}/accounts/login/")
    audit.check("login")
    audit.assert_clean()
    assert_no_csp_violations(browser)


def test_the_readers_pages_are_accessible(browser, live_server, reader, study):
    audit = Audit(browser)
    log_in(browser, live_server.url, username=reader.username, password="pw-rita_reader")
    audit.check("home")
    browser.get(live_server.url + reverse("reading:home"))
    audit.check("reading home")

    assignment = Assignment.objects.filter(reader=reader).order_by("position").first()
    browser.get(live_server.url + reverse("reading:case", args=[assignment.public_id]))
    WebDriverWait(browser, 30).until(viewer_ready)
    audit.check("reading page")
    # With the error details shown (a report flagged as wrong) and the shortcuts dialog open.
    browser.find_element(By.CSS_SELECTOR, 'input[name="A.error"][value="true"]').click()
    WebDriverWait(browser, 5).until(
        lambda b: b.find_element(By.CSS_SELECTOR, '[data-item="A.error_categories"]').is_displayed()
    )
    audit.check("reading page, error details shown")
    audit.assert_clean()
    assert_no_csp_violations(browser)


def test_the_coordinators_pages_are_accessible(browser, live_server, coordinator, study):
    audit = Audit(browser)
    log_in(browser, live_server.url, username=coordinator.username, password="pw-carol_coordinator")
    audit.check("coordinator home")
    for url in (reverse("studies:list"), reverse("studies:detail", args=[study.pk])):
        browser.get(live_server.url + url)
        audit.check(url)
    audit.assert_clean()
    assert_no_csp_violations(browser)


def test_the_statisticians_dashboard_is_accessible(browser, live_server, statistician, study):
    audit = Audit(browser)
    from django.utils import timezone

    submit_every_reading(study, timezone.now())
    run = runs.run_analysis(runs.create_run(study=study, bootstrap=50, seed=5))
    assert run.state == "done", run.error
    log_in(browser, live_server.url, username=statistician.username, password="pw-sam_statistician")
    audit.check("statistician home")
    browser.get(live_server.url + reverse("analysis:dashboard", args=[study.pk]))
    assert browser.find_elements(By.ID, "latest-run"), "the dashboard shows no results"
    audit.check("analysis dashboard")
    audit.assert_clean()
    assert_no_csp_violations(browser)
