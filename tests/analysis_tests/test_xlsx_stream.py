"""The streaming XLSX writer, read back by openpyxl (an independent reader of the format)."""

import io
import math
import zipfile

from openpyxl import load_workbook

from cmr_reader.analysis.tabular import Table
from cmr_reader.analysis.xlsx_stream import column_letters, sheet_names, write_workbook


def written(tables: list[Table]):
    buffer = io.BytesIO()
    write_workbook(tables, buffer)
    buffer.seek(0)
    return load_workbook(buffer), buffer


def test_values_keep_their_types_and_text_survives_escaping():
    rows = [
        (1, 2.5, True, 'a < b & "c"', None, "", "  padded  ", "正确性", math.nan),
        (-7, 1e-12, False, "line\nbreak", "ctrl\x01char", 3, "x" * 40_000, "末尾", math.inf),
    ]
    columns = ("int", "float", "bool", "text", "none", "empty", "spaces", "chinese", "nan")
    workbook, _ = written([Table("ratings", columns, lambda: iter(rows))])
    sheet = workbook["ratings"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == columns
    assert values[1] == (1, 2.5, True, 'a < b & "c"', None, None, "  padded  ", "正确性", None)
    assert values[2][:6] == (-7, 1e-12, False, "line\nbreak", "ctrlchar", 3)
    assert len(values[2][6]) == 32_767 and values[2][7] == "末尾" and values[2][8] is None


def test_every_table_becomes_a_sheet_in_order_and_the_package_is_well_formed():
    tables = [Table(f"sheet_{n}", ("a", "b"), lambda n=n: ((n, i) for i in range(5000))) for n in range(3)]
    workbook, buffer = written(tables)
    assert workbook.sheetnames == ["sheet_0", "sheet_1", "sheet_2"]
    assert [row for row in workbook["sheet_2"].iter_rows(min_row=5001, values_only=True)] == [(2, 4999)]
    assert zipfile.ZipFile(buffer).testzip() is None


def test_sheet_names_are_made_valid_and_unique():
    assert sheet_names(["a" * 40, "a" * 40, "bad/name[1]", ""]) == [
        "a" * 31,
        "a" * 29 + "~2",
        "bad_name_1_",
        "sheet",
    ]


def test_column_letters_follow_the_spreadsheet_alphabet():
    assert [column_letters(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_text_that_looks_like_a_formula_is_stored_as_text_with_excels_quote_prefix():
    hostile = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1", "\r=1")
    rows = [hostile, ("-3", -0.5, "plain", "1+1", None, "=")]
    workbook, buffer = written([Table("comments", tuple("abcdef"), lambda: iter(rows))])

    first, second = list(workbook["comments"].iter_rows(min_row=2))
    # The exact text, no apostrophe added: a spreadsheet shows it as text, pandas reads it as it was.
    assert [cell.value for cell in first] == list(hostile)
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in first)
    assert [(cell.value, cell.quotePrefix) for cell in second] == [
        ("-3", False),
        (-0.5, False),
        ("plain", False),
        ("1+1", False),
        (None, False),
        ("=", True),
    ]
    sheet = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
