"""A streaming XLSX (Office Open XML SpreadsheetML, ECMA-376) writer for plain tables.

Why not openpyxl: its write-only mode builds a cell object per value and writes about 100,000
cells a second here, so a 20,000-case study's ratings_long sheet (7.9 million cells) took over
a minute; XlsxWriter was no faster. A plain table needs little of what those libraries model
(formulas, shared strings, arbitrary styles), so this writes the XML directly: numbers as
numbers, booleans as booleans, text as inline strings, one sheet streamed into the zip at a time,
about ten times faster. The result is read back by openpyxl in the tests.

So that a statistician can read a sheet as soon as it opens, every sheet has a bold header row,
frozen so that it stays in view while scrolling, and column widths fitted to the header and the
first rows. Widths must come before the rows in the XML (ECMA-376 fixes the order of a
worksheet's parts) and the rows are streamed, so only the first SAMPLE_ROWS rows are held and
measured; the rest stream as before.

No cell is ever a formula: nothing writes ``<f>``, and text is an inline string, which a
spreadsheet shows as text whatever it starts with. Text that would be a formula if typed
("=HYPERLINK(...)", see spreadsheet_csv) also gets Excel's quote-prefix style, what typing a
leading apostrophe gives: the cell keeps its exact text and stays text when someone edits it.
"""

import itertools
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from cmr_reader.analysis.tabular import Table
from cmr_reader.spreadsheet_csv import starts_like_a_formula

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAX_TEXT = 32_767  # Excel's limit on the characters of one cell
MAX_SHEET_NAME = 31
# XML 1.0 forbids most control characters; a comment pasted from elsewhere may hold one.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# An XML reader turns a raw CR into LF; written as a reference it is read back as CR.
KEEP_CR = {"\r": "&#13;"}
# Indexes into STYLES' cellXfs; a text cell takes the second of its pair when it looks like a formula.
BODY_STYLES = (0, 1)
HEADER_STYLES = (2, 3)  # bold
SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60  # in widths of the digit "0", the unit of <col width>

STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
# The header row stays in view: the pane below row 1 scrolls, row 1 does not.
FROZEN_HEADER = (
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews>"
)


def write_workbook(tables: list[Table], target: BinaryIO) -> None:
    """One sheet per table (header row, then its rows); None, NaN and "" become empty cells."""
    names = sheet_names([table.name for table in tables])
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr("[Content_Types].xml", _content_types(len(tables)))
        package.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        sheets = "".join(
            f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(names, start=1)
        )
        package.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{sheets}</sheets></workbook>',
        )
        relations = "".join(
            f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(tables) + 1)
        )
        relations += (
            f'<Relationship Id="rId{len(tables) + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
        )
        package.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{relations}</Relationships>',
        )
        package.writestr("xl/styles.xml", STYLES)
        for n, table in enumerate(tables, start=1):
            rows = iter(table.rows())
            sample = list(itertools.islice(rows, SAMPLE_ROWS))
            with package.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as member:
                member.write(
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'.encode()
                )
                member.write(FROZEN_HEADER.encode())
                member.write(cols_xml(column_widths(table.columns, sample)).encode())
                member.write(b"<sheetData>")
                for chunk in _rows_xml(table.columns, itertools.chain(sample, rows)):
                    member.write(chunk.encode("utf-8"))
                member.write(b"</sheetData></worksheet>")


def sheet_names(names: Iterable[str]) -> list[str]:
    """Valid, unique sheet names: forbidden characters replaced, cut to 31 characters."""
    seen: set[str] = set()
    result = []
    for name in names:
        base = SHEET_NAME_FORBIDDEN.sub("_", name)[:MAX_SHEET_NAME] or "sheet"
        candidate, n = base, 2
        while candidate.lower() in seen:
            suffix = f"~{n}"
            candidate, n = base[: MAX_SHEET_NAME - len(suffix)] + suffix, n + 1
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def display_width(value) -> int:
    """About how many digit widths a cell's value takes in a General-format column: East Asian
    wide characters (the readers' Chinese) count twice, and nothing past MAX_WIDTH is counted."""
    if value is None or value == "":
        return 0
    if isinstance(value, int):  # bools too: "True" is as wide as "TRUE"
        return len(str(value))
    if isinstance(value, float):
        # General format shows at most about 10 significant digits.
        return len(f"{value:.10g}") if math.isfinite(value) else 0
    text = str(value)[:MAX_WIDTH]
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def column_widths(columns: Sequence[str], sample: Iterable[Sequence]) -> list[int]:
    """Each column's width: its longest header or sampled value plus a margin, kept between
    MIN_WIDTH (a short number still shows its bold header) and MAX_WIDTH (a long comment does
    not push the next columns off screen)."""
    widths = [display_width(name) for name in columns]
    for row in sample:
        for index, value in zip(range(len(widths)), row, strict=False):
            widths[index] = max(widths[index], display_width(value))
    return [min(max(width + 2, MIN_WIDTH), MAX_WIDTH) for width in widths]


def cols_xml(widths: Sequence[int]) -> str:
    # The schema wants at least one <col> inside <cols>.
    if not widths:
        return ""
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(widths, start=1)
    )
    return f"<cols>{cols}</cols>"


def cell_xml(reference: str, value, styles: tuple[int, int] = BODY_STYLES) -> str:
    """One cell; a text cell takes ``styles[0]``, or ``styles[1]`` when it looks like a formula."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{reference}"><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{reference}"><v>{value!r}</v></c>' if math.isfinite(value) else ""
    text = ILLEGAL_XML.sub("", str(value))[:MAX_TEXT]
    space = ' xml:space="preserve"' if text != text.strip() else ""
    style = styles[starts_like_a_formula(text)]
    style = f' s="{style}"' if style else ""
    return f'<c r="{reference}"{style} t="inlineStr"><is><t{space}>{escape(text, KEEP_CR)}</t></is></c>'


def _rows_xml(columns: Sequence[str], rows: Iterable[Sequence]) -> Iterable[str]:
    letters = [column_letters(i) for i in range(len(columns))]
    header = "".join(
        cell_xml(f"{letter}1", name, HEADER_STYLES) for letter, name in zip(letters, columns, strict=True)
    )
    batch = [f'<row r="1">{header}</row>']
    for number, row in enumerate(rows, start=2):
        batch.append(_row_xml(number, letters, row))
        if len(batch) >= 2000:
            yield "".join(batch)
            batch = []
    yield "".join(batch)


def _row_xml(number: int, letters: list[str], row) -> str:
    cells = "".join(cell_xml(f"{letter}{number}", value) for letter, value in zip(letters, row, strict=False))
    return f'<row r="{number}">{cells}</row>'


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>"
    )
