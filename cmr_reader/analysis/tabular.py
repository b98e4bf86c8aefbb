"""Tables as (name, columns, row function) and their CSV writer (XLSX: xlsx_stream.py).

A table's rows come from a function, so each writer walks them once without a 360,000-row
list being held twice.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Table:
    name: str  # file stem and sheet name
    columns: tuple[str, ...]
    rows: Callable[[], Iterable[tuple]]


def dict_table(name: str, columns: tuple[str, ...], rows: list[dict]) -> Table:
    return Table(name, columns, lambda: (tuple(row.get(column) for column in columns) for row in rows))


def write_csv(table: Table, target: BinaryIO) -> None:
    # UTF-8 with a byte-order mark, so Excel opens Chinese criterion wording correctly; R and
    # pandas read it with encoding "UTF-8-BOM" / "utf-8-sig".
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(("" if value is None else value for value in row) for row in table.rows())
    text.flush()
    text.detach()
