"""The one CSV writer of every export: cells a spreadsheet would run as formulas become text
(OWASP's CSV-injection rule), everything else is written as it is, files start with a BOM."""

import csv
import io

import pytest

from cmr_reader.spreadsheet_csv import csv_lines, neutralise, starts_like_a_formula, write_rows


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://x","y")',
        "+cmd|' /C calc'!A0",
        "@SUM(1)",
        "-2+3",
        "\t=1",
        "\r=1",
        "=",
        "-",
        "+",
        "-inf",
    ],
)
def test_a_string_starting_with_a_formula_character_gets_an_apostrophe_and_keeps_its_text(text):
    assert starts_like_a_formula(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["-3", "-0.25", "+1e-3", "+7", "-.5", "-2.", "-1E+10"])
def test_a_string_that_is_only_a_number_is_kept_because_it_cannot_run(text):
    assert not starts_like_a_formula(text)
    assert neutralise(text) == text


@pytest.mark.parametrize(
    "text",
    ["", "ordinary comment", "1+1", " =1", "a=b", "'=already quoted", "正确性 = 良好", "CMR-0001", "x\n=1"],
)
def test_text_that_does_not_start_with_a_formula_character_is_kept(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("value", [-0.5, -3, 0, 2.5, True, False, None])
def test_values_that_are_not_strings_are_kept_so_statistics_stay_numbers(value):
    assert neutralise(value) is value


def test_the_writer_starts_with_a_byte_order_mark_and_neutralises_every_cell():
    target = io.StringIO()
    write_rows([("comment", "estimate", "missing"), ("=1+1", -0.5, None), ("-1", "@x", "plain")], target)

    text = target.getvalue()
    assert text.startswith("\ufeffcomment,")
    assert list(csv.reader(io.StringIO(text[1:], newline=""))) == [
        ["comment", "estimate", "missing"],
        ["'=1+1", "-0.5", ""],
        ["-1", "'@x", "plain"],
    ]


def test_terminal_output_has_no_byte_order_mark():
    target = io.StringIO()
    write_rows([("a",), ("=b",)], target, byte_order_mark=False)

    assert target.getvalue() == "a\r\n'=b\r\n"


def test_a_cell_with_a_carriage_return_is_quoted_and_read_back_whole():
    target = io.StringIO()
    write_rows([("\r=1", "two\r\nlines")], target, byte_order_mark=False)

    assert list(csv.reader(io.StringIO(target.getvalue(), newline=""))) == [["'\r=1", "two\r\nlines"]]


def test_streamed_lines_are_the_same_file():
    rows = [("at", "username"), ("2024-01-01", "=evil"), ("2024-01-02", "-7")]
    whole = io.StringIO()
    write_rows(rows, whole)

    assert "".join(csv_lines(iter(rows))) == whole.getvalue()
    assert next(csv_lines(iter(rows))) == "\ufeffat,username\r\n"
