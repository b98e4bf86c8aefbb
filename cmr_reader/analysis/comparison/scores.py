"""Long-format score rows and the paired (AI, reference) case scores derived from them."""

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

AI = "ai"
REFERENCE = "reference"
ARMS = (AI, REFERENCE)

# (case_id, reader_id, arm, score); score None or NaN means missing.
ScoreRow = tuple[Hashable, Hashable, str, float | None]


@dataclass(frozen=True)
class PairedScores:
    """Per-case AI and reference scores, aligned so that ai[i] and reference[i] belong to case_ids[i].

    When pooled over readers each entry is the mean over the readers who scored BOTH arms of that
    case; n_pairs counts those (case, reader) pairs. ``differences`` (AI minus reference, one value
    per case) is the mean of the within-reader differences computed in exact rational arithmetic
    and rounded once, so equal differences are equal floats: 8/3 - 7/3 and 14/3 - 13/3 are both
    1/3, and a rank test must see them tied (as floats they differ in the last bit).
    """

    case_ids: tuple[Hashable, ...]
    ai: np.ndarray
    reference: np.ndarray
    differences: np.ndarray
    n_pairs: int
    reader_id: Hashable | None


def is_missing(score: float | None) -> bool:
    return score is None or (isinstance(score, float) and math.isnan(score))


def arm_scores(*, rows: Iterable[ScoreRow], arm: str, reader_id: Hashable | None = None) -> np.ndarray:
    """All scores of one arm (optionally one reader) as a float array, NaN for missing ones."""
    check_arm(arm)
    return np.array(
        [
            np.nan if is_missing(score) else float(score)
            for _case, reader, row_arm, score in rows
            if row_arm == arm and (reader_id is None or reader == reader_id)
        ],
        dtype=float,
    )


def paired_scores(*, rows: Iterable[ScoreRow], reader_id: Hashable | None = None) -> PairedScores:
    """Pair the two arms per (case, reader); with reader_id=None average the pairs over readers per case.

    A (case, reader) pair enters only when that reader scored both arms, so the reader-averaged
    difference of a case is the mean of within-reader differences, never a difference between
    different readers' scores. Cases keep their first-seen order.
    """
    by_pair: dict[tuple[Hashable, Hashable], dict[str, float]] = defaultdict(dict)
    for case_id, row_reader, arm, score in rows:
        check_arm(arm)
        if is_missing(score) or (reader_id is not None and row_reader != reader_id):
            continue
        key = (case_id, row_reader)
        if arm in by_pair[key]:
            raise ValueError(f"duplicate {arm} score for case {case_id!r}, reader {row_reader!r}")
        by_pair[key][arm] = float(score)

    by_case: dict[Hashable, list[tuple[float, float]]] = defaultdict(list)
    n_pairs = 0
    for (case_id, _reader), arms in by_pair.items():
        if len(arms) == 2:
            by_case[case_id].append((arms[AI], arms[REFERENCE]))
            n_pairs += 1
    case_ids = tuple(by_case)
    means = np.array([np.mean(by_case[case], axis=0) for case in case_ids], dtype=float).reshape(-1, 2)
    differences = np.array([exact_mean_difference(by_case[case]) for case in case_ids], dtype=float)
    return PairedScores(
        case_ids=case_ids,
        ai=means[:, 0],
        reference=means[:, 1],
        differences=differences,
        n_pairs=n_pairs,
        reader_id=reader_id,
    )


def exact_mean_difference(pairs: list[tuple[float, float]]) -> float:
    """The mean of ``ai - reference`` over ``pairs``, exact (Fraction) and rounded once to a float:
    equal rational values give the same float whatever the readers' scores were."""
    total = sum((Fraction(ai) - Fraction(reference) for ai, reference in pairs), Fraction(0))
    return float(total / len(pairs))


def check_arm(arm: str) -> None:
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {ARMS}, got {arm!r}")
