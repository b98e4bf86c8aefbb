"""Moving a background job through its states: claim, heartbeat, finish, fail, release, queue again.

Every transition is one conditional UPDATE, so two workers (or a worker and a retry) racing for a
job cannot both win, on SQLite or PostgreSQL. A worker holds a job while its lease lasts; every
function after ``claim`` acts only while the job is still this worker's (``lease_owner``), so a
worker that lost its job to another (it stalled, and its lease was taken over) cannot finish or
fail it behind the new owner's back.
"""

import os
import socket
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from cmr_reader.jobs.model import BackgroundJob, JobState

Job = TypeVar("Job", bound=BackgroundJob)


def worker_name() -> str:
    """This process, as ``lease_owner`` records it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def claim(model: type[Job], pk, *, worker: str | None = None, now: datetime | None = None) -> Job | None:
    """Queued -> running, or running past its lease -> running again under a new lease (a takeover
    of a job whose worker died). None when the job is neither: another worker has it, or it ended."""
    now = now or timezone.now()
    claimable = Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, lease_expires_at__lt=now)
    claimed = model.objects.filter(Q(pk=pk) & claimable).update(
        state=JobState.RUNNING,
        lease_owner=worker or worker_name(),
        lease_expires_at=now + model.lease(),
        attempts=F("attempts") + 1,
        started_at=Coalesce("started_at", now),
        finished_at=None,
        error="",
        updated_at=now,
    )
    return model.objects.get(pk=pk) if claimed else None


def held_or_claimed(job: Job, claim: Callable[[], Job | None]) -> Job:
    """``job`` when this process already holds it (a task claimed it), else the job as ``claim``
    claims it now (a command runs it in the foreground). ValueError when it cannot be claimed
    (another worker has it, or it ended)."""
    if job.state == JobState.RUNNING and job.lease_owner == worker_name():
        return job
    claimed = claim()
    if claimed is None:
        raise ValueError(f"{job._meta.verbose_name} {job.pk} is {job.state} and cannot be run now")
    return claimed


def _still_mine(job: BackgroundJob):
    return type(job).objects.filter(pk=job.pk, state=JobState.RUNNING, lease_owner=job.lease_owner)


def heartbeat(job: BackgroundJob, *, now: datetime | None = None, **fields) -> bool:
    """Renew the lease, writing ``fields`` (progress) with it. False when the job is no longer this
    worker's: the caller should stop."""
    now = now or timezone.now()
    expires = now + type(job).lease()
    renewed = _still_mine(job).update(lease_expires_at=expires, updated_at=now, **fields)
    if renewed:
        job.lease_expires_at = expires
    return bool(renewed)


def finish(job: BackgroundJob, *, now: datetime | None = None, **fields) -> bool:
    """Running -> done, with ``fields`` (results) in the same write."""
    # Without django-stubs mypy reads a TextChoices member as its (value, label) tuple; it is a str.
    return _end(job, JobState.DONE, now=now, **fields)  # type: ignore[arg-type]


def fail(job: BackgroundJob, *, error: str, now: datetime | None = None, **fields) -> bool:
    """Running -> failed with the reason a coordinator reads."""
    # A TextChoices member, a str at run time (see ``finish``).
    return _end(job, JobState.FAILED, now=now, error=error[:2000], **fields)  # type: ignore[arg-type]


def _end(job: BackgroundJob, state: str, *, now: datetime | None, **fields) -> bool:
    now = now or timezone.now()
    ended = _still_mine(job).update(
        state=state, finished_at=now, lease_expires_at=None, updated_at=now, **fields
    )
    if ended:
        job.state, job.finished_at, job.lease_expires_at = state, now, None
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(ended)


def release(job: BackgroundJob, *, now: datetime | None = None, **fields) -> bool:
    """Running -> queued, its lease given up with ``fields`` (why) in the same write, so another
    worker may claim it at once instead of waiting for the lease to run out. False when the job is
    no longer this worker's."""
    now = now or timezone.now()
    released = _still_mine(job).update(
        state=JobState.QUEUED, lease_owner="", lease_expires_at=None, updated_at=now, **fields
    )
    if released:
        job.state, job.lease_owner, job.lease_expires_at = JobState.QUEUED, "", None
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(released)


def requeue(model: type[Job], pk, *, now: datetime | None = None, **fields) -> Job | None:
    """Failed, or running past its lease -> queued again (a coordinator's retry); None when the
    job is neither (it is running fine, queued or done)."""
    now = now or timezone.now()
    retryable = Q(state=JobState.FAILED) | Q(state=JobState.RUNNING, lease_expires_at__lt=now)
    queued = model.objects.filter(Q(pk=pk) & retryable).update(
        state=JobState.QUEUED,
        lease_owner="",
        lease_expires_at=None,
        error="",
        finished_at=None,
        updated_at=timezone.now(),
        **fields,
    )
    return model.objects.get(pk=pk) if queued else None
