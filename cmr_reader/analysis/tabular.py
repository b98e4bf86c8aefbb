"""Tables as (name, columns, row function) and their CSV writer (XLSX: xlsx_stream.py).

A table's rows come from a function, so each writer walks them once without a 360,000-row
list being held twice.
"""

import io
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from cmr_reader import spreadsheet_csv


@dataclass(frozen=True)
class Table:
    name: str  # file stem and sheet name
    columns: tuple[str, ...]
    rows: Callable[[], Iterable[tuple]]


def dict_table(name: str, columns: tuple[str, ...], rows: list[dict]) -> Table:
    return Table(name, columns, lambda: (tuple(row.get(column) for column in columns) for row in rows))


def write_csv(table: Table, target: BinaryIO) -> None:
    """The table as UTF-8 CSV with a byte-order mark (Excel then reads its Chinese criterion
    wording correctly), cells kept from running as formulas: see spreadsheet_csv."""
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    spreadsheet_csv.write_rows(itertools.chain([table.columns], table.rows()), text)
    text.flush()
    text.detach()
