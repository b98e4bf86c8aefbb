"""Per-arm descriptive statistics over a declared Likert scale."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArmDescriptives:
    """Location, spread and the full score distribution of one arm.

    counts/proportions have one entry per scale point scale_min..scale_max (zero categories kept),
    proportions are over the non-missing scores. Statistics are None when no score is present.
    """

    n: int
    n_missing: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    categories: tuple[int, ...]
    counts: tuple[int, ...]
    proportions: tuple[float | None, ...]
    method: str


def describe_scores(*, scores: np.ndarray, scale_min: int = 1, scale_max: int = 5) -> ArmDescriptives:
    """Mean, sample SD (n - 1 denominator), median, quartiles and category counts of one arm.

    Quartiles use linear interpolation between order statistics (Hyndman & Fan 1996 type 7,
    R's quantile() default), so they reproduce R's summary(). Scores off the declared integer
    scale raise rather than silently vanishing from the distribution.
    """
    values = np.asarray(scores, dtype=float)
    present = values[~np.isnan(values)]
    categories = tuple(range(scale_min, scale_max + 1))
    off_scale = present[~np.isin(present, categories)]
    if off_scale.size:
        raise ValueError(f"scores off the declared scale {scale_min}..{scale_max}: {sorted(set(off_scale))}")
    counts = tuple(int(np.sum(present == category)) for category in categories)
    n = int(present.size)
    has_data = n > 0
    q1, median, q3 = np.quantile(present, [0.25, 0.5, 0.75]) if has_data else (None, None, None)
    return ArmDescriptives(
        n=n,
        n_missing=int(values.size - n),
        mean=float(present.mean()) if has_data else None,
        sd=float(present.std(ddof=1)) if n >= 2 else None,
        median=None if median is None else float(median),
        q1=None if q1 is None else float(q1),
        q3=None if q3 is None else float(q3),
        categories=categories,
        counts=counts,
        proportions=tuple((count / n) if has_data else None for count in counts),
        method="mean, SD (ddof=1), type-7 quartiles (Hyndman & Fan 1996), counts over the declared scale",
    )
