"""Reading time: the page's activity reports add up, and no report, burst or script can add
more time than really passed."""

import math
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cmr_reader.studies import answers
from cmr_reader.studies.answers import ACTIVITY_SLACK_SECONDS, MAX_ACTIVITY_SECONDS
from cmr_reader.studies.models import Assignment
from tests.studies_tests.test_answers import first_assignment

pytestmark = pytest.mark.django_db

# When the reader opened the case; reports below are timed from here.
OPENED = timezone.now().replace(microsecond=0) - timedelta(hours=2)


def opened_case(user) -> Assignment:
    assignment = first_assignment(user)
    Assignment.objects.filter(pk=assignment.pk).update(opened_at=OPENED)
    return assignment


def report(assignment: Assignment, user, seconds: float, *, after: float) -> float:
    """One activity report, ``after`` seconds after the case was opened."""
    return answers.record_activity(
        assignment_id=assignment.pk, user=user, seconds=seconds, now=OPENED + timedelta(seconds=after)
    )


def active_seconds(assignment: Assignment) -> float:
    assignment.refresh_from_db()
    return assignment.active_seconds


def test_heartbeats_every_thirty_seconds_add_their_time(assigned_study, reader):
    assignment = opened_case(reader)
    report(assignment, reader, 30, after=30)
    report(assignment, reader, 29.5, after=60)
    report(assignment, reader, 12, after=90)  # idle for part of the interval
    assert active_seconds(assignment) == pytest.approx(71.5)


def test_a_report_arriving_a_little_early_still_counts_whole(assigned_study, reader):
    assignment = opened_case(reader)
    report(assignment, reader, 30, after=30.6)  # the first was delayed on the network
    report(assignment, reader, 30, after=60.0)
    assert active_seconds(assignment) == pytest.approx(60)


def test_a_failed_report_carried_into_the_next_counts_once(assigned_study, reader):
    assignment = opened_case(reader)
    report(assignment, reader, 30, after=30)  # saved, but the page never saw the answer
    report(assignment, reader, 60, after=60)  # so it sends those 30 s again
    assert active_seconds(assignment) == pytest.approx(60, abs=ACTIVITY_SLACK_SECONDS)


def test_a_huge_report_counts_no_more_than_the_time_since_the_last(assigned_study, reader):
    assignment = opened_case(reader)
    assert report(assignment, reader, 1e9, after=30) <= 30 + ACTIVITY_SLACK_SECONDS
    # After a long pause one report still counts a few heartbeats at most.
    assert report(assignment, reader, 1e9, after=10 * 3600) == MAX_ACTIVITY_SECONDS
    assert active_seconds(assignment) <= 30 + ACTIVITY_SLACK_SECONDS + MAX_ACTIVITY_SECONDS


def test_a_burst_of_reports_within_one_second_adds_about_one_second(assigned_study, reader):
    assignment = opened_case(reader)
    report(assignment, reader, 30, after=30)
    before = active_seconds(assignment)

    for n in range(100):
        report(assignment, reader, MAX_ACTIVITY_SECONDS, after=30 + n / 100)

    assert active_seconds(assignment) - before <= 1 + ACTIVITY_SLACK_SECONDS


def test_a_report_that_gets_the_lock_after_a_later_one_counts_nothing(assigned_study, reader):
    assignment = opened_case(reader)
    report(assignment, reader, 30, after=60)
    assert report(assignment, reader, 30, after=45) == 0
    assert active_seconds(assignment) == 30


def test_reports_for_a_case_never_opened_count_only_the_slack(assigned_study, reader):
    assignment = first_assignment(reader)
    assert report(assignment, reader, 30, after=30) == ACTIVITY_SLACK_SECONDS


@pytest.mark.parametrize("seconds", [-5, -0.001, math.nan, math.inf, -math.inf])
def test_negative_and_non_finite_reports_are_refused(seconds, assigned_study, reader):
    assignment = opened_case(reader)
    with pytest.raises(answers.InvalidActivity):
        report(assignment, reader, seconds, after=30)
    assert active_seconds(assignment) == 0


def activity_url(assignment: Assignment) -> str:
    return f"/reading/cases/{assignment.public_id}/activity/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "body",
    [
        b'{"seconds": -5}',
        b'{"seconds": NaN}',
        b'{"seconds": Infinity}',
        b'{"seconds": -Infinity}',
        b'{"seconds": "30"}',
        b'{"seconds": "abc"}',
        b'{"seconds": true}',
        b'{"seconds": null}',
        b'{"seconds": [30]}',
        b'{"seconds": {"n": 30}}',
        b'{"seconds": 1' + b"0" * 400 + b"}",
        b'{"secs": 30}',
        b"[30]",
        b"30",
        b"",
        b"{not json",
        b'{"seconds": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
)
def test_the_endpoint_answers_400_to_anything_but_a_number_of_seconds(body, assigned_study, reader):
    assignment = opened_case(reader)
    response = client_for(reader).post(activity_url(assignment), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert active_seconds(assignment) == 0


def test_the_endpoint_counts_a_real_heartbeat_and_caps_a_huge_one_by_the_clock(assigned_study, reader):
    assignment = first_assignment(reader)
    client = client_for(reader)
    client.get(f"/reading/cases/{assignment.public_id}/")  # opens it, now
    assignment.refresh_from_db()
    Assignment.objects.filter(pk=assignment.pk).update(opened_at=assignment.opened_at - timedelta(seconds=30))

    counted = client.post(activity_url(assignment), {"seconds": 29.5}, content_type="application/json")
    for _ in range(20):
        client.post(activity_url(assignment), {"seconds": 10**9}, content_type="application/json")

    assert counted.status_code == 200 and counted.json() == {"ok": True}
    # 29.5 s, plus what the clock allowed while the twenty posts ran: well under a minute.
    assert 29.5 <= active_seconds(assignment) < 29.5 + ACTIVITY_SLACK_SECONDS + 10
