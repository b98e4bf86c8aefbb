"""Committing a previewed reports upload: the import as a background job with progress.

``commit_report_import`` marks an upload committed and sends its task (``run_report_import_task``,
run by the database task worker); ``run_report_import_job`` does the import, writing rows done out
of the total with the lease's renewal (cmr_reader/jobs/lifecycle.py, decisions/0019). Every row is
its own transaction and the services are idempotent, so a job whose worker died is run again from
the start (``retry_report_import``): rows the first worker stored come back as duplicates.
"""

import logging
import shutil
import time
import traceback
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from cmr_reader.jobs import lifecycle
from cmr_reader.reports.import_reasons import STORED_LANGUAGE
from cmr_reader.reports.models import ReportImportJob
from cmr_reader.reports.report_files import ReportFileError
from cmr_reader.reports.report_import import RowOutcome
from cmr_reader.reports.report_uploads import import_rows, rows_of_file, staged_path, staging_dir_for

logger = logging.getLogger(__name__)

# How often a running import writes its progress (and renews its lease).
PROGRESS_INTERVAL_S = 0.5


class LeaseLost(Exception):
    """Another worker took the job over (this one stalled past its lease): stop without a word."""


@transaction.atomic
def commit_report_import(*, job_id, now: datetime) -> ReportImportJob:
    """Confirm a previewed upload and queue its import.

    Raises ReportImportJob.DoesNotExist, or ValueError when it was committed already (a second
    press of the button must not import twice, though doing so would change nothing).
    """
    committed = ReportImportJob.objects.filter(pk=job_id, committed_at__isnull=True).update(
        committed_at=now, updated_at=now
    )
    job = ReportImportJob.objects.get(pk=job_id)
    if not committed:
        raise ValueError(f"report import {job.pk} is committed already")
    _enqueue(job)
    return job


@transaction.atomic
def retry_report_import(*, job_id, now: datetime) -> ReportImportJob:
    """Queue a failed or stalled import again. Raises ReportImportJob.DoesNotExist, or ValueError
    when the job is not retryable (not committed, running fine, or done)."""
    job = ReportImportJob.objects.get(pk=job_id)
    queued = lifecycle.requeue(ReportImportJob, job.pk, now=now) if job.can_be_retried(now=now) else None
    if queued is None:
        raise ValueError(f"report import {job.pk} cannot be retried in state {job.state}")
    _enqueue(queued)
    return queued


def _enqueue(job: ReportImportJob) -> None:
    # After commit, so the worker never gets an id whose row it cannot read yet.
    transaction.on_commit(lambda: run_report_import_task.enqueue(job_id=str(job.pk)))


@task(queue_name="imports")
def run_report_import_task(*, job_id: str) -> dict:
    if not ReportImportJob.objects.filter(pk=job_id, committed_at__isnull=False).exists():
        return {"skipped": True}
    job = lifecycle.claim(ReportImportJob, job_id)
    if job is None:
        # A duplicate delivery, or the job ended: it runs once.
        return {"skipped": True}
    return run_report_import_job(job=job)


def run_report_import_job(
    *, job: ReportImportJob, clock: Callable[[], float] = time.monotonic, now: datetime | None = None
) -> dict:
    """Import a committed upload to the end, writing progress as it goes; the summary it stores.

    A failure is stored on the job with a reason a coordinator can read; the staged file is kept
    for a retry, and deleted once the import is done.
    """
    job = lifecycle.held_or_claimed(job, lambda: lifecycle.claim(ReportImportJob, job.pk))
    now = now or timezone.now()
    progress = _Progress(job, clock=clock)
    try:
        # Reasons are stored in one language, whoever's request or worker runs the job.
        with translation.override(STORED_LANGUAGE):
            summary = _import(job, progress=progress, now=now)
    except LeaseLost:
        logger.warning("report import %s was taken over by another worker", job.pk)
        return {"lost": True}
    except ReportFileError as error:
        # One of our own messages, made in the stored language.
        lifecycle.fail(job, error=str(error))
        return {"error": str(error)}
    except Exception as error:
        # The message may quote a row's values (identifiers): the log gets the traceback's frames,
        # the job and the task runner only the error's type.
        logger.error(
            "report import %s failed: %s\n%s",
            job.pk,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)).rstrip(),
        )
        with translation.override(STORED_LANGUAGE):
            reason = _(
                "The import stopped with an unexpected error (%(error)s); run it again or ask your "
                "administrator."
            ) % {"error": type(error).__name__}
        lifecycle.fail(job, error=reason)
        raise RuntimeError(reason) from None
    if lifecycle.finish(
        job, summary=summary, rows_done=progress.done, rows_total=job.rows_total, staged_file=""
    ):
        shutil.rmtree(staging_dir_for(job.pk), ignore_errors=True)
    return summary


def _import(job: ReportImportJob, *, progress: "_Progress", now: datetime) -> dict:
    path = staged_path(job)
    if not job.staged_file or not path.is_file():
        raise ReportFileError(_("The staged file is gone; upload the file again."))
    data = path.read_bytes()
    # Counted first from a fresh read, so that the progress bar knows its end; a count that takes
    # long (a large workbook) renews the lease as it goes.
    rows, _encoding = rows_of_file(data=data, kind=job.kind, file_format=job.file_format)
    job.rows_total = 0
    for _row in rows:
        job.rows_total += 1
        progress.write()
    progress.write(force=True)
    rows, encoding = rows_of_file(data=data, kind=job.kind, file_format=job.file_format)
    summary = import_rows(
        rows=rows,
        kind=job.kind,
        file_name=job.file_name,
        sha256=job.sha256,
        file_format=job.file_format,
        encoding=encoding,
        now=now,
        on_row=progress.row_done,
    )
    return {**summary, "encoding": encoding, "attempt": job.attempts}


class _Progress:
    """Rows done, written with the lease's renewal at most every ``PROGRESS_INTERVAL_S``."""

    def __init__(self, job: ReportImportJob, *, clock: Callable[[], float]):
        self.job, self.clock, self.done = job, clock, 0
        self.last_write = clock()

    def row_done(self, _outcome: RowOutcome) -> None:
        self.done += 1
        self.write()

    def write(self, *, force: bool = False) -> None:
        if not force and self.clock() - self.last_write < PROGRESS_INTERVAL_S:
            return
        self.last_write = self.clock()
        if not lifecycle.heartbeat(self.job, rows_done=self.done, rows_total=self.job.rows_total):
            raise LeaseLost
