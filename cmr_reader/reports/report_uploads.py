"""A reports file uploaded in the browser: staged on disk, previewed, discarded if not wanted.

The preview is the import itself (``import_rows``), run inside a transaction that is rolled back:
what it says the import would do is what the import does, with the database as it is now. A large
file is previewed on its first ``PREVIEW_ROWS`` rows, so that the upload's request stays short
(every row is scrubbed and looked up); the page says so. The preview is stored on the job with its
reasons in English (``import_reasons``) and shown in the reader's language.
"""

import hashlib
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cmr_reader.imaging.display_names import safe_display_name
from cmr_reader.reports.ai_report_import import ai_report_rows, import_ai_rows
from cmr_reader.reports.import_reasons import STORED_LANGUAGE
from cmr_reader.reports.models import ReportImportJob
from cmr_reader.reports.report_files import ReportFileError, file_format_for, read_table
from cmr_reader.reports.report_import import OnRow, RowOutcome, import_reference_rows, reference_rows

# One reports file may be this large: a RIS export of 100,000 reports is ~50 MB.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
# Rows a preview imports (and rolls back) while the coordinator waits: ~8 ms a row (scrubbing,
# the case lookup, the insert; measured on SQLite), so about 4 seconds.
PREVIEW_ROWS = 500
# Rows a preview shows as they would be stored; every rejection among the previewed rows is listed.
SHOWN_ROWS = 20
# Rejections a preview or a finished job keeps by line; beyond that only their number.
KEPT_REJECTIONS = 10_000


def staging_dir_for(job_id) -> Path:
    return Path(settings.UPLOAD_STAGING_ROOT) / "reports" / str(job_id)


def staged_path(job: ReportImportJob) -> Path:
    return Path(settings.UPLOAD_STAGING_ROOT) / job.staged_file


def stage_report_upload(
    *, upload: UploadedFile, kind: str, file_format: str, user, now: datetime
) -> ReportImportJob:
    """Write the upload to the staging area, preview it and record an uncommitted job.

    ReportFileError when the file cannot be imported at all (encoding, columns, not a workbook):
    then nothing is kept, on disk or in the database.
    """
    # Uploads nobody committed or discarded hold raw identifiers: they go when the next comes.
    discard_stale_uploads(now=now)
    job_id = uuid.uuid4()
    folder = staging_dir_for(job_id)
    folder.mkdir(parents=True)
    # The browser's name may name a patient: the file is staged under a fixed name.
    target = folder / f"upload.{file_format}"
    digest, size = hashlib.sha256(), 0
    try:
        with target.open("wb") as handle:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
        display_name = display_name_for(upload.name or "", file_format=file_format)
        preview = preview_report_import(
            data=target.read_bytes(),
            kind=kind,
            file_format=file_format,
            file_name=display_name,
            sha256=digest.hexdigest(),
            now=now,
        )
        return ReportImportJob.objects.create(
            id=job_id,
            kind=kind,
            file_format=file_format,
            file_name=display_name,
            file_size=size,
            sha256=digest.hexdigest(),
            staged_file=target.relative_to(Path(settings.UPLOAD_STAGING_ROOT)).as_posix(),
            preview=preview,
            created_by=user,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def display_name_for(name: str, *, file_format: str) -> str:
    """The browser's file name as the job and an imported run keep it: its words cleaned like any
    uploaded name (they may name a patient), its extension kept (it is one the form accepts)."""
    path = PurePath(name)
    suffix = path.suffix.lower() if file_format_for(name) == file_format else f".{file_format}"
    return (safe_display_name(path.stem or "reports")[:200] or "…") + suffix


def preview_report_import(
    *, data: bytes, kind: str, file_format: str, file_name: str, sha256: str, now: datetime
) -> dict:
    """What importing the file's first ``PREVIEW_ROWS`` rows would do, from doing it and rolling
    it back: totals, every rejection by line, and the first ``SHOWN_ROWS`` rows as stored."""
    shown: list[RowOutcome] = []

    def on_row(outcome: RowOutcome) -> None:
        if len(shown) < SHOWN_ROWS:
            shown.append(outcome)

    with translation.override(STORED_LANGUAGE):
        rows, encoding = rows_of_file(data=data, kind=kind, file_format=file_format)
        head = list(islice(rows, PREVIEW_ROWS + 1))
        # A workbook is closed when its rows are read to the end or, as here, let go of.
        if hasattr(rows, "close"):
            rows.close()
        with transaction.atomic():
            summary = import_rows(
                rows=head[:PREVIEW_ROWS],
                kind=kind,
                file_name=file_name,
                sha256=sha256,
                file_format=file_format,
                encoding=encoding,
                now=now,
                on_row=on_row,
            )
            transaction.set_rollback(True)
    for run in summary.get("runs", []):
        # A run this preview made was rolled back with it: its id names nothing.
        if run["created"]:
            run["id"] = None
    return {
        **summary,
        "encoding": encoding,
        "rows_previewed": min(len(head), PREVIEW_ROWS),
        "more_rows": len(head) > PREVIEW_ROWS,
        "shown_rows": [asdict(outcome) for outcome in shown],
    }


def rows_of_file(*, data: bytes, kind: str, file_format: str) -> tuple[Iterable, str]:
    """(the file's rows, its encoding) for an import of ``kind``; ReportFileError when the file
    cannot be such an import at all."""
    if kind == ReportImportJob.Kind.AI:
        return ai_report_rows(data, file_format=file_format)
    if file_format not in ("csv", "xlsx"):
        raise ReportFileError(_("Reference reports come as CSV or XLSX; JSON Lines is for AI reports."))
    table, encoding = read_table(data, file_format=file_format)
    return reference_rows(table), encoding


def import_rows(
    *,
    rows: Iterable,
    kind: str,
    file_name: str,
    sha256: str,
    file_format: str,
    encoding: str,
    now: datetime,
    on_row: OnRow | None = None,
) -> dict:
    """Import ``rows`` with the import service of ``kind``; its summary as a dict."""
    if kind == ReportImportJob.Kind.AI:
        summary = import_ai_rows(
            rows=rows,
            file_name=file_name,
            sha256=sha256,
            file_format=file_format,
            encoding=encoding,
            now=now,
            on_row=on_row,
        ).as_dict()
    else:
        summary = import_reference_rows(rows=rows, on_row=on_row).as_dict()
    summary["rejected_count"] = len(summary["rejected"])
    summary["rejected"] = summary["rejected"][:KEPT_REJECTIONS]
    return summary


@transaction.atomic
def discard_report_upload(*, job_id) -> None:
    """Delete an upload nobody committed, with its staged file (which holds identifiers).

    Raises ReportImportJob.DoesNotExist, or ValueError when the job was committed.
    """
    job = ReportImportJob.objects.select_for_update().get(pk=job_id)
    if job.is_committed:
        raise ValueError(f"report import {job.pk} is committed and cannot be discarded")
    folder = staging_dir_for(job.pk)
    job.delete()
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def discard_stale_uploads(*, now: datetime, max_age: timedelta | None = None) -> int:
    """Discard every upload left uncommitted for longer than ``max_age`` (the setting
    ``REPORT_UPLOAD_MAX_AGE_HOURS``, 24 by default): its staged file holds the RIS export as it
    came, names and accession numbers included, and a coordinator who closed the preview will not
    come back for it. Run before each new upload and by ``manage.py discard_stale_uploads``;
    returns how many were discarded."""
    max_age = max_age if max_age is not None else timedelta(hours=settings.REPORT_UPLOAD_MAX_AGE_HOURS)
    stale = ReportImportJob.objects.filter(committed_at__isnull=True, created_at__lt=now - max_age)
    discarded = 0
    for job_id in stale.values_list("pk", flat=True):
        try:
            discard_report_upload(job_id=job_id)
        except (ReportImportJob.DoesNotExist, ValueError):
            continue  # committed or discarded meanwhile
        discarded += 1
    return discarded
