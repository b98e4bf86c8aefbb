"""Report exports read as rows: CSV text in the encodings hospitals write, and XLSX workbooks."""

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.utils import translation

from cmr_reader.reports.report_files import ReportFileError, decode_export, read_table, xlsx_table
from tests.reports_tests.upload_support import CHINESE_REPORT, csv_bytes, xlsx_bytes


def rows_of(table) -> list:
    return list(table.rows)


def test_a_workbook_is_read_from_its_first_sheet_every_cell_as_text():
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.append([" Accession_Number ", "Report_Text", "Generated_At", "Score"])
    first.append([20250117001, '=CONCAT("LVEF ", "55%")', datetime(2025, 1, 17, 9, 30), 3.5])
    first.append([])
    first.append([None, "  ", None, None])
    first.append([12.0, CHINESE_REPORT, date(2025, 1, 18), True])
    workbook.create_sheet("Ignored").append(["accession_number", "report_text"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = xlsx_table(buffer.getvalue())

    assert table.columns == ["accession_number", "report_text", "generated_at", "score"]
    assert rows_of(table) == [
        (
            2,
            {
                "accession_number": "20250117001",
                "report_text": '=CONCAT("LVEF ", "55%")',
                "generated_at": "2025-01-17T09:30:00",
                "score": "3.5",
            },
        ),
        (
            5,
            {
                "accession_number": "12",
                "report_text": CHINESE_REPORT,
                "generated_at": "2025-01-18T00:00:00",
                "score": "TRUE",
            },
        ),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 cut short", "not a readable XLSX workbook"),
        (b"not a zip at all", "not a readable XLSX workbook"),
        (xlsx_bytes([], []), "The file is empty: a header row is needed."),
    ],
)
def test_a_file_that_is_no_readable_workbook_is_refused(data, message):
    with translation.override("en"), pytest.raises(ReportFileError, match=message):
        xlsx_table(data)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_text_is_read_in_the_encodings_hospitals_write(encoding):
    data = csv_bytes(
        ["Report_Text", "language"],
        [[CHINESE_REPORT + "\n第二行", "zh"], ["", ""], ["LVEF 55%.", "en"]],
        encoding=encoding,
    )

    table, found = read_table(data, file_format="csv")

    assert found == encoding
    assert table.columns == ["report_text", "language"]
    # The quoted report spans lines 2 and 3; the blank row on line 4 is skipped.
    assert rows_of(table) == [
        (2, {"report_text": CHINESE_REPORT + "\n第二行", "language": "zh"}),
        (5, {"report_text": "LVEF 55%.", "language": "en"}),
    ]


def test_a_workbook_given_as_csv_is_refused_with_what_to_do():
    with translation.override("en"), pytest.raises(ReportFileError, match="save it as .xlsx or CSV"):
        decode_export(xlsx_bytes(["report_text"], [["x"]]))
