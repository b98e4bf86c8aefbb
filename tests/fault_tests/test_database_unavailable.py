"""The database goes away for a moment, for real: gunicorn serves the site on PostgreSQL through a
TCP proxy that the test cuts (open connections hang up, new ones are refused) and restores.

A reader in headless Chromium answers items during the outage: the page says they are not saved
and why, refuses the submit, and sends them once the database is back. A second outage: the reader
answers, then opens another page (the clear 503 page) and comes back after the restore: the answers
kept in the tab are sent then. Every answer arrives in the database exactly once, in the order given.

The site's database is one this test creates on the PostgreSQL server at 127.0.0.1:5432 and drops
afterwards (never the suite's test database); without that server the test is skipped.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fault_tests.test_killed_web_server import free_port, start_server
from tests.support.chromium import assert_no_csp_violations, log_in, missing_browser_parts, start_chromium
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PASSWORD = "pw-rita_reader-dbdown"

# Run by `manage.py shell` against the new database: two readers and a small assigned study.
SEED = f"""
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from cmr_reader.accounts.roles import Role
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import build_study

group = Group.objects.get_or_create(name=Role.READER.value)[0]
readers = []
for name in ("rita_reader", "otto_reader"):
    user = get_user_model().objects.create_user(username=name, password={PASSWORD!r})
    user.groups.add(group)
    readers.append(user)
build_study(readers=readers, cases=2, overlap=0)
first = Assignment.objects.filter(reader=readers[0], is_repeat=False).order_by("position").first()
print(json.dumps({{"public_id": first.public_id, "pk": first.pk}}))
"""


def connect(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, connect_timeout=3, autocommit=True
    )


@pytest.fixture
def site_database():
    """A fresh, migrated PostgreSQL database of our own: its name, dropped afterwards."""
    import psycopg

    try:
        connect().close()
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT}: {error}")
    name = f"cmr_fault_dbdown_{os.getpid()}"
    with connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, database: str, capture: bool = False) -> str:
    env = {**os.environ, "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout


@pytest.fixture
def browser(tmp_path):
    if missing := missing_browser_parts():
        message = f"this test needs Debian's chromium and chromium-driver; missing: {', '.join(missing)}"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(message)
        pytest.skip(message)
    driver = start_chromium(profile_dir=tmp_path / "chromium-profile")
    yield driver
    driver.quit()


@pytest.fixture
def database_proxy():
    """The site's way to PostgreSQL, to cut and restore."""
    with TcpProxy(target_host=PG_HOST, target_port=PG_PORT) as proxy:
        yield proxy


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(os.environ.get("TEST_ARTIFACTS_DIR", ROOT / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored(database: str, assignment_pk: int) -> tuple[dict, list[str]]:
    """The assignment's answers and the items of its audit rows in the order written, read
    straight from PostgreSQL (not through the proxy)."""
    with connect(database) as db:
        answers = dict(
            db.execute("SELECT item, value FROM studies_answer WHERE assignment_id = %s", [assignment_pk])
        )
        changes = [
            item
            for (item,) in db.execute(
                "SELECT item FROM studies_answerchange WHERE assignment_id = %s ORDER BY id", [assignment_pk]
            )
        ]
        submitted = db.execute(
            "SELECT submitted_at FROM studies_assignment WHERE id = %s", [assignment_pk]
        ).fetchone()[0]
    assert submitted is None
    return answers, changes


def click(browser, name: str, value: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]').click()


def state_of(browser, item: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f'[data-item="{item}"] .save-state').text


def wait_for_the_outage_notice(browser) -> str:
    banner = browser.find_element(By.ID, "connection-status")
    WebDriverWait(browser, 20).until(
        lambda b: banner.is_displayed() and "cannot reach the database" in banner.text
    )
    return banner.text


def wait_until_all_saved(browser) -> None:
    WebDriverWait(browser, 40, poll_frequency=0.2).until(
        lambda b: b.find_element(By.ID, "save-status").text == "All answers saved"
    )
    assert not browser.find_element(By.ID, "connection-status").is_displayed()


def test_answers_given_while_the_database_is_away_arrive_once_when_it_returns(
    site_database, database_proxy, browser, tmp_path, artifacts_dir
):
    manage("migrate", "--noinput", database=site_database)
    seeded = json.loads(manage("shell", "-c", SEED, database=site_database).strip().splitlines()[-1])
    public_id, assignment_pk = seeded["public_id"], seeded["pk"]

    proxy = database_proxy
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = start_server(
            port,
            env={
                "DATABASE_URL": f"postgres://{PG_USER}@127.0.0.1:{proxy.port}/{site_database}",
                "LOG_FORMAT": "json",
            },
            log=log,
        )
    try:
        log_in(browser, base, username="rita_reader", password=PASSWORD)
        case_url = f"{base}/reading/cases/{public_id}/"
        browser.get(case_url)
        WebDriverWait(browser, 20).until(
            lambda b: b.execute_script("return document.readyState") == "complete"
        )

        # Outage 1: answers given in the page stay there and go out when the database is back.
        proxy.cut()
        first = {"A.correctness": "4", "A.completeness": "3", "B.correctness": "5"}
        for name, value in first.items():
            click(browser, name, value)
            # The notice appears above the form and moves it: click only once it is there, or a
            # click can land where a radio button was a moment before.
            notice = wait_for_the_outage_notice(browser)
        assert "will be sent again" in notice
        WebDriverWait(browser, 10).until(
            lambda b: all(state_of(b, item) == "Not saved yet" for item in first)
        )
        assert browser.find_element(By.ID, "save-status").text == "3 answers not saved yet"

        health = requests.get(f"{base}/health/", timeout=10)
        assert health.status_code == 503 and health.json()["database"] is False

        browser.find_element(By.ID, "submit-case").click()  # refused in the page: nothing is lost
        WebDriverWait(browser, 5).until(
            lambda b: "Wait until every answer is saved" in b.find_element(By.ID, "save-status").text
        )
        assert browser.current_url == case_url
        assert browser.find_element(By.CSS_SELECTOR, 'input[name="A.completeness"][value="3"]').is_selected()
        browser.save_screenshot(str(artifacts_dir / "database-unavailable-reading.png"))
        assert stored(site_database, assignment_pk) == ({}, [])

        proxy.restore()
        wait_until_all_saved(browser)
        assert requests.get(f"{base}/health/", timeout=10).json()["database"] is True
        assert all(state_of(browser, item) == "Saved" for item in first)

        # Outage 2: the reader answers, then opens another page (the 503 page) and comes back
        # after the restore; the answers kept in the tab are put back and sent.
        proxy.cut()
        click(browser, "B.completeness", "2")
        wait_for_the_outage_notice(browser)  # the notice moves the form (see outage 1)
        click(browser, "A.error", "true")
        WebDriverWait(browser, 5).until(
            lambda b: b.find_element(By.CSS_SELECTOR, '[data-item="A.error_categories"]').is_displayed()
        )
        click(browser, "A.error_categories", "wrong_measurement")
        browser.find_element(By.CSS_SELECTOR, 'textarea[name="pair.comment"]').send_keys(
            "Rated while the database was away"
        )
        wait_for_the_outage_notice(browser)
        browser.get(f"{base}/reading/")  # at once: the comment's autosave may not have started
        heading = browser.find_element(By.CSS_SELECTOR, "#database-unavailable h1").text
        assert heading == "The database is unavailable for a moment"
        assert (
            "your unsaved answers stay in this browser tab"
            in browser.find_element(By.ID, "database-unavailable").text
        )
        browser.save_screenshot(str(artifacts_dir / "database-unavailable-page.png"))

        proxy.restore()
        browser.get(case_url)
        WebDriverWait(browser, 10).until(
            lambda b: b.find_element(
                By.CSS_SELECTOR, 'input[name="A.error_categories"][value="wrong_measurement"]'
            ).is_selected()
        )
        wait_until_all_saved(browser)
        assert (
            browser.execute_script(
                f"return sessionStorage.getItem('cmr-reader:unsaved:/reading/cases/{public_id}/answer/')"
            )
            is None
        )
        assert_no_csp_violations(browser)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)

    answers, changes = stored(site_database, assignment_pk)
    expected = {
        "A.correctness": 4,
        "A.completeness": 3,
        "B.correctness": 5,
        "B.completeness": 2,
        "A.error": True,
        "A.error_categories": ["wrong_measurement"],
        "pair.comment": "Rated while the database was away",
    }
    assert answers == expected
    # One audit row per item, in the order the reader gave them: each answer was stored exactly
    # once (a resend of one that had landed changes nothing; a value stored twice would be two rows).
    assert changes == list(expected)
    assert len(changes) == 7

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    outage = [line for line in lines if line["logger"] == "cmr_reader.database_unavailable"]
    assert outage and all(line["level"] == "ERROR" and "answered 503" in line["message"] for line in outage)
    assert any(f"/reading/cases/{public_id}/answer/" in line["message"] for line in outage)
