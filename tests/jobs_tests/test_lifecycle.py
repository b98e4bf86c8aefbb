"""The shared job lifecycle (cmr_reader/jobs/lifecycle.py), on a real job model: who may claim,
renew, end and queue a job again, and when."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.imaging.models import ImportJob
from cmr_reader.jobs import lifecycle
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def job():
    return ImportJob.objects.create(source=ImportJob.Source.UPLOAD)


def test_a_queued_job_is_claimed_once_under_a_lease(job):
    now = timezone.now()
    first = lifecycle.claim(ImportJob, job.pk, worker="gpu-1:10", now=now)
    second = lifecycle.claim(ImportJob, job.pk, worker="gpu-2:20", now=now)

    assert second is None
    assert (first.state, first.lease_owner, first.attempts) == (ImportJob.State.RUNNING, "gpu-1:10", 1)
    assert first.lease_expires_at == now + ImportJob.LEASE and first.started_at == now


def test_a_job_past_its_lease_is_taken_over_and_its_first_worker_can_no_longer_touch_it(job):
    start = timezone.now()
    first = lifecycle.claim(ImportJob, job.pk, worker="gpu-1:10", now=start)
    assert not first.is_stalled(now=start + ImportJob.LEASE - timedelta(seconds=1))
    assert (
        lifecycle.claim(
            ImportJob, job.pk, worker="gpu-2:20", now=start + ImportJob.LEASE - timedelta(seconds=1)
        )
        is None
    )

    later = start + ImportJob.LEASE + timedelta(seconds=1)
    assert first.is_stalled(now=later)
    second = lifecycle.claim(ImportJob, job.pk, worker="gpu-2:20", now=later)

    assert (second.lease_owner, second.attempts, second.started_at) == ("gpu-2:20", 2, start)
    assert lifecycle.heartbeat(first, processed_files=7) is False
    assert lifecycle.finish(first) is False and lifecycle.fail(first, error="late") is False
    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.processed_files) == (ImportJob.State.RUNNING, "gpu-2:20", 0)


def test_a_heartbeat_moves_the_lease_on_and_writes_progress(job):
    start = timezone.now()
    claimed = lifecycle.claim(ImportJob, job.pk, worker="w:1", now=start)

    assert lifecycle.heartbeat(claimed, now=start + timedelta(minutes=4), processed_files=3)
    job.refresh_from_db()
    assert job.processed_files == 3 and job.lease_expires_at == start + timedelta(minutes=4) + ImportJob.LEASE
    assert (
        lifecycle.claim(ImportJob, job.pk, worker="w:2", now=start + ImportJob.LEASE + timedelta(seconds=1))
        is None
    )


def test_finishing_and_failing_end_the_lease(job):
    other = ImportJob.objects.create(source=ImportJob.Source.UPLOAD)
    done = lifecycle.claim(ImportJob, job.pk, worker="w:1")
    failed = lifecycle.claim(ImportJob, other.pk, worker="w:1")

    assert lifecycle.finish(done, summary={"ok": True})
    assert lifecycle.fail(failed, error="x" * 5000)
    job.refresh_from_db()
    other.refresh_from_db()
    assert (job.state, job.summary, job.lease_expires_at) == (ImportJob.State.DONE, {"ok": True}, None)
    assert job.finished_at is not None
    assert (other.state, len(other.error)) == (ImportJob.State.FAILED, 2000)
    assert lifecycle.claim(ImportJob, job.pk) is None and lifecycle.claim(ImportJob, other.pk) is None


def test_only_failed_or_stalled_jobs_are_queued_again(job):
    now = timezone.now()
    assert lifecycle.requeue(ImportJob, job.pk) is None  # queued already
    running = lifecycle.claim(ImportJob, job.pk, worker="w:1", now=now)
    assert lifecycle.requeue(ImportJob, job.pk, now=now) is None  # running fine
    requeued = lifecycle.requeue(ImportJob, job.pk, now=now + ImportJob.LEASE + timedelta(seconds=1))

    assert (requeued.state, requeued.lease_owner, requeued.lease_expires_at) == (
        ImportJob.State.QUEUED,
        "",
        None,
    )
    assert lifecycle.heartbeat(running) is False
    assert lifecycle.claim(ImportJob, job.pk).attempts == 2


def test_each_kind_has_its_own_lease(settings):
    from cmr_reader.reports.models import GenerationChunk

    settings.GENERATION_LEASE_SECONDS = 42
    assert ImportJob.lease() == timedelta(minutes=5)
    assert AnalysisRun.lease() == timedelta(minutes=15)
    assert GenerationChunk.lease() == timedelta(seconds=42)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_start_one_analysis(coordinator, reader, other_reader):
    """Two POSTs at the same moment (two tabs, a double click through a slow proxy): on
    PostgreSQL both transactions see no active run; the constraint lets one insert win."""
    study = build_study(readers=[reader, other_reader], cases=2).study
    barrier = threading.Barrier(2)
    statuses = []

    def post():
        try:
            client = Client()
            client.force_login(coordinator)
            barrier.wait(timeout=10)
            statuses.append(client.post(f"/studies/{study.pk}/analysis/runs/", {"bootstrap": 0}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [302, 302]
    assert AnalysisRun.objects.filter(study=study).count() == 1
    assert AnalysisRun.objects.get(study=study).state == AnalysisRun.State.QUEUED


def test_a_released_job_can_be_claimed_at_once_by_another_worker(job):
    now = timezone.now()
    held = lifecycle.claim(ImportJob, job.pk, worker="gpu-1:10", now=now)

    assert lifecycle.release(held, now=now, error="gpu-1 gave it back")
    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.lease_expires_at, job.error) == (
        ImportJob.State.QUEUED,
        "",
        None,
        "gpu-1 gave it back",
    )
    assert (held.state, held.error) == (ImportJob.State.QUEUED, "gpu-1 gave it back")
    # Well within the first lease: another worker need not wait for it to run out.
    taken = lifecycle.claim(ImportJob, job.pk, worker="gpu-2:20", now=now + timedelta(seconds=1))
    assert (taken.lease_owner, taken.attempts, taken.started_at) == ("gpu-2:20", 2, now)
    # The first worker holds it no more: it can neither release nor end it behind gpu-2's back.
    assert lifecycle.release(held) is False and lifecycle.finish(held) is False
    job.refresh_from_db()
    assert (job.state, job.lease_owner) == (ImportJob.State.RUNNING, "gpu-2:20")
