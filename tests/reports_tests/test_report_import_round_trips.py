"""A reference reports import reads the cases and existing reports a chunk at a time.

At the study's scale (20,000 rows in one upload; bench/bench_cases_page.py) the round trips per
row were the import's cost: now each row is one INSERT, and each chunk two lookups.
"""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmr_reader.imaging.import_jobs import site_pseudonymizer
from cmr_reader.imaging.models import Case
from cmr_reader.reports import report_import
from cmr_reader.reports.models import Report

pytestmark = pytest.mark.django_db


def make_cases(count: int) -> list[Case]:
    hasher = site_pseudonymizer()
    return Case.objects.bulk_create(
        Case(
            case_id=f"CMR-RT{n:06d}",
            patient_pseudonym=f"RT{n}",
            study_instance_uid=f"2.25.{5000 + n}",
            accession_hash=hasher.hash_identifier(f"ACC{n}"),
            original_study_uid_hash=hasher.hash_identifier(f"1.2.3.{n}"),
        )
        for n in range(count)
    )


def csv_of(rows) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["accession_number", "study_instance_uid", "report_text", "language"])
    writer.writerows(rows)
    buffer.seek(0)
    return buffer


def inserts_and_lookups(queries) -> tuple[int, int]:
    sql = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    inserts = sum(s.startswith("INSERT") for s in sql)
    return inserts, len(sql) - inserts


def test_each_row_is_one_insert_and_each_chunk_two_lookups(monkeypatch):
    monkeypatch.setattr(report_import, "LOOKUP_CHUNK", 10)
    make_cases(25)
    rows = [(f"ACC{n}", "", f"Report {n}: LVEF 6{n % 10}%.", "en") for n in range(25)]

    with CaptureQueriesContext(connection) as context:
        summary = report_import.import_reference_reports(stream=csv_of(rows))

    assert summary.imported == 25
    assert inserts_and_lookups(context.captured_queries) == (25, 6)  # 3 chunks x (cases, reports)


def test_rows_of_one_case_in_one_chunk_are_told_apart_as_row_by_row(monkeypatch):
    """The second row of a case sees the first one's report, written a moment before."""
    monkeypatch.setattr(report_import, "LOOKUP_CHUNK", 10)
    make_cases(2)
    rows = [
        ("ACC0", "", "Report zero: LVEF 60%.", "en"),
        ("", "1.2.3.0", "Report zero: LVEF 60%.", "en"),  # the same report, by the other key
        ("ACC0", "", "Another report: LVEF 40%.", "en"),
        ("ACC1", "1.2.3.0", "Report one.", "en"),  # two keys, two cases
        ("ACC9", "", "Report nine.", "en"),  # no such case
    ]
    outcomes = []

    summary = report_import.import_reference_reports(stream=csv_of(rows), on_row=outcomes.append)

    assert [o.outcome for o in outcomes] == ["imported", "duplicate", "rejected", "rejected", "rejected"]
    assert [o.reason for o in outcomes[2:]] == [
        "case CMR-RT000000 already has a different reference report",
        "accession_number and study_instance_uid point to different studies",
        "no imported study matches this row's accession_number or study_instance_uid",
    ]
    assert summary.imported == 1 and Report.objects.count() == 1


def test_a_report_written_by_another_import_after_the_lookup_is_a_duplicate_not_an_error(monkeypatch):
    """The lookup is a chunk old when a row is written; the database's unique constraint decides."""
    make_cases(1)
    case = Case.objects.get()
    lookup_reports = report_import._ChunkLookup.__init__

    def lookup_then_another_import_writes(self, rows, **kwargs):
        lookup_reports(self, rows, **kwargs)
        Report.objects.create(case=case, source="reference", language="en", text="Report: LVEF 60%.")

    monkeypatch.setattr(report_import._ChunkLookup, "__init__", lookup_then_another_import_writes)
    outcomes = []

    report_import.import_reference_reports(
        stream=csv_of([("ACC0", "", "Report: LVEF 60%.", "en")]), on_row=outcomes.append
    )

    assert [o.outcome for o in outcomes] == ["duplicate"]
    assert Report.objects.count() == 1
