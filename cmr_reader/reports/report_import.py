"""Importing reference reports from a RIS export (CSV), scrubbed and linked to imported cases.

A row links to its case through the keyed hash of its accession number or original Study
Instance UID (the site keeps only those hashes). Rows are independent: each is checked, scrubbed
and written in its own transaction, and a bad row is reported with its line number while the good
ones go in. Importing the same file twice changes nothing: the second time every row is a
duplicate.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cmr_reader.domain.entities.extract import extract_report_diagnosis
from cmr_reader.domain.entities.language import detect_language
from cmr_reader.imaging.import_jobs import site_pseudonymizer
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.reports.models import Report
from cmr_reader.reports.scrub import PLACEHOLDER, scrub_report_text

LINK_COLUMNS = ("accession_number", "study_instance_uid")
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


class ReportFileError(Exception):
    """The file as a whole cannot be read as a report export (no header, missing columns)."""


class RowRejected(Exception):
    pass


@dataclass
class ReportImportSummary:
    imported: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "duplicates": self.duplicates, "rejected": self.rejected}


def import_reference_reports(*, stream: TextIO) -> ReportImportSummary:
    """Import every good row of a CSV export of reference reports; reject the others by line.

    Columns: ``report_text`` and ``accession_number`` or ``study_instance_uid`` (or both);
    optional ``language`` (en/zh, detected from Han characters when absent or blank), ``author``
    (kept only as a keyed pseudonym) and ``patient_name`` / ``patient_id`` (used only to scrub).
    """
    pseudonymizer = site_pseudonymizer()
    summary = ReportImportSummary()
    for line, row in _rows(stream):
        try:
            outcome = _import_row(row, pseudonymizer=pseudonymizer)
        except RowRejected as rejection:
            summary.rejected.append({"line": line, "reason": str(rejection)})
            continue
        if outcome == "imported":
            summary.imported += 1
        else:
            summary.duplicates += 1
    return summary


def author_pseudonym(author: str, *, pseudonymizer: Pseudonymizer) -> str:
    """``"R-"`` and 8 hex characters of the keyed hash of the author's name (spacing and case ignored)."""
    canonical = " ".join(author.split()).casefold()
    return "R-" + pseudonymizer.hash_identifier("author:" + canonical)[:8].upper()


def _rows(stream: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    """(line the row starts on, row with lower-case keys and stripped identifier values)."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise ReportFileError(_("The file is empty: a header row is needed."))
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    if "report_text" not in columns or not any(name in columns for name in LINK_COLUMNS):
        raise ReportFileError(
            _("The header needs report_text and accession_number or study_instance_uid; it has: %(columns)s")
            % {"columns": ", ".join(columns)}
        )
    line = reader.line_num + 1
    for values in reader:
        if any(value.strip() for value in values):
            yield line, {name: value for name, value in zip(columns, values, strict=False)}
        # A quoted report may span several lines; the next row starts after this one's last line.
        line = reader.line_num + 1


def _import_row(row: dict[str, str], *, pseudonymizer: Pseudonymizer) -> str:
    case = find_linked_case(row, pseudonymizer=pseudonymizer)
    text = row.get("report_text", "").strip()
    if not text:
        raise RowRejected(_("report_text is empty"))
    language = report_language(row, text)
    scrubbed = scrub_row_text(text, row)
    author = row.get("author", "").strip()
    pseudonym = author_pseudonym(author, pseudonymizer=pseudonymizer) if author else ""
    try:
        with transaction.atomic():
            existing = Report.objects.select_for_update().filter(case=case, source=Report.Source.REFERENCE)
            previous = existing.first()
            if previous is None:
                Report.objects.create(
                    case=case,
                    source=Report.Source.REFERENCE,
                    text=scrubbed,
                    language=language,
                    diagnosis=extract_report_diagnosis(scrubbed, lang=language),
                    author_pseudonym=pseudonym,
                )
                return "imported"
    except IntegrityError:
        # Another import wrote this case's reference report between our read and our write.
        previous = Report.objects.get(case=case, source=Report.Source.REFERENCE)
    if previous.text == scrubbed and previous.language == language:
        return "duplicate"
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


def find_linked_case(row: dict[str, str], *, pseudonymizer: Pseudonymizer) -> Case:
    """The case whose keyed hashes match the row's ``accession_number`` and/or
    ``study_instance_uid``; RowRejected when none does or the two point to different cases."""
    accession = row.get("accession_number", "").strip()
    study_uid = row.get("study_instance_uid", "").strip()
    if not accession and not study_uid:
        raise RowRejected(_("neither accession_number nor study_instance_uid is given"))
    match = Q()
    if accession:
        match |= Q(accession_hash=pseudonymizer.hash_identifier(accession))
    if study_uid:
        match |= Q(original_study_uid_hash=pseudonymizer.hash_identifier(study_uid))
    cases = list(Case.objects.filter(match)[:2])
    if not cases:
        # The identifiers themselves are not echoed: summaries are printed and may be kept.
        raise RowRejected(_("no imported study matches this row's accession_number or study_instance_uid"))
    if len(cases) > 1:
        raise RowRejected(_("accession_number and study_instance_uid point to different studies"))
    return cases[0]


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
