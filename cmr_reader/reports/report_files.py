"""Report exports as rows: the bytes of a CSV or XLSX file -> a header and row dicts.

Both imports (reference reports, AI reports made elsewhere) read their rows through here, so a
file is read the same way whichever kind it holds, from the command line or from the browser:
column names stripped and lower-cased, blank rows skipped, each row with the line (CSV) or sheet
row (XLSX) it starts on, every value as text. Which columns a kind needs is the import's business.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import TextIO

import openpyxl
from django.utils.translation import gettext as _

# A file's rows: (line the row starts on, row with lower-case keys).
Rows = Iterator[tuple[int, dict[str, str]]]
FORMAT_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
# What a summary calls the encodings a text file is tried in; a workbook has no encoding to guess.
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "gb18030": "GB18030", "xlsx": "XLSX"}
ZIP_MAGIC = b"PK\x03\x04"
# How a sheet damaged part-way through fails as it is read (ElementTree's ParseError is a
# SyntaxError; a truncated member a BadZipFile or EOFError).
SHEET_ERRORS = (zipfile.BadZipFile, EOFError, ValueError, SyntaxError, KeyError)


class ReportFileError(Exception):
    """The file as a whole cannot be read as a report export (no header, missing columns)."""


@dataclass
class Table:
    """A file's header (stripped, lower-case column names) and its non-blank rows."""

    columns: list[str]
    rows: Rows


def file_format_for(name: str) -> str | None:
    """``csv``, ``jsonl`` or ``xlsx`` from the file name's extension; None when it says none."""
    return FORMAT_BY_SUFFIX.get(PurePath(name).suffix.lower())


def decode_export(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without a byte-order mark, else GB18030, which Chinese
    Excel and hospital systems write. ReportFileError for anything else (UTF-16 included, which
    GB18030 would "decode" into nonsense rather than fail)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReportFileError(
            _("The file is UTF-16 text; save it as UTF-8 (or GB18030) and import it again.")
        )
    if data.startswith(ZIP_MAGIC):
        raise ReportFileError(_("The file is a workbook or an archive, not text: save it as .xlsx or CSV."))
    encodings = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            # A GB18030 byte-order mark decodes to U+FEFF too.
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError:
            continue
    raise ReportFileError(_("The file is neither UTF-8 nor GB18030 text."))


def read_table(data: bytes, *, file_format: str) -> tuple[Table, str]:
    """(the file's table, its encoding as ``ENCODING_NAMES`` keys it) for ``csv`` and ``xlsx``."""
    if file_format == "xlsx":
        return xlsx_table(data), "xlsx"
    text, encoding = decode_export(data)
    return csv_table(io.StringIO(text, newline="")), encoding


def csv_table(stream: TextIO) -> Table:
    """The header and rows of CSV text; the stream must be opened with ``newline=""`` so that the
    csv module sees line breaks inside quoted report text."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise ReportFileError(_("The file is empty: a header row is needed."))
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]

    def rows() -> Rows:
        line = reader.line_num + 1
        try:
            for values in reader:
                if any(value.strip() for value in values):
                    yield line, dict(zip(columns, values, strict=False))
                # A quoted report may span several lines; the next row starts after this one's last.
                line = reader.line_num + 1
        except csv.Error as error:
            # A field over the csv module's limit (128 KiB), a stray quote: the rest is unreadable.
            raise ReportFileError(
                _("Line %(line)d cannot be read as CSV (%(error)s).") % {"line": line, "error": error}
            ) from error

    return Table(columns=columns, rows=rows())


def xlsx_table(data: bytes) -> Table:
    """The first sheet of a workbook: its first row the header, each cell as text. A formula is
    read as the formula it is (``=A1&B1``), never evaluated: a report is stored as written."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    # Untrusted bytes reach a zip reader and an XML parser, which fail in many ways (BadZipFile,
    # KeyError for a missing part, InvalidFileException, XML errors): each means the same here.
    except Exception as error:
        raise _not_a_workbook(error) from error
    if not workbook.worksheets:
        raise ReportFileError(_("The workbook has no sheet."))
    # Read-only worksheets yield every row up to the last, empty ones included, so the count is
    # the sheet's own row number.
    sheet_rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
    try:
        header = next(sheet_rows, None)
    except SHEET_ERRORS as error:
        workbook.close()
        raise _not_a_workbook(error) from error
    if header is None or not any(_cell_text(value).strip() for value in header[1]):
        workbook.close()
        raise ReportFileError(_("The file is empty: a header row is needed."))
    columns = [_cell_text(value).strip().lower() for value in header[1]]

    def rows() -> Rows:
        try:
            for number, values in sheet_rows:
                texts = [_cell_text(value) for value in values]
                if any(text.strip() for text in texts):
                    yield number, dict(zip(columns, texts, strict=False))
        except SHEET_ERRORS as error:
            raise _not_a_workbook(error) from error
        finally:
            workbook.close()

    return Table(columns=columns, rows=rows())


def _not_a_workbook(error: Exception) -> ReportFileError:
    return ReportFileError(
        _("The file is not a readable XLSX workbook (%(error)s).") % {"error": type(error).__name__}
    )


def _cell_text(value) -> str:
    """A cell's value as the text a CSV export of it would hold: whole numbers without ``.0``
    (an accession number typed as a number), dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    # An array formula arrives as an object holding its text.
    text = getattr(value, "text", None)
    return str(text if isinstance(text, str) else value)
