"""The fully crossed design an Obuchowski-Rockette analysis needs, built from long-format readings.

Every reader scores every case in every modality (a "factorial" design in OR-DBM MRMC's words).
A missing cell, a duplicate score or a case whose truth changes between rows is an error that names
what is wrong, because the file usually comes from a spreadsheet a person has to correct.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

# At most this many missing cells are named in an error; the rest are counted.
MISSING_SHOWN = 5


class MrmcInputError(ValueError):
    """Readings that cannot form a crossed MRMC design; the message says which and why."""


@dataclass(frozen=True)
class Reading:
    """One reader's score of one case in one modality.

    truth is 1 (abnormal, or "the AI report") or 0 and is needed only for the AUC. unit groups
    cases that are left out together by the jackknife (both reports of one pair); by default
    every case is its own unit. line is where the reading came from, for error messages.
    """

    reader: str
    modality: str
    case: str
    score: float
    truth: int | None = None
    unit: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class CrossedDesign:
    """Scores as an array [modality, reader, case], with per-case truth and jackknife units."""

    modalities: tuple[str, ...]
    readers: tuple[str, ...]
    cases: tuple[str, ...]
    scores: np.ndarray
    truth: np.ndarray | None
    units: np.ndarray

    @property
    def n_units(self) -> int:
        return int(self.units.max()) + 1 if self.units.size else 0


def _where(reading: Reading) -> str:
    return f"line {reading.line}: " if reading.line is not None else ""


def crossed_design(readings: Iterable[Reading], *, need_truth: bool) -> CrossedDesign:
    """Arrange readings into the crossed array; modalities, readers and cases keep first-seen order.

    Raises MrmcInputError for: no readings, a second score for the same (reader, modality, case),
    a non-finite score, a case with two truths or two units, missing truth when need_truth, and
    a reader who lacks a case in some modality.
    """
    readings = list(readings)
    if not readings:
        raise MrmcInputError("no readings")
    modalities: dict[str, int] = {}
    readers: dict[str, int] = {}
    cases: dict[str, int] = {}
    truth: dict[str, int | None] = {}
    unit_of: dict[str, str] = {}
    cells: dict[tuple[int, int, int], float] = {}
    for reading in readings:
        if not np.isfinite(reading.score):
            raise MrmcInputError(f"{_where(reading)}the score is not a finite number")
        t = modalities.setdefault(reading.modality, len(modalities))
        r = readers.setdefault(reading.reader, len(readers))
        c = cases.setdefault(reading.case, len(cases))
        if truth.setdefault(reading.case, reading.truth) != reading.truth:
            raise MrmcInputError(f"{_where(reading)}case {reading.case} has two different truths")
        unit = reading.unit if reading.unit is not None else reading.case
        if unit_of.setdefault(reading.case, unit) != unit:
            raise MrmcInputError(f"{_where(reading)}case {reading.case} is in two jackknife units")
        if (t, r, c) in cells:
            raise MrmcInputError(
                f"{_where(reading)}a second score from reader {reading.reader} for case "
                f"{reading.case} in modality {reading.modality}"
            )
        cells[(t, r, c)] = float(reading.score)

    shape = (len(modalities), len(readers), len(cases))
    scores = np.full(shape, np.nan)
    for (t, r, c), score in cells.items():
        scores[t, r, c] = score
    missing = np.argwhere(np.isnan(scores))
    if len(missing):
        names = [list(modalities), list(readers), list(cases)]
        shown = "; ".join(
            f"reader {names[1][r]}, case {names[2][c]}, modality {names[0][t]}"
            for t, r, c in missing[:MISSING_SHOWN]
        )
        more = f" and {len(missing) - MISSING_SHOWN} more" if len(missing) > MISSING_SHOWN else ""
        raise MrmcInputError(
            f"the design is not fully crossed: {len(missing)} missing scores ({shown}{more}); "
            "every reader must score every case in every modality"
        )

    truth_array = None
    if need_truth:
        unknown = [case for case, value in truth.items() if value not in (0, 1)]
        if unknown:
            raise MrmcInputError(f"case {unknown[0]} has no truth (0 or 1), which the AUC needs")
        truth_array = np.array([truth[case] for case in cases], dtype=int)
        if truth_array.min() == truth_array.max():
            raise MrmcInputError("the AUC needs cases of both truths (0 and 1)")
    unit_index: dict[str, int] = {}
    units = np.array([unit_index.setdefault(unit_of[case], len(unit_index)) for case in cases], dtype=int)
    return CrossedDesign(
        modalities=tuple(modalities),
        readers=tuple(readers),
        cases=tuple(cases),
        scores=scores,
        truth=truth_array,
        units=units,
    )
