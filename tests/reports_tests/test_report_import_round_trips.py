"""A reference reports import writes a chunk of rows at a time.

At the study's scale (20,000 rows in one upload; bench/bench_cases_page.py) the round trips and
commits per row were the import's cost: now each chunk is two lookups, one INSERT and one commit.
"""

import csv
import io
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmr_reader.imaging.models import Case
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
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


def test_each_chunk_is_two_lookups_and_one_insert(monkeypatch):
    monkeypatch.setattr(report_import, "CHUNK_ROWS", 10)
    make_cases(25)
    rows = [(f"ACC{n}", "", f"Report {n}: LVEF 6{n % 10}%.", "en") for n in range(25)]

    with CaptureQueriesContext(connection) as context:
        summary = report_import.import_reference_reports(stream=csv_of(rows))

    assert summary.imported == 25 and Report.objects.count() == 25
    assert inserts_and_lookups(context.captured_queries) == (3, 6)  # 3 chunks x (cases, reports)


def test_rows_of_one_case_in_one_chunk_are_told_apart_as_row_by_row(monkeypatch):
    """The second row of a case sees the first one's report, written a moment before."""
    monkeypatch.setattr(report_import, "CHUNK_ROWS", 10)
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


@pytest.mark.django_db(transaction=True)
def test_a_report_another_import_commits_after_the_lookup_makes_the_row_a_duplicate(monkeypatch):
    """The chunk's INSERT collides with the other import's committed row: the chunk is rolled
    back, looked up again, and the row is a duplicate, not an error."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes the write lock up front: no other import can write meanwhile")
    make_cases(2)
    case = Case.objects.get(case_id="CMR-RT000000")
    look_up = report_import._ChunkLookup.__init__
    lookups = []

    def another_import_commits_after_the_first_lookup(self, rows, **kwargs):
        look_up(self, rows, **kwargs)
        lookups.append(len(rows))
        if len(lookups) == 1:

            def other_import():
                try:
                    Report.objects.create(
                        case=case, source="reference", language="en", text="Report: LVEF 60%."
                    )
                finally:
                    connection.close()

            thread = threading.Thread(target=other_import)
            thread.start()
            thread.join()

    monkeypatch.setattr(report_import._ChunkLookup, "__init__", another_import_commits_after_the_first_lookup)
    outcomes = []

    report_import.import_reference_reports(
        stream=csv_of([("ACC0", "", "Report: LVEF 60%.", "en"), ("ACC1", "", "Report one.", "en")]),
        on_row=outcomes.append,
    )

    assert lookups == [2, 2]
    assert [o.outcome for o in outcomes] == ["duplicate", "imported"]
    assert Report.objects.count() == 2
