"""Importing AI reports written elsewhere (another group, another model, a vendor) from CSV,
JSON Lines or XLSX, so that they can be read against the reference reports like the site's own.

Each distinct model name and version in a file becomes one *imported* ``GenerationRun`` (reused by
later files): done from the start, with no checkpoint and no run key, so no generation worker
ever picks it up or writes its reports again. A report is scrubbed, its language found and its
case linked exactly as a reference report's are (``report_import.py``), because the blinding
compares the two texts. Rows are independent, each written in its own transaction; a bad row is
reported with its line number and reason while the good ones go in. Importing the same file
again changes nothing: every row is a duplicate, and the run is not written.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cmr_reader.domain.entities.extract import extract_report_diagnosis
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.reports.report_files import ReportFileError, decode_export, read_table
from cmr_reader.reports.report_import import (
    LINK_COLUMNS,
    SCRUB_COLUMNS,
    OnRow,
    RowOutcome,
    RowRejected,
    find_linked_case,
    removed_passages,
    report_language,
    scrub_row_text,
)

FORMATS = ("csv", "jsonl", "xlsx")
CASE_COLUMNS = ("case_id", *LINK_COLUMNS)
REQUIRED_COLUMNS = ("text", "model_name", "model_version")
# Columns read as text; ``provenance`` is a JSON object and read apart.
TEXT_COLUMNS = (*CASE_COLUMNS, *REQUIRED_COLUMNS, "generated_at", "language", *SCRUB_COLUMNS)
NAME_LENGTH = GenerationRun._meta.get_field("model_name").max_length
# A row: the row's values, or why its line could not be read as one (JSON Lines).
AiRows = Iterable[tuple[int, dict | RowRejected]]


@dataclass
class AiReportImportSummary:
    file_name: str
    sha256: str
    file_format: str
    encoding: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    runs: dict[int, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "sha256": self.sha256,
            "format": self.file_format,
            "encoding": self.encoding,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "runs": [self.runs[pk] for pk in sorted(self.runs)],
        }


@dataclass(frozen=True)
class _Candidate:
    case: Case
    model_name: str
    model_version: str
    text: str
    language: str
    removed: int
    provenance: dict


def import_ai_reports(
    *, data: bytes, file_name: str, file_format: str, now: datetime, on_row: OnRow | None = None
) -> AiReportImportSummary:
    """Import every good row of an export of AI reports; reject the others by line.

    Columns (CSV, XLSX) or keys (JSON Lines): a case, as ``case_id`` (the site's) or the original
    ``accession_number`` / ``study_instance_uid``; ``text``; ``model_name``; ``model_version``;
    optional ``generated_at`` (ISO 8601) and ``provenance`` (a JSON object; in CSV and XLSX a JSON
    string), kept together as the report's provenance. ReportFileError when the file cannot be
    read as such an export at all (encoding, format, missing columns); ``now`` is the import's
    time; ``on_row`` hears each row's outcome.
    """
    rows, encoding = ai_report_rows(data, file_format=file_format)
    return import_ai_rows(
        # Read whole first: a file that turns out unreadable part-way imports nothing.
        rows=list(rows),
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        file_format=file_format,
        encoding=encoding,
        now=now,
        on_row=on_row,
    )


def ai_report_rows(data: bytes, *, file_format: str) -> tuple[AiRows, str]:
    """(the file's rows, its encoding); ReportFileError when it is not an export of AI reports."""
    if file_format not in FORMATS:
        raise ReportFileError(
            _("Unknown format %(format)r (use csv, jsonl or xlsx).") % {"format": file_format}
        )
    if file_format == "jsonl":
        text, encoding = decode_export(data)
        return _jsonl_rows(text), encoding
    table, encoding = read_table(data, file_format=file_format)
    _check_columns(table.columns)
    return table.rows, encoding


def import_ai_rows(
    *,
    rows: AiRows,
    file_name: str,
    sha256: str,
    file_format: str,
    encoding: str,
    now: datetime,
    on_row: OnRow | None = None,
) -> AiReportImportSummary:
    """Import AI reports from rows however read (``ai_report_rows``); the file is recorded on
    each run that got a report from it under ``file_name`` and ``sha256``."""
    summary = AiReportImportSummary(
        file_name=file_name, sha256=sha256, file_format=file_format, encoding=encoding
    )
    pseudonymizer = site_pseudonymizer()
    first_lines: dict[tuple[int, str, str], int] = {}
    for line, row in rows:
        summary.rows += 1
        try:
            if isinstance(row, RowRejected):
                raise row
            candidate = _check_row(row, pseudonymizer=pseudonymizer)
            key = (candidate.case.pk, candidate.model_name, candidate.model_version)
            if key in first_lines:
                raise RowRejected(
                    _("case %(case)s appears again for this model and version (first on line %(line)d)")
                    % {"case": candidate.case.case_id, "line": first_lines[key]}
                )
            outcome, run, created = _store(candidate, now=now)
        except RowRejected as rejection:
            summary.rejected.append({"line": line, "reason": str(rejection)})
            if on_row is not None:
                on_row(RowOutcome(line=line, outcome="rejected", reason=str(rejection)))
            continue
        if on_row is not None:
            on_row(
                RowOutcome(
                    line=line,
                    outcome=outcome,
                    case_id=candidate.case.case_id,
                    language=candidate.language,
                    text=candidate.text,
                    removed=candidate.removed,
                    model=f"{candidate.model_name} {candidate.model_version}".strip(),
                )
            )
        first_lines[key] = line
        counts = summary.runs.setdefault(
            run.pk,
            {
                "id": run.pk,
                "model_name": run.model_name,
                "model_version": run.model_version,
                "created": False,
                "imported": 0,
                "duplicates": 0,
            },
        )
        counts["created"] = counts["created"] or created
        if outcome == "imported":
            counts["imported"] += 1
            summary.imported += 1
        else:
            counts["duplicates"] += 1
            summary.duplicates += 1
    for counts in summary.runs.values():
        _record_file(counts, summary=summary, now=now)
    return summary


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict | RowRejected]]:
    """(line, object with lower-case keys, or why the line is no object) for each non-blank line.
    The columns are checked against every object's keys together: a line lacking one is that
    line's fault, a file in which no line has it is the wrong file."""
    rows: list[tuple[int, dict | RowRejected]] = []
    keys: set[str] = set()
    # Not splitlines(): a JSON string may hold U+2028 and other breaks that are no line end.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_constant=_no_constant)
        except ValueError as error:
            rows.append((number, RowRejected(_("not valid JSON: %(error)s") % {"error": error})))
            continue
        if not isinstance(value, dict):
            rows.append((number, RowRejected(_("the line is not a JSON object"))))
            continue
        row = {str(key).strip().lower(): item for key, item in value.items()}
        keys.update(row)
        rows.append((number, row))
    if rows and not keys:
        raise ReportFileError(_("No line of the file is a JSON object: is it JSON Lines?"))
    if not rows:
        raise ReportFileError(_("The file is empty."))
    _check_columns(sorted(keys))
    return iter(rows)


def _check_columns(columns: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing or not any(name in columns for name in CASE_COLUMNS):
        raise ReportFileError(
            _(
                "The file needs text, model_name, model_version and one of case_id, accession_number or "
                "study_instance_uid; it has: %(columns)s"
            )
            % {"columns": ", ".join(columns)}
        )


def _check_row(row: dict, *, pseudonymizer: Pseudonymizer) -> _Candidate:
    """The row as a report to store; RowRejected with the first thing wrong with it."""
    fields = {name: _text_value(row, name) for name in TEXT_COLUMNS}
    case = _find_case(fields, pseudonymizer=pseudonymizer)
    text = fields["text"].strip()
    if not text:
        raise RowRejected(_("text is empty or missing"))
    model_name, model_version = fields["model_name"].strip(), fields["model_version"].strip()
    if not model_name:
        raise RowRejected(_("model_name is empty"))
    if len(model_name) > NAME_LENGTH or len(model_version) > NAME_LENGTH:
        raise RowRejected(
            _("model_name or model_version is longer than %(limit)d characters") % {"limit": NAME_LENGTH}
        )
    provenance = _provenance(row, fields)
    language = report_language(fields, text)
    scrubbed = scrub_row_text(text, fields)
    return _Candidate(
        case=case,
        model_name=model_name,
        model_version=model_version,
        text=scrubbed,
        language=language,
        removed=removed_passages(text, scrubbed),
        provenance=provenance,
    )


def _text_value(row: dict, name: str) -> str:
    """A column as text: JSON numbers (a version 2, a case id) become their digits; a value with a
    NUL character is refused, as PostgreSQL would refuse to store it."""
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowRejected(_("%(column)s must be text") % {"column": name})
    value = str(value)
    if "\x00" in value:
        raise RowRejected(_("%(column)s holds a NUL character") % {"column": name})
    return value


def _find_case(fields: dict[str, str], *, pseudonymizer: Pseudonymizer) -> Case:
    case_id = fields["case_id"].strip()
    if not any(fields[name].strip() for name in CASE_COLUMNS):
        raise RowRejected(_("none of case_id, accession_number and study_instance_uid is given"))
    if not case_id:
        return find_linked_case(fields, pseudonymizer=pseudonymizer)
    case = Case.objects.filter(case_id=case_id).first()
    if case is None:
        raise RowRejected(_("no case %(case)s on this site") % {"case": case_id})
    if any(fields[name].strip() for name in LINK_COLUMNS):
        if find_linked_case(fields, pseudonymizer=pseudonymizer) != case:
            raise RowRejected(
                _("case_id and accession_number or study_instance_uid point to different studies")
            )
    return case


def _provenance(row: dict, fields: dict[str, str]) -> dict:
    """The row's provenance object with its ``generated_at`` (normalised ISO 8601). A provenance
    that names the row's own identifiers is refused: it is stored as it is, not scrubbed."""
    given = row.get("provenance")
    if isinstance(given, str):
        try:
            given = json.loads(given, parse_constant=_no_constant) if given.strip() else None
        except ValueError as error:
            raise RowRejected(_("provenance is not valid JSON: %(error)s") % {"error": error}) from error
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise RowRejected(_("provenance must be a JSON object"))
    provenance = dict(given)
    generated_at = fields["generated_at"].strip()
    if generated_at:
        try:
            provenance["generated_at"] = datetime.fromisoformat(generated_at).isoformat()
        except ValueError as error:
            raise RowRejected(
                _("generated_at %(value)r is not an ISO 8601 date and time") % {"value": generated_at}
            ) from error
    stored = json.dumps(provenance, ensure_ascii=False).casefold()
    if "\\u0000" in stored:
        raise RowRejected(_("provenance holds a NUL character"))
    identifiers = [fields[name].strip().casefold() for name in SCRUB_COLUMNS]
    if any(len(value) >= 4 and value in stored for value in identifiers):
        raise RowRejected(_("provenance names this row's patient or study identifiers; remove them"))
    return provenance


def _no_constant(name: str):
    # json accepts NaN and Infinity, which are not JSON and which PostgreSQL's jsonb refuses.
    raise ValueError(f"{name} is not a JSON value")


def _store(candidate: _Candidate, *, now: datetime) -> tuple[str, GenerationRun, bool]:
    """("imported" or "duplicate", the run, whether this row created the run); the run and the
    report are written together, so a refused row leaves no empty run behind."""
    created = False
    try:
        with transaction.atomic():
            run, created = GenerationRun.objects.get_or_create(
                origin=GenerationRun.Origin.IMPORTED,
                model_name=candidate.model_name,
                model_version=candidate.model_version,
                defaults={"state": GenerationRun.State.DONE, "started_at": now, "finished_at": now},
            )
            previous = (
                Report.objects.select_for_update()
                .filter(case=candidate.case, source=Report.Source.AI, generation_run=run)
                .first()
            )
            if previous is None:
                Report.objects.create(
                    case=candidate.case,
                    source=Report.Source.AI,
                    generation_run=run,
                    text=candidate.text,
                    language=candidate.language,
                    diagnosis=extract_report_diagnosis(candidate.text, lang=candidate.language),
                    provenance=candidate.provenance,
                )
                return "imported", run, created
    except IntegrityError:
        # Another import wrote this run or this case's report between our read and our write.
        created = False
        run = GenerationRun.objects.get(
            origin=GenerationRun.Origin.IMPORTED,
            model_name=candidate.model_name,
            model_version=candidate.model_version,
        )
        previous = Report.objects.get(case=candidate.case, source=Report.Source.AI, generation_run=run)
    # The first text stays: a study may already show it to readers.
    if previous.text == candidate.text and previous.language == candidate.language:
        return "duplicate", run, created
    raise RowRejected(
        _("case %(case)s already has a different AI report from %(model)s %(version)s (run %(run)d)")
        % {
            "case": candidate.case.case_id,
            "model": candidate.model_name,
            "version": candidate.model_version,
            "run": run.pk,
        }
    )


def _record_file(counts: dict, *, summary: AiReportImportSummary, now: datetime) -> None:
    """Add the file to the run's ``import_files`` and recount its cases, when this import added
    reports or the file is new to the run; a file imported again with nothing new writes nothing."""
    with transaction.atomic():
        run = GenerationRun.objects.select_for_update().get(pk=counts["id"])
        known = any(entry.get("sha256") == summary.sha256 for entry in run.import_files)
        if known and not counts["imported"]:
            return
        run.import_files = [
            *run.import_files,
            {
                "sha256": summary.sha256,
                "file_name": summary.file_name,
                "format": summary.file_format,
                "encoding": summary.encoding,
                "rows": summary.rows,
                "reports_added": counts["imported"],
                "imported_at": now.isoformat(),
            },
        ]
        run.cases_done = run.cases_total = run.reports.count()
        run.save(update_fields=["import_files", "cases_done", "cases_total", "updated_at"])
