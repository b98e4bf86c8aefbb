"""Read MRMC readings from a long CSV: one row per (reader, modality, case) score.

Columns: reader, modality, case, score and, for the AUC, truth (0 or 1); an optional unit column
names the jackknife unit of each case (cases of one unit are left out together). Every problem is
reported with its line, because the file usually comes from a spreadsheet a person has to fix.
"""

import csv
import io
import math
from pathlib import Path

from cmr_reader.analysis.mrmc.design import MrmcInputError, Reading

REQUIRED_COLUMNS = ("reader", "modality", "case", "score")


def read_mrmc_csv(source: Path | str, *, need_truth: bool) -> list[Reading]:
    """Parse the CSV (a Path is read as UTF-8, BOM allowed; a str is the text itself).

    Raises MrmcInputError for a missing column, an empty identifier, a score that is not a finite
    number or a truth other than 0 or 1 (or missing when need_truth).
    """
    text = source.read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    required = REQUIRED_COLUMNS + (("truth",) if need_truth else ())
    missing = [name for name in required if name not in columns]
    if missing:
        raise MrmcInputError(f"line 1: missing column(s) {', '.join(missing)}; found {', '.join(columns)}")
    reader.fieldnames = columns
    readings = []
    for record in reader:
        line = reader.line_num
        if None in record.values() or None in record:
            raise MrmcInputError(f"line {line}: expected {len(columns)} fields")
        ids = {name: record[name].strip() for name in ("reader", "modality", "case")}
        empty = [name for name, value in ids.items() if not value]
        if empty:
            raise MrmcInputError(f"line {line}: empty {', '.join(empty)}")
        raw = record["score"].strip()
        try:
            score = float(raw)
        except ValueError:
            raise MrmcInputError(f"line {line}: score {raw!r} is not a number") from None
        if not math.isfinite(score):
            raise MrmcInputError(f"line {line}: score {raw!r} is not a finite number")
        truth = _truth(record.get("truth", ""), line=line, need_truth=need_truth)
        unit = (record.get("unit") or "").strip() or None
        readings.append(Reading(**ids, score=score, truth=truth, unit=unit, line=line))
    return readings


def _truth(raw: str, *, line: int, need_truth: bool) -> int | None:
    raw = (raw or "").strip()
    if not raw and not need_truth:
        return None
    if raw not in ("0", "1"):
        raise MrmcInputError(f"line {line}: truth {raw!r} must be 0 or 1")
    return int(raw)
