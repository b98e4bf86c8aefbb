"""The streaming XLSX writer, read back by openpyxl (an independent reader of the format)."""

import io
import math
import zipfile

from openpyxl import load_workbook

from cmr_reader.analysis.tabular import Table
from cmr_reader.analysis.xlsx_stream import SAMPLE_ROWS, column_letters, sheet_names, write_workbook


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


def test_every_sheet_has_a_bold_header_row_frozen_in_view():
    tables = [Table(name, ("case_id", "score"), lambda: iter([("c1", 3)])) for name in ("cases", "empty")]
    workbook, _ = written(tables)
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        header, row = list(sheet.iter_rows())
        assert all(cell.font.b for cell in header)
        assert not any(cell.font.b for cell in row)


def test_a_header_that_looks_like_a_formula_is_bold_and_keeps_its_quote_prefix():
    workbook, buffer = written([Table("odd", ("=1+1", "plain"), lambda: iter([("=2", "x")]))])
    (formula, plain), (body_formula, body_plain) = workbook["odd"].iter_rows()
    assert formula.value == "=1+1" and formula.font.b and formula.quotePrefix
    assert plain.font.b and not plain.quotePrefix
    assert body_formula.quotePrefix and not body_formula.font.b and not body_plain.quotePrefix
    sheet = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def test_column_widths_follow_the_header_and_the_first_rows_counting_chinese_twice():
    columns = ("comment", "n", "正确性评分", "score", "late")
    rows = [("a reader's comment of some forty characters", 3, 4, 1.5, "")] * SAMPLE_ROWS
    rows += [("", 1, 2, 2.0, "x" * 50)] * 10  # beyond the sampled rows: never measured
    workbook, _ = written([Table("widths", columns, lambda: iter(rows))])
    width = {letter: dimension.width for letter, dimension in workbook["widths"].column_dimensions.items()}
    assert width["A"] == len(rows[0][0]) + 2
    assert width["B"] == 8  # a one-digit number and a short header: the minimum
    assert width["C"] == 2 * len("正确性评分") + 2
    assert width["E"] == 8
    assert width["A"] > width["B"]


def test_widths_are_capped_and_every_row_still_arrives_after_the_sample():
    rows = [(n, "y" * 1000) for n in range(2 * SAMPLE_ROWS + 50)]
    workbook, _ = written([Table("long", ("n", "text"), lambda: iter(rows))])
    sheet = workbook["long"]
    assert sheet.column_dimensions["B"].width == 60
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == list(range(len(rows)))
