"""Importing reference reports from a RIS export (CSV or XLSX), scrubbed and linked to imported cases.

A row links to its case through the keyed hash of its accession number or original Study
Instance UID (the site keeps only those hashes). Rows are independent: each is checked and
scrubbed on its own, and a bad row is reported with its line number while the good ones go in.
Importing the same file twice changes nothing: the second time every row is a duplicate.

Rows are written ``CHUNK_ROWS`` at a time, each chunk in one transaction: two lookups (the cases
and their reference reports), one INSERT, one commit. Row by row, the commits (a WAL flush each)
and round trips were the whole cost of a 20,000-row export. A row's outcome is reported (and a
job's progress counts it) only once its chunk is committed, so a worker killed mid-chunk leaves
that chunk unwritten and unreported, and the re-run does it again.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import TextIO

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cmr_reader.domain.entities.extract import extract_report_diagnosis
from cmr_reader.domain.entities.language import detect_language
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
from cmr_reader.reports.models import Report
from cmr_reader.reports.report_files import ReportFileError, Rows, Table, csv_table
from cmr_reader.reports.scrub import PLACEHOLDER, scrub_report_text

LINK_COLUMNS = ("accession_number", "study_instance_uid")
CHUNK_ROWS = 500
# A chunk that collides with another import writing the same cases is looked up again.
CHUNK_ATTEMPTS = 3
# Identifying columns a RIS export may carry: never stored, only used to scrub the text.
SCRUB_COLUMNS = ("accession_number", "study_instance_uid", "patient_name", "patient_id", "author")
_LANGUAGES = {
    "en": "en",
    "english": "en",
    "en-us": "en",
    "en-gb": "en",
    "zh": "zh",
    "chinese": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
}


class RowRejected(Exception):
    pass


@dataclass(frozen=True)
class RowOutcome:
    """What an import did with one row, as a preview shows it: ``imported``, ``duplicate`` (the
    same report is stored already) or ``rejected`` with its reason; ``removed`` counts the
    passages scrubbing replaced by the placeholder."""

    line: int
    outcome: str
    case_id: str = ""
    language: str = ""
    text: str = ""
    removed: int = 0
    reason: str = ""
    model: str = ""


# Called with each row's outcome, in file order (a preview collects them, a job counts them).
OnRow = Callable[[RowOutcome], None]


@dataclass
class ReportImportSummary:
    imported: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "duplicates": self.duplicates, "rejected": self.rejected}


def import_reference_reports(*, stream: TextIO, on_row: OnRow | None = None) -> ReportImportSummary:
    """Import every good row of a CSV export of reference reports; reject the others by line.

    Columns: ``report_text`` and ``accession_number`` or ``study_instance_uid`` (or both);
    optional ``language`` (en/zh, detected from Han characters when absent or blank), ``author``
    (kept only as a keyed pseudonym) and ``patient_name`` / ``patient_id`` (used only to scrub).
    """
    return import_reference_rows(rows=reference_rows(csv_table(stream)), on_row=on_row)


def reference_rows(table: Table) -> Rows:
    """The table's rows, once its header is known to hold the columns a reference report needs."""
    if "report_text" not in table.columns or not any(name in table.columns for name in LINK_COLUMNS):
        raise ReportFileError(
            _("The header needs report_text and accession_number or study_instance_uid; it has: %(columns)s")
            % {"columns": ", ".join(table.columns)}
        )
    return table.rows


def import_reference_rows(
    *, rows: Iterable[tuple[int, dict[str, str]]], on_row: OnRow | None = None
) -> ReportImportSummary:
    """Import reference reports from rows however read (``reference_rows`` of a CSV or XLSX
    table); ``on_row`` hears each row's outcome."""
    pseudonymizer = site_pseudonymizer()
    summary = ReportImportSummary()
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        for outcome in _import_chunk(chunk, pseudonymizer=pseudonymizer):
            if outcome.outcome == "rejected":
                summary.rejected.append({"line": outcome.line, "reason": outcome.reason})
            elif outcome.outcome == "imported":
                summary.imported += 1
            else:
                summary.duplicates += 1
            if on_row is not None:
                on_row(outcome)
    return summary


def _import_chunk(
    chunk: list[tuple[int, dict[str, str]]], *, pseudonymizer: Pseudonymizer
) -> list[RowOutcome]:
    """Write a chunk's good rows in one transaction; the outcome of every row, once committed."""
    for attempt in range(CHUNK_ATTEMPTS):
        try:
            with transaction.atomic():
                lookup = _ChunkLookup([row for _line, row in chunk], pseudonymizer=pseudonymizer)
                outcomes, new_reports = [], []
                for line, row in chunk:
                    try:
                        outcome, report = _import_row(
                            row, line=line, pseudonymizer=pseudonymizer, lookup=lookup
                        )
                    except RowRejected as rejection:
                        outcome, report = (
                            RowOutcome(line=line, outcome="rejected", reason=str(rejection)),
                            None,
                        )
                    outcomes.append(outcome)
                    if report is not None:
                        new_reports.append(report)
                Report.objects.bulk_create(new_reports)
            return outcomes
        except IntegrityError:
            # Another import wrote a reference report of one of these cases since the lookup:
            # nothing of the chunk was written; looked up again, that row is a duplicate now.
            if attempt == CHUNK_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def author_pseudonym(author: str, *, pseudonymizer: Pseudonymizer) -> str:
    """``"R-"`` and 8 hex characters of the keyed hash of the author's name (spacing and case ignored)."""
    canonical = " ".join(author.split()).casefold()
    return "R-" + pseudonymizer.hash_identifier("author:" + canonical)[:8].upper()


class _ChunkLookup:
    """The cases a chunk of rows links to and their reference reports, read in two queries.

    ``reference`` is kept current as the chunk's rows are written, so that a second row for the
    same case in the chunk is a duplicate (or a conflict) exactly as it is row by row.
    """

    def __init__(self, rows: list[dict[str, str]], *, pseudonymizer: Pseudonymizer, reports: bool = True):
        self.pseudonymizer = pseudonymizer
        hashes = {
            _hash(row, name, pseudonymizer=pseudonymizer)
            for row in rows
            for name in LINK_COLUMNS
            if row.get(name, "").strip()
        }
        self.by_accession: dict[str, set[int]] = {}
        self.by_study_uid: dict[str, set[int]] = {}
        self.cases: dict[int, Case] = {}
        found = Case.objects.filter(Q(accession_hash__in=hashes) | Q(original_study_uid_hash__in=hashes))
        for case in found.only("pk", "case_id", "accession_hash", "original_study_uid_hash"):
            self.cases[case.pk] = case
            if case.accession_hash in hashes:
                self.by_accession.setdefault(case.accession_hash, set()).add(case.pk)
            if case.original_study_uid_hash in hashes:
                self.by_study_uid.setdefault(case.original_study_uid_hash, set()).add(case.pk)
        self.reference: dict[int, tuple[str, str]] = {}
        if reports:
            self.reference = {
                case_id: (text, language)
                for case_id, text, language in Report.objects.filter(
                    case_id__in=self.cases, source=Report.Source.REFERENCE
                ).values_list("case_id", "text", "language")
            }

    def linked_case(self, row: dict[str, str]) -> Case:
        """The case whose keyed hashes match the row's ``accession_number`` and/or
        ``study_instance_uid``; RowRejected when none does or the two point to different cases."""
        accession = row.get("accession_number", "").strip()
        study_uid = row.get("study_instance_uid", "").strip()
        if not accession and not study_uid:
            raise RowRejected(_("neither accession_number nor study_instance_uid is given"))
        matches: set[int] = set()
        if accession:
            matches |= self.by_accession.get(
                _hash(row, "accession_number", pseudonymizer=self.pseudonymizer), set()
            )
        if study_uid:
            matches |= self.by_study_uid.get(
                _hash(row, "study_instance_uid", pseudonymizer=self.pseudonymizer), set()
            )
        if not matches:
            # The identifiers themselves are not echoed: summaries are printed and may be kept.
            raise RowRejected(
                _("no imported study matches this row's accession_number or study_instance_uid")
            )
        if len(matches) > 1:
            raise RowRejected(_("accession_number and study_instance_uid point to different studies"))
        (pk,) = matches
        return self.cases[pk]


def find_linked_case(row: dict[str, str], *, pseudonymizer: Pseudonymizer) -> Case:
    """The one case ``row`` links to (see ``_ChunkLookup.linked_case``), for an import that
    links rows one at a time."""
    return _ChunkLookup([row], pseudonymizer=pseudonymizer, reports=False).linked_case(row)


def _hash(row: dict[str, str], column: str, *, pseudonymizer: Pseudonymizer) -> str:
    return pseudonymizer.hash_identifier(row.get(column, "").strip())


def _import_row(
    row: dict[str, str], *, line: int, pseudonymizer: Pseudonymizer, lookup: _ChunkLookup
) -> tuple[RowOutcome, Report | None]:
    """The row's outcome, and the report to write when it is a new one; RowRejected otherwise.
    The chunk's lookup learns of the new report, so that a later row of the same case in the
    chunk is a duplicate (or a conflict) as it would be in a later chunk."""
    case = lookup.linked_case(row)
    text = row.get("report_text", "").strip()
    if not text:
        raise RowRejected(_("report_text is empty"))
    if "\x00" in text:
        # PostgreSQL refuses to store it; the AI import refuses it the same way.
        raise RowRejected(_("%(column)s holds a NUL character") % {"column": "report_text"})
    language = report_language(row, text)
    scrubbed = scrub_row_text(text, row)
    author = row.get("author", "").strip()
    pseudonym = author_pseudonym(author, pseudonymizer=pseudonymizer) if author else ""
    stored = RowOutcome(
        line=line,
        outcome="imported",
        case_id=case.case_id,
        language=language,
        text=scrubbed,
        removed=removed_passages(text, scrubbed),
    )
    previous = lookup.reference.get(case.pk)
    if previous is None:
        lookup.reference[case.pk] = (scrubbed, language)
        report = Report(
            case=case,
            source=Report.Source.REFERENCE,
            text=scrubbed,
            language=language,
            diagnosis=extract_report_diagnosis(scrubbed, lang=language),
            author_pseudonym=pseudonym,
        )
        return stored, report
    if previous == (scrubbed, language):
        return replace(stored, outcome="duplicate"), None
    raise RowRejected(_("case %(case)s already has a different reference report") % {"case": case.case_id})


def scrub_row_text(text: str, row: dict[str, str]) -> str:
    """``text`` scrubbed with the row's own identifiers (``SCRUB_COLUMNS``) and every generic rule;
    RowRejected when nothing but placeholders would be left. Shared with the AI report import so
    that a report is scrubbed the same way whoever wrote it (blinding compares the two texts)."""
    identifiers = [row.get(name, "") for name in SCRUB_COLUMNS]
    scrubbed = scrub_report_text(text, identifiers=identifiers).strip()
    if not scrubbed.replace(PLACEHOLDER, "").strip(" \n\t.,;:"):
        raise RowRejected(_("nothing but identifying text is left after scrubbing"))
    return scrubbed


def removed_passages(text: str, scrubbed: str) -> int:
    """How many passages scrubbing replaced (a run of them counts once, as it is stored once)."""
    return max(0, scrubbed.count(PLACEHOLDER) - text.count(PLACEHOLDER))


def report_language(row: dict[str, str], text: str) -> str:
    """The row's ``language`` (en/zh, several spellings), or the one detected from the text when
    the column is absent or blank; RowRejected for any other value."""
    given = row.get("language", "").strip()
    if not given:
        return detect_language(text)
    language = _LANGUAGES.get(given.lower().replace("_", "-"))
    if language is None:
        raise RowRejected(_("unknown language %(language)r (use en or zh)") % {"language": given})
    return language
