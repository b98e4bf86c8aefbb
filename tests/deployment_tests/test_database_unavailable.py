"""While the database is unavailable, pages answer 503 with a clear page and scripts get JSON
that says to retry. The fault is injected under Django's database layer with
``connection.execute_wrapper``, so every query of the real stack fails (the session load, the
login, the view's service); the real outage, PostgreSQL behind a cut connection, is in
``tests/fault_tests/test_database_unavailable.py``."""

import json
import logging

import pytest
from django.db import IntegrityError, OperationalError, connection
from django.test import Client

from cmr_reader.studies.models import Answer, AnswerChange, Assignment
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


def refuse_queries_on(table: str, *, error=OperationalError):
    def refuse(execute, sql, params, many, context):
        if table in sql:
            raise error(f"server closed the connection unexpectedly while writing {table}")
        return execute(sql, params, many, context)

    return refuse


@pytest.fixture
def reader_client(reader) -> Client:
    # Exceptions raised in a middleware become a 500 before our middleware sees them; the test
    # client would raise those instead of returning the response a browser gets.
    client = Client(raise_request_exception=False)
    client.force_login(reader)
    return client


@pytest.fixture
def assignment(reader, other_reader) -> Assignment:
    build_study(readers=[reader, other_reader], cases=2, overlap=0)
    return Assignment.objects.filter(reader=reader).order_by("position").first()


def test_a_page_load_while_the_database_is_down_gets_the_clear_503_page(reader_client, assignment, caplog):
    with caplog.at_level(logging.ERROR, logger="cmr_reader.database_unavailable"):
        with connection.execute_wrapper(refuse_every_query):
            response = reader_client.get(
                f"/reading/cases/{assignment.public_id}/", HTTP_ACCEPT=BROWSER_ACCEPT
            )

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "The database is unavailable for a moment" in page
    assert "your unsaved answers stay in this browser tab" in page
    assert f'href="/reading/cases/{assignment.public_id}/"' in page  # "Try again"
    assert "Content-Security-Policy" in response  # still under the site's policy
    assert any("database unavailable: GET /reading/cases/" in r.getMessage() for r in caplog.records)


def test_an_autosave_while_the_database_is_down_gets_json_that_says_retry(reader_client, assignment):
    with connection.execute_wrapper(refuse_every_query):
        response = reader_client.post(
            f"/reading/cases/{assignment.public_id}/answer/",
            data=json.dumps({"item": "A.correctness", "value": 4}),
            content_type="application/json",
        )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["ok"] is False and body["retry"] is True
    assert "database is unavailable" in body["error"]


def test_a_connection_lost_in_the_middle_of_a_save_leaves_nothing_half_written(reader_client, assignment):
    # The session, the login and the answer row go through; the audit row, written last in the
    # same transaction, does not: the answer row must go with it.
    with connection.execute_wrapper(refuse_queries_on("studies_answerchange")):
        response = reader_client.post(
            f"/reading/cases/{assignment.public_id}/answer/",
            data=json.dumps({"item": "A.correctness", "value": 4}),
            content_type="application/json",
        )

    assert response.status_code == 503 and response.json()["retry"] is True
    assert not Answer.objects.filter(assignment=assignment).exists()
    assert not AnswerChange.objects.filter(assignment=assignment).exists()

    # Sent again when the database is back: stored once, audited once, and once more changes nothing.
    for _attempt in range(2):
        response = reader_client.post(
            f"/reading/cases/{assignment.public_id}/answer/",
            data=json.dumps({"item": "A.correctness", "value": 4}),
            content_type="application/json",
        )
        assert response.status_code == 200
    assert list(Answer.objects.filter(assignment=assignment).values_list("item", "value")) == [
        ("A.correctness", 4)
    ]
    assert AnswerChange.objects.filter(assignment=assignment).count() == 1


def test_submitting_a_case_while_the_database_is_down_is_refused_with_a_way_back(reader_client, assignment):
    page = f"http://testserver/reading/cases/{assignment.public_id}/"
    with connection.execute_wrapper(refuse_every_query):
        response = reader_client.post(
            f"/reading/cases/{assignment.public_id}/submit/", HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_REFERER=page
        )

    assert response.status_code == 503
    assert f'href="{page}"' in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.submitted_at is None


def test_the_503_page_is_in_the_readers_language(reader_client, assignment):
    with connection.execute_wrapper(refuse_every_query):
        response = reader_client.get("/reading/", HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 503
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_api_clients_get_json(reader_client, assignment):
    with connection.execute_wrapper(refuse_every_query):
        response = reader_client.get("/api/cases/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 503
    assert response.json()["retry"] is True


def test_health_reports_the_database_down(client):
    with connection.execute_wrapper(refuse_every_query):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["database"] is False


def test_other_database_errors_stay_server_errors(reader_client, assignment):
    # A broken constraint is a bug, not an outage: no "try again" for it.
    with connection.execute_wrapper(refuse_queries_on("studies_assignment", error=IntegrityError)):
        response = reader_client.get(f"/reading/cases/{assignment.public_id}/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 500
    assert "Retry-After" not in response
