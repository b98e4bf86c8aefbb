"""CSV that is safe to open in a spreadsheet: the one writer of every CSV export.

A cell whose text starts with ``= + - @``, a tab or a carriage return may be run as a formula by
Excel or LibreOffice (OWASP's "CSV injection": ``=HYPERLINK(...)`` leaks data, ``=cmd|...`` runs
a program through DDE). Readers type comments, coordinators name studies and criteria, and the
access log holds what a URL asked for, so any text may arrive here. The rule
(docs/decisions/0015-spreadsheet-safe-exports.md):

- only strings are changed: numbers, booleans and None are written as they are;
- a string that is just a decimal number ("-3", "-0.25", "+1e-3") is kept: a spreadsheet reads it
  as that number and nothing in it can run, and the statistics columns must stay numeric;
- any other string starting with one of those characters gets a leading apostrophe, which a
  spreadsheet takes as "this is text" (and hides); the rest of the text is kept as it is.

Files (downloads, the analysis bundle) start with a UTF-8 byte-order mark so that Excel opens the
Chinese texts as UTF-8; R and pandas read them with "UTF-8-BOM" / "utf-8-sig". Command output to
a terminal or a pipe has no mark, where it would be a stray invisible character.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Protocol

FORMULA_STARTS = frozenset("=+-@\t\r")
# A plain decimal number, nothing else: no spaces, no "inf" or "nan", no hexadecimal.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
BYTE_ORDER_MARK = "\ufeff"
# RFC 4180's CRLF, not LF: csv quotes a cell holding any character of the line ending, so with LF
# alone a lone CR in a comment went out unquoted and split the row in a spreadsheet.
LINE_END = "\r\n"


class TextTarget(Protocol):
    def write(self, text: str, /) -> object: ...


def starts_like_a_formula(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (the XLSX writer asks this too)."""
    return text[:1] in FORMULA_STARTS and PLAIN_NUMBER.fullmatch(text) is None


def neutralise(value: object) -> object:
    """One cell made safe: an apostrophe before a formula-like string, anything else unchanged."""
    if isinstance(value, str) and starts_like_a_formula(value):
        return "'" + value
    return value


def write_rows(rows: Iterable[Iterable[object]], target: TextTarget, *, byte_order_mark: bool = True) -> None:
    """Write ``rows`` (header first) to a text ``target``: an open file, an HttpResponse, a StringIO.

    None becomes an empty cell. ``byte_order_mark=False`` for a terminal or a pipe.
    """
    if byte_order_mark:
        target.write(BYTE_ORDER_MARK)
    writer = csv.writer(target, lineterminator=LINE_END)
    for row in rows:
        writer.writerow(_safe(row))


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The same file a line at a time, for a streamed download; the mark leads the first line."""
    writer = csv.writer(_Echo(), lineterminator=LINE_END)
    mark = BYTE_ORDER_MARK
    for row in rows:
        yield mark + writer.writerow(_safe(row))
        mark = ""
    if mark:
        yield mark


def _safe(row: Iterable[object]) -> list[object]:
    # neutralise() spelt out: the bundle's long table has millions of cells, mostly numbers.
    return [
        ""
        if value is None
        else ("'" + value if isinstance(value, str) and starts_like_a_formula(value) else value)
        for value in row
    ]


class _Echo:
    """A file whose ``write`` hands back what it was given, so csv.writer makes strings."""

    def write(self, text: str) -> str:
        return text
