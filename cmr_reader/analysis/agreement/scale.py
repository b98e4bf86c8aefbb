"""The declared rating scale: its categories, its weight matrices and the check that scores lie on it.

Weights are always built from the declared scale (1..5 by default), never from the levels
that happen to occur. A criterion where no reader used "1" is still a five-point scale; building
weights from the observed levels would silently turn a 2-vs-5 disagreement into a maximal one.
"""

from typing import Literal

import numpy as np

WeightKind = Literal["none", "linear", "quadratic"]


def scale_categories(*, scale_min: int = 1, scale_max: int = 5) -> np.ndarray:
    """The declared categories scale_min, scale_min + 1, ..., scale_max as floats."""
    if int(scale_min) != scale_min or int(scale_max) != scale_max:
        raise ValueError(f"the scale bounds must be integers, got {scale_min}..{scale_max}")
    if scale_max <= scale_min:
        raise ValueError(f"the scale needs at least two categories, got {scale_min}..{scale_max}")
    return np.arange(scale_min, scale_max + 1, dtype=float)


def agreement_weights(*, kind: WeightKind, scale_min: int = 1, scale_max: int = 5) -> np.ndarray:
    """q x q agreement weights (1 on the diagonal, 0 for the two ends of the scale).

    With d = |k - l| / (scale_max - scale_min) for categories k, l of the declared scale:

        none       w_kl = [k == l]
        linear     w_kl = 1 - d          (Cicchetti & Allison 1971)
        quadratic  w_kl = 1 - d^2        (Fleiss & Cohen 1973)

    Reference: Gwet KL (2014) Handbook of Inter-Rater Reliability, 4th ed., sec. 3.3.
    """
    categories = scale_categories(scale_min=scale_min, scale_max=scale_max)
    distance = np.abs(categories[:, None] - categories[None, :]) / (scale_max - scale_min)
    if kind == "none":
        return np.eye(categories.size)
    if kind == "linear":
        return 1.0 - distance
    if kind == "quadratic":
        return 1.0 - distance**2
    raise ValueError(f"unknown weights {kind!r}; expected 'none', 'linear' or 'quadratic'")


def tolerance_weights(*, tolerance: int, scale_min: int = 1, scale_max: int = 5) -> np.ndarray:
    """q x q weights that count two scores as agreeing when they differ by at most `tolerance` points."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be zero or more points, got {tolerance}")
    categories = scale_categories(scale_min=scale_min, scale_max=scale_max)
    return (np.abs(categories[:, None] - categories[None, :]) <= tolerance).astype(float)


def checked_ratings(ratings: np.ndarray, *, scale_min: int = 1, scale_max: int = 5) -> np.ndarray:
    """The ratings as a float (subjects, raters) matrix, after checking every score lies on the scale.

    NaN marks a missing rating. Anything else must be one of the declared integer categories;
    the error names the first offending cells so a bad export can be traced.
    """
    categories = scale_categories(scale_min=scale_min, scale_max=scale_max)
    matrix = np.asarray(ratings, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a (subjects, raters) matrix, got shape {matrix.shape}")
    off_scale = ~np.isnan(matrix) & ~np.isin(matrix, categories)
    if off_scale.any():
        cells = [
            f"subject {i}, rater {j}: {matrix[i, j]:g}" for i, j in zip(*np.nonzero(off_scale), strict=True)
        ]
        shown = "; ".join(cells[:5]) + (f"; and {len(cells) - 5} more" if len(cells) > 5 else "")
        raise ValueError(
            f"scores must be integers on the declared scale {scale_min}..{scale_max} (or NaN when "
            f"missing); off the scale: {shown}"
        )
    return matrix


def category_counts(ratings: np.ndarray, *, scale_min: int = 1, scale_max: int = 5) -> np.ndarray:
    """(subjects, q) table r_ik: how many raters put subject i in category k of the declared scale."""
    matrix = checked_ratings(ratings, scale_min=scale_min, scale_max=scale_max)
    categories = scale_categories(scale_min=scale_min, scale_max=scale_max)
    return (matrix[:, :, None] == categories[None, None, :]).sum(axis=1).astype(float)
