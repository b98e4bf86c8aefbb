"""What one autosave costs: its round trips to the database, and the rows it locks.

Every click of every reader is a save (bench/bench_autosave.py measures them under load). Two
things made saves queue: a lookup of the assignment before the locking query, and a lock that
took the study's row with the assignment's, so that all readers of a study waited on each other.
"""

import json
import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmr_reader.studies import answer_statements, answers
from cmr_reader.studies.models import Answer, AnswerChange, Assignment, Criterion
from tests.studies_tests.conftest import NOW, build_study

pytestmark = pytest.mark.django_db


def first_assignment(user) -> Assignment:
    return Assignment.objects.filter(reader=user, is_repeat=False).order_by("position").first()


def test_an_autosave_finds_and_locks_the_assignment_in_one_query(client, assigned_study, reader):
    assignment = first_assignment(reader)
    client.force_login(reader)
    url = reverse("reading:answer", args=[assignment.public_id])
    post = lambda value: client.post(  # noqa: E731 - two calls below
        url, json.dumps({"item": "A.correctness", "value": value}), content_type="application/json"
    )
    assert post(3).status_code == 200  # the criteria of the locked design are read once here

    with CaptureQueriesContext(connection) as context:
        response = post(4)

    assert response.status_code == 200 and response.json()["ok"] is True
    statements = [q["sql"] for q in context.captured_queries]
    data = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    # session, user with its roles; lock (with the study), answers; the write: on PostgreSQL the
    # answer, its audit row and the opening in one statement, on SQLite one after another
    writes = 1 if connection.vendor == "postgresql" else 2
    assert len([s for s in data if s not in ("BEGIN", "COMMIT")]) == 4 + writes, "\n".join(data)
    assert not any("studies_criterion" in s for s in data)
    assert sum("studies_assignment" in s.split(" WHERE ")[0] for s in data if s.startswith("SELECT")) == 1


def test_criteria_are_read_afresh_while_the_design_is_open(assigned_study):
    study = assigned_study.study
    before = answers.questionnaire_for(study).criteria
    study.state = study.State.DRAFT
    Criterion.objects.create(
        study=study, key="clarity", label="Clarity", order=99, anchors=["1", "2", "3", "4", "5"]
    )
    assert answers.questionnaire_for(study).criteria == (*before, "clarity")


def test_a_save_for_a_case_not_open_to_the_reader_is_a_404(client, assigned_study, reader, other_reader):
    theirs = first_assignment(other_reader)
    client.force_login(reader)
    response = client.post(
        reverse("reading:answer", args=[theirs.public_id]),
        json.dumps({"item": "A.correctness", "value": 3}),
        content_type="application/json",
    )
    assert response.status_code == 404


def while_a_save_is_held(hold, meanwhile, *, until=None) -> dict:
    """Run ``hold`` in a transaction kept open in one thread and ``meanwhile`` in another; before
    the hold ends, poll ``until`` (if given) for up to 4 s. Returns what ``meanwhile`` returned
    ("saved") or raised ("error"), and whether ``until`` came true ("until")."""
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def held():
        try:
            with transaction.atomic():
                hold()
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    def other():
        try:
            outcome["saved"] = meanwhile()
        except Exception as error:  # noqa: BLE001 - the caller asserts on it
            outcome["error"] = error
        finally:
            connection.close()

    holder = threading.Thread(target=held)
    holder.start()
    assert holding.wait(10)
    second = threading.Thread(target=other)
    second.start()
    if until is not None:
        outcome["until"] = any(until() or time.sleep(0.02) for _ in range(200))
    else:
        second.join(15)
    release.set()
    holder.join(15)
    second.join(15)
    return outcome


@pytest.mark.django_db(transaction=True)
def test_readers_of_one_study_do_not_wait_for_each_others_saves(reader, other_reader):
    """One reader's save holds its lock while another reader of the same study saves."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every write")
    build_study(readers=[reader, other_reader])
    mine, theirs = first_assignment(reader), first_assignment(other_reader)

    def save_with_a_short_lock_timeout():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            return answers.save_answer(
                public_id=theirs.public_id, user=other_reader, item="A.correctness", value=2, now=NOW
            )

    outcome = while_a_save_is_held(
        # what a save locks first
        lambda: answer_statements.lock_open(mine.public_id, reader_id=reader.pk, now=NOW),
        save_with_a_short_lock_timeout,
    )

    assert "error" not in outcome, outcome.get("error")
    assert outcome["saved"].version == 1


def a_session_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_save_that_waited_for_the_lock_builds_on_the_save_before_it(reader):
    """The answers are read after the lock is granted, not in the locking statement: under READ
    COMMITTED that statement's snapshot predates the lock, and the waiting save would overwrite
    the first one's answer from a stale copy (answer_statements' docstring)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every write")
    build_study(readers=[reader], readers_per_case=1, overlap=0)
    mine = first_assignment(reader)
    save = {"public_id": mine.public_id, "user": reader, "item": "A.correctness", "now": NOW}

    outcome = while_a_save_is_held(
        lambda: answers.save_answer(value=3, **save),
        lambda: answers.save_answer(value=4, **save),
        until=a_session_waits_for_a_lock,
    )

    assert outcome["until"], "the second save never waited for the first one's lock"
    assert "error" not in outcome, outcome.get("error")
    assert outcome["saved"].version == 2
    assert Answer.objects.get(assignment=mine, item="A.correctness").value == 4
    changes = AnswerChange.objects.filter(assignment=mine, item="A.correctness").order_by("id")
    assert [(c.old_value, c.new_value) for c in changes] == [(None, 3), (3, 4)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="round trips are PostgreSQL's wire protocol")
@pytest.mark.django_db(transaction=True)  # the save's own BEGIN and COMMIT, not a test's savepoint
def test_an_autosave_waits_for_the_database_seven_times(client, assigned_study, reader, tmp_path):
    """Counted on the wire (libpq's trace of what the client sends): each Sync, Flush or simple
    Query is a wait for the server's reply. The session, the user with its roles, BEGIN, the
    lock, the answers, the write (one statement) and COMMIT; a served request adds the health
    check (CONN_HEALTH_CHECKS), which the test client skips. Sending the lock and the read
    together (psycopg's pipeline) saved one of these and was not measurably faster under the
    bench (decision 0031), so a new wait here should be a choice, not an accident."""
    from psycopg import pq

    assignment = first_assignment(reader)
    client.force_login(reader)
    url = reverse("reading:answer", args=[assignment.public_id])
    post = lambda value: client.post(  # noqa: E731 - two calls below
        url, json.dumps({"item": "A.correctness", "value": value}), content_type="application/json"
    )
    assert post(3).status_code == 200
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as out:
        pgconn.trace(out.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            response = post(4)
        finally:
            pgconn.untrace()

    assert response.json()["ok"] is True
    sent = [line.split("\t") for line in trace.read_text().splitlines() if line.startswith("F\t")]
    waits = [fields for fields in sent if fields[2].startswith(("Sync", "Flush", "Query"))]
    assert len(waits) == 7, "\n".join("\t".join(fields) for fields in sent)
    assert any("BEGIN" in fields[3] for fields in sent) and any("COMMIT" in fields[3] for fields in sent)
