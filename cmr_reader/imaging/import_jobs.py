"""Import jobs: the coordinator-visible record of an import, and running one with progress.

Views and commands create a job and call ``enqueue_import_job`` (the background task below) or
``run_import_job`` (which does the work, in the task or in the foreground for the command line).
The job's states, lease and retries are the shared lifecycle (cmr_reader/jobs/lifecycle.py).
"""

import errno
import logging
import shutil
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from cmr_reader.imaging.display_names import error_without_names, safe_display_name
from cmr_reader.imaging.ingest import ImportSummary, import_sources
from cmr_reader.imaging.instance_store import dicom_store
from cmr_reader.imaging.models import Case, ImportJob
from cmr_reader.imaging.pacs_browse import pull_plan
from cmr_reader.imaging.pacs_import import PacsError, iter_pacs_sources
from cmr_reader.imaging.rejection_reasons import STORED_LANGUAGE
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
from cmr_reader.imaging.sources import DicomSource, iter_path_sources, looks_like_zip
from cmr_reader.jobs import lifecycle

logger = logging.getLogger(__name__)

# Errors whose text is one of our own messages (rejection_reasons), made from what the PACS
# answered, never from a file name: kept as written (a PACS's URL is not a patient's folder).
OWN_MESSAGE_ERRORS = (PacsError,)
# How often a running import writes its progress row: often enough for a progress bar, rarely
# enough that a 5,000-file import does not spend its time updating one row.
PROGRESS_INTERVAL_S = 0.5


def staging_dir_for(job: ImportJob) -> Path:
    return Path(settings.UPLOAD_STAGING_ROOT) / str(job.pk)


@transaction.atomic
def create_upload_job(*, files: Iterable[UploadedFile], user) -> ImportJob:
    """Stage uploaded files (names made safe, order kept) and record a queued job."""
    job = ImportJob.objects.create(source=ImportJob.Source.UPLOAD, created_by=user)
    staging = staging_dir_for(job)
    staging.mkdir(parents=True, exist_ok=True)
    names = []
    for index, upload in enumerate(files):
        # The browser's file name is untrusted and may name the patient: keep a cleaned last
        # component, under a numbered name that cannot escape the staging folder.
        display = safe_display_name(upload.name or "file")[:120]
        chunks = upload.chunks()
        first = next(chunks, b"")
        name = _safe_name(display)
        if looks_like_zip(first) and not name.lower().endswith(".zip"):
            # Archives are opened by their name (sources.iter_path_sources): a zip that lost it
            # ("export.zip.part" from a download that stopped, a long name cut above) is opened
            # anyway, and a damaged one is reported as a damaged archive, not as "not DICOM".
            name += ".zip"
        # One numbered folder per file keeps the upload order and lets the source name (which
        # drops folders) be the cleaned browser name.
        target = staging / f"{index:06d}" / name
        target.parent.mkdir()
        with target.open("wb") as handle:
            handle.write(first)
            for chunk in chunks:
                handle.write(chunk)
        names.append(display)
    job.total_files = len(names)
    job.label = _upload_label(names)
    job.save(update_fields=["total_files", "label"])
    return job


class CaseChange(models.TextChoices):
    NEW = "new", gettext_lazy("New case")
    UPDATED = "updated", gettext_lazy("Added to an existing case")
    UNCHANGED = "unchanged", gettext_lazy("Already imported: nothing added")


@dataclass(frozen=True)
class ImportedCase:
    """A case an import reached, as its job page lists it."""

    case_id: str
    change: CaseChange | None  # None for a job finished before imports recorded it
    series_added: int | None
    instances_added: int | None
    is_held: bool  # False for a case deleted since: there is nothing to open


def cases_of_import_job(job: ImportJob) -> list[ImportedCase]:
    """The cases a finished import created, added to or found already complete (``summary``)."""
    entries = job.summary.get("cases")
    if entries is None:
        # Jobs finished before the per-case record kept only which cases got instances.
        entries = [{"case_id": case_id} for case_id in job.summary.get("case_ids", [])]
    held = set(
        Case.objects.filter(case_id__in=[entry["case_id"] for entry in entries]).values_list(
            "case_id", flat=True
        )
    )
    return [
        ImportedCase(
            case_id=entry["case_id"],
            change=_change(entry),
            series_added=entry.get("series_added"),
            instances_added=entry.get("instances_added"),
            is_held=entry["case_id"] in held,
        )
        for entry in entries
    ]


def _change(entry: dict) -> CaseChange | None:
    if "created" not in entry:
        return None
    if entry["created"]:
        return CaseChange.NEW
    return CaseChange.UPDATED if entry.get("instances_added") else CaseChange.UNCHANGED


def create_paths_job(*, paths: list[Path], user=None) -> ImportJob:
    # The paths are needed to run (and re-run) the job and are dropped once it is done: folder
    # names may name patients. The label keeps only cleaned names.
    return ImportJob.objects.create(
        source=ImportJob.Source.PATHS,
        created_by=user,
        label=", ".join(safe_display_name(str(p)) for p in paths)[:255],
        summary={"paths": [str(p) for p in paths]},
    )


def enqueue_import_job(job: ImportJob) -> None:
    # Enqueue after commit so the worker never sees a job id whose row it cannot read yet.
    transaction.on_commit(lambda: run_import_job_task.enqueue(job_id=str(job.pk)))


@transaction.atomic
def retry_import_job(*, job_id, now: datetime) -> ImportJob:
    """Queue a failed or stalled upload/folder import again; what it already stored is skipped.

    Raises ImportJob.DoesNotExist, or ValueError when the job is not retryable (running fine,
    done, or a PACS pull from the command line, whose studies and credentials are not kept: run
    import_dicomweb again instead; a pull started in the browser can be retried).
    """
    job = ImportJob.objects.get(pk=job_id)
    queued = lifecycle.requeue(ImportJob, job.pk, now=now) if job.can_be_retried(now=now) else None
    if queued is None:
        raise ValueError(f"import job {job.pk} cannot be retried in state {job.state}")
    enqueue_import_job(queued)
    return queued


def claim_import_job(*, job_id) -> ImportJob | None:
    """Move a queued (or stalled) job to running, atomically; None if another worker has it."""
    return lifecycle.claim(ImportJob, job_id)


@task(queue_name="imports")
def run_import_job_task(*, job_id: str) -> dict:
    job = claim_import_job(job_id=job_id)
    if job is None:
        # A job runs once: a duplicate delivery must not import (or delete staged files) twice.
        return {"skipped": True}
    return run_import_job(job=job).as_dict()


def sources_for_job(job: ImportJob) -> Iterator[DicomSource]:
    if job.source == ImportJob.Source.UPLOAD:
        return iter_path_sources([staging_dir_for(job)])
    if job.source == ImportJob.Source.PATHS:
        return iter_path_sources([Path(p) for p in job.summary.get("paths", [])])
    raise ValueError(f"job {job.pk} has no file sources ({job.source})")


def run_import_job(
    *,
    job: ImportJob,
    sources: Iterable[DicomSource] | None = None,
    total: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ImportSummary:
    """Run a job to the end, writing progress as it goes; a crash marks it failed with the error.

    A job not yet claimed (the command line runs one in the foreground) is claimed here. The error
    is stored, logged and raised without the file names and paths it may quote (see
    ``failure_reason``).
    """
    job = lifecycle.held_or_claimed(job, lambda: claim_import_job(job_id=job.pk))
    last_write = [clock()]

    def on_progress(summary: ImportSummary) -> None:
        if clock() - last_write[0] >= PROGRESS_INTERVAL_S:
            _write_progress(job, summary)
            last_write[0] = clock()

    try:
        if sources is None and job.source == ImportJob.Source.DICOMWEB:
            # A pull started in the browser: its studies from the encrypted request, its total
            # from the PACS's own counts (counting by pulling would pull everything twice).
            pacs, plan = pull_plan(job)
            sources, total = iter_pacs_sources(pacs=pacs, plan=plan), plan.expected_files
        elif sources is None:
            # Count first, then import from a fresh iterator: sources stay lazy (a zip archive is
            # read member by member while it is open), and the progress bar knows its end.
            total = sum(1 for _source in sources_for_job(job))
            sources = sources_for_job(job)
        job.total_files = total if total is not None else job.total_files
        lifecycle.heartbeat(job, total_files=job.total_files)
        # Reasons are stored in one language, whoever started the job (a request running its
        # task at once, a command): pages translate them back (rejection_reasons).
        with translation.override(STORED_LANGUAGE):
            summary = import_sources(
                sources,
                pseudonymizer=site_pseudonymizer(),
                store=dicom_store(),
                on_progress=on_progress,
                workers=settings.INGEST_WORKERS,
            )
    except Exception as error:
        with translation.override(STORED_LANGUAGE):
            reason = failure_reason(error)[:2000]
        # The traceback's frames, not its message: the message may quote a path.
        logger.error(
            "import job %s failed: %s: %s\n%s",
            job.pk,
            type(error).__name__,
            reason,
            "".join(traceback.format_tb(error.__traceback__)).rstrip(),
        )
        lifecycle.fail(job, error=reason)
        # The task runner stores the traceback of what is raised (and the command prints it).
        raise forget_names(error) from None
    # The announced total (a PACS's instance counts, say) can differ from what arrived.
    job.total_files = summary.processed_files
    _write_progress(job, summary)
    lifecycle.finish(
        job,
        summary={key: value for key, value in job.summary.items() if key != "paths"} | summary.as_dict(),
        pacs_request="",  # the original UIDs of a browser pull go with the job's end
    )
    if job.source == ImportJob.Source.UPLOAD:
        shutil.rmtree(staging_dir_for(job), ignore_errors=True)
    return summary


def failure_reason(error: Exception) -> str:
    """What a coordinator reads on a failed job: the disk being full is said in words, anything
    else as the error's text without the names and paths it quotes."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return _(
            "The disk holding the DICOM storage is full. The import stopped; the instances imported "
            "before are complete and kept, and nothing half-written was left. Free space, then retry."
        )
    if isinstance(error, OWN_MESSAGE_ERRORS):
        return str(error)
    return error_without_names(error)


def forget_names(error: Exception) -> Exception:
    """``error`` itself, its text made what ``error_without_names`` gives, its type kept.

    A workaround: callers (tests, the disk-full retry) catch the original type, but whatever
    prints or stores the exception later (the task runner keeps its traceback) must not find a
    patient's folder name in it.
    """
    if isinstance(error, OWN_MESSAGE_ERRORS):
        return error
    if isinstance(error, OSError):
        error.filename = error.filename2 = None
        if error.strerror:
            return error  # shown as "[Errno 2] No such file or directory" from here on
    text = error_without_names(error)
    if str(error) != text:
        error.args = (text,)
    return error


def _write_progress(job: ImportJob, summary: ImportSummary) -> None:
    """Progress and the lease's renewal in one write."""
    job.processed_files = summary.processed_files
    job.instances_imported = summary.instances_imported
    job.duplicates_skipped = summary.duplicates_skipped
    job.rejected = [{"file": r.file, "reason": r.reason} for r in summary.rejected]
    job.total_files = max(job.total_files, job.processed_files)
    lifecycle.heartbeat(
        job,
        processed_files=job.processed_files,
        instances_imported=job.instances_imported,
        duplicates_skipped=job.duplicates_skipped,
        rejected=job.rejected,
        total_files=job.total_files,
    )


def _safe_name(name: str) -> str:
    return (
        "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) or c == "…" else "_" for c in name)
        or "file"
    )


def _upload_label(names: list[str]) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return f"{names[0]} (+{len(names) - 1})"
