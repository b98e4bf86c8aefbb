"""Every export is safe to open in a spreadsheet: a reader's hostile comments, a study name, case
ids and a username that look like formulas come out of every CSV as text behind an apostrophe,
and out of the workbook as text (docs/decisions/0015-spreadsheet-safe-exports.md)."""

import csv
import io
import re
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cmr_reader.analysis import runs
from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.studies import answers
from cmr_reader.studies.models import Answer, Assignment
from tests.studies_tests.conftest import NOW, build_study

pytestmark = pytest.mark.django_db

HOSTILE = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1", "\r=1")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a cell may start with a formula character and still be: a plain number, like -0.5.
NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")
BOM = b"\xef\xbb\xbf"


def read_and_submit(assignment: Assignment, user, *, score: int, comment: str) -> None:
    items = {
        f"{slot}.{criterion.key}": score for slot in "AB" for criterion in assignment.study.criteria.all()
    }
    items.update({"A.error": False, "B.error": False, "pair.preference": "A", "pair.ai_guess": "A"})
    items.update({"pair.ai_confidence": 3, "pair.comment": comment})
    for item, value in items.items():
        answers.save_answer(assignment_id=assignment.pk, user=user, item=item, value=value, now=NOW)
    answers.submit(assignment_id=assignment.pk, user=user, now=NOW)


@pytest.fixture
def hostile_study(reader, other_reader):
    """A study named like a formula, with such case ids, a reader named "+otto", every reading
    submitted with a comment from HOSTILE, and the reader having opened a case."""
    other_reader.username = "+otto"
    other_reader.save()
    built = build_study(readers=[reader, other_reader], name=HOSTILE[0])
    for case, case_id in zip(built.cases, HOSTILE, strict=True):
        case.case_id = case_id
        case.save()
    readings = Assignment.objects.filter(study=built.study).order_by("reader__username", "position")
    assert readings.count() >= len(HOSTILE)
    for n, assignment in enumerate(readings):
        read_and_submit(assignment, assignment.reader, score=1 + n % 5, comment=HOSTILE[n % len(HOSTILE)])
    opener = Client()
    opener.force_login(other_reader)
    assert (
        opener.get(
            reverse("reading:case", args=[readings.filter(reader=other_reader)[0].public_id])
        ).status_code
        == 200
    )
    return built


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM), "a CSV download starts with a byte-order mark, for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def assert_spreadsheet_safe(rows: list[list[str]], name: str) -> None:
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                assert NUMBER.fullmatch(cell), f"{name}: {cell!r} would run as a formula"


def test_a_hostile_comment_is_text_in_every_csv_export_and_keeps_its_words(hostile_study, coordinator):
    client = Client()
    client.force_login(coordinator)
    study = hostile_study.study
    downloads = {
        name: client.get(reverse(f"studies:{name}", args=[study.pk]))
        for name in ("answers", "audit", "ratings", "unblinding")
    }
    downloads["access_log"] = client.get(reverse("accounts:access_log_csv"))
    tables = {
        name: rows_of(b"".join(response.streaming_content) if response.streaming else response.content)
        for name, response in downloads.items()
    }

    for name, rows in tables.items():
        assert len(rows) > 1, name
        assert_spreadsheet_safe(rows, name)
    # Each text is all there, behind one apostrophe (the comment as stored: save_answer strips it).
    stored = set(Answer.objects.filter(item="pair.comment").values_list("value", flat=True))
    assert stored == {text.strip() for text in HOSTILE}
    answer_rows = [dict(zip(tables["answers"][0], row, strict=True)) for row in tables["answers"][1:]]
    assert {row["score"] for row in answer_rows if row["criterion"] == "comment"} == {
        "'" + text for text in stored
    }
    assert {row["study"] for row in answer_rows} == {"'" + HOSTILE[0]}
    audit_rows = [dict(zip(tables["audit"][0], row, strict=True)) for row in tables["audit"][1:]]
    assert {row["new_value"] for row in audit_rows if row["item"] == "pair.comment"} == {
        "'" + text for text in stored
    }
    for name in ("ratings", "unblinding"):
        column = tables[name][0].index("case_id")
        assert {row[column] for row in tables[name][1:]} == {"'" + case_id for case_id in HOSTILE}, name
    log = [dict(zip(tables["access_log"][0], row, strict=True)) for row in tables["access_log"][1:]]
    assert {"'+otto"} <= {row["username"] for row in log}
    assert {row["target"] for row in log if row["username"] == "'+otto"} <= {
        "'" + case_id for case_id in HOSTILE
    }


def test_the_analysis_bundle_writes_hostile_text_safely_in_its_csvs_and_as_text_in_its_workbook(
    hostile_study,
):
    run = runs.run_analysis(runs.create_run(study=hostile_study.study, bootstrap=0, seed=1))
    assert run.state == AnalysisRun.State.DONE, run.error

    with run.bundle.open("rb") as handle, zipfile.ZipFile(handle) as bundle:
        csvs = {name: rows_of(bundle.read(name)) for name in bundle.namelist() if name.endswith(".csv")}
        workbook_bytes = bundle.read("analysis.xlsx")
    for name, rows in csvs.items():
        assert_spreadsheet_safe(rows, name)
    long_rows = [
        dict(zip(csvs["ratings_long.csv"][0], row, strict=True)) for row in csvs["ratings_long.csv"][1:]
    ]
    assert {row["study"] for row in long_rows} == {"'" + HOSTILE[0]}
    assert {row["case_id"] for row in long_rows} == {"'" + case_id for case_id in HOSTILE}
    assert {row["reader_id"] for row in long_rows} == {"rita_reader", "'+otto"}

    # The workbook keeps the exact text, as text with Excel's quote prefix; nothing is a formula.
    package = zipfile.ZipFile(io.BytesIO(workbook_bytes))
    sheets = [package.read(name).decode() for name in package.namelist() if name.startswith("xl/worksheets/")]
    assert not any("<f>" in sheet or "<f " in sheet for sheet in sheets)
    workbook = load_workbook(io.BytesIO(workbook_bytes))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    hostile = [
        cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)
    ]
    assert {cell.value for cell in hostile} >= {*HOSTILE, "+otto"}
    assert all(
        cell.data_type == "s" and cell.quotePrefix for cell in hostile if not NUMBER.fullmatch(cell.value)
    )
