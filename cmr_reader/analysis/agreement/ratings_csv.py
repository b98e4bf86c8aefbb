"""Read reader scores from a long-format CSV: one row per (case, reader, criterion[, arm]) score.

Columns: case_id, reader_id, criterion, score and, optionally, arm. An empty score is a
missing rating. Every problem is reported with the line it is on, because the file usually
comes from a spreadsheet export that a person has to fix by hand.
"""

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

REQUIRED_COLUMNS = ("case_id", "reader_id", "criterion", "score")


class RatingsFileError(ValueError):
    """A ratings file that cannot be read; the message names the offending line."""


@dataclass(frozen=True)
class RatingRow:
    """One reader's score of one report on one criterion; score is None when missing."""

    case_id: str
    reader_id: str
    criterion: str
    arm: str
    score: float | None
    line: int


def read_ratings_csv(source: Path | str, *, scale_min: int = 1, scale_max: int = 5) -> list[RatingRow]:
    """Parse a ratings CSV; a `Path` is read from disk (UTF-8, BOM allowed), a `str` is the CSV text.

    Raises RatingsFileError for a missing column, an empty identifier, a non-numeric or
    non-integer score, a score outside scale_min..scale_max, or a second score for the same
    (case, reader, criterion, arm). Without an arm column every row has arm "".
    """
    text = source.read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise RatingsFileError(f"line 1: missing column(s) {', '.join(missing)}; found {', '.join(columns)}")
    reader.fieldnames = columns

    rows: list[RatingRow] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for record in reader:
        line = reader.line_num
        if None in record.values() or None in record:
            raise RatingsFileError(f"line {line}: expected {len(columns)} fields")
        ids = {name: record[name].strip() for name in ("case_id", "reader_id", "criterion")}
        empty = [name for name, value in ids.items() if not value]
        if empty:
            raise RatingsFileError(f"line {line}: empty {', '.join(empty)}")
        arm = (record.get("arm") or "").strip()
        key = (ids["case_id"], ids["reader_id"], ids["criterion"], arm)
        if key in seen:
            raise RatingsFileError(
                f"line {line}: duplicate score for case {key[0]!r}, reader {key[1]!r}, criterion "
                f"{key[2]!r}, arm {arm!r} (first on line {seen[key]})"
            )
        seen[key] = line
        rows.append(
            RatingRow(
                **ids,
                arm=arm,
                score=_parse_score(record["score"], line=line, scale_min=scale_min, scale_max=scale_max),
                line=line,
            )
        )
    return rows


def _parse_score(raw: str, *, line: int, scale_min: int, scale_max: int) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        score = float(raw)
    except ValueError:
        raise RatingsFileError(f"line {line}: score {raw!r} is not a number") from None
    if not math.isfinite(score) or score != int(score) or not scale_min <= score <= scale_max:
        raise RatingsFileError(
            f"line {line}: score {raw!r} is not an integer on the declared scale {scale_min}..{scale_max}"
        )
    return score
