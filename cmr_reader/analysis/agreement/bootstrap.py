"""Case-resampling bootstrap for the agreement coefficients, vectorised over replicates.

Resampling n subjects with replacement is the same as giving each subject an integer weight
c_i = how often it was drawn (sum_i c_i = n). Every coefficient here is a function of a few
per-subject quantities summed over subjects (category counts, pairwise agreement, coincidence
matrices, contingency cells, ANOVA sums), so with the (B, n) draw-count matrix C each sum over
a resampled matrix becomes one matrix product C @ per_subject. The per-subject quantities are
computed once; no resampled matrix is ever built.

Each `*_replicates` function returns the B values the matching function in this package would
give on the explicitly resampled matrix (`np.repeat(ratings, c, axis=0)`), NaN where that
function returns NaN or raises for want of data. Percentile intervals follow Efron &
Tibshirani (1993), An Introduction to the Bootstrap, ch. 13.
"""

from itertools import combinations

import numpy as np

from cmr_reader.analysis.agreement.icc import IccForm, icc_from_mean_squares
from cmr_reader.analysis.agreement.krippendorff_alpha import MeasurementLevel
from cmr_reader.analysis.agreement.percent import pairwise_agreement_by_subject
from cmr_reader.analysis.agreement.scale import (
    WeightKind,
    agreement_weights,
    category_counts,
    scale_categories,
    tolerance_weights,
)

PERCENTILE_METHOD = "percentile bootstrap over cases (Efron & Tibshirani 1993, ch. 13)"


def draw_counts(*, n_subjects: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """(replicates, n_subjects) matrix: how often each subject is drawn in each bootstrap resample.

    Drawn as n uniform indices per replicate (the textbook resample) and tallied with one
    bincount over offset indices, which is cheaper than a per-row loop.
    """
    drawn = rng.integers(0, n_subjects, size=(replicates, n_subjects))
    offsets = (np.arange(replicates) * n_subjects)[:, None]
    tally = np.bincount((drawn + offsets).ravel(), minlength=replicates * n_subjects)
    return tally.reshape(replicates, n_subjects).astype(float)


def percentile_interval(
    replicates: np.ndarray, *, confidence_level: float = 0.95
) -> tuple[float | None, float | None]:
    """The (alpha/2, 1 - alpha/2) quantiles of the defined (non-NaN) replicates; None if there are none."""
    defined = replicates[~np.isnan(replicates)]
    if defined.size == 0:
        return None, None
    tail = (1 - confidence_level) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    return float(low), float(high)


def percent_agreement_replicates(
    ratings: np.ndarray, *, counts: np.ndarray, tolerance: int, scale_min: int = 1, scale_max: int = 5
) -> np.ndarray:
    """`percent.percent_agreement` per replicate: sum_i c_i pa_i [r_i >= 2] / sum_i c_i [r_i >= 2]."""
    categories = category_counts(ratings, scale_min=scale_min, scale_max=scale_max)
    weights = tolerance_weights(tolerance=tolerance, scale_min=scale_min, scale_max=scale_max)
    paired = (categories.sum(axis=1) >= 2).astype(float)
    pa = pairwise_agreement_by_subject(counts=categories, weights=weights)
    return _divide(counts @ (pa * paired), counts @ paired)


def fleiss_kappa_replicates(
    ratings: np.ndarray,
    *,
    counts: np.ndarray,
    weights: WeightKind = "none",
    scale_min: int = 1,
    scale_max: int = 5,
) -> np.ndarray:
    """`fleiss.fleiss_kappa_generalized` per replicate: (pa - pe) / (1 - pe), pe = pi' W pi."""
    agreement = agreement_weights(kind=weights, scale_min=scale_min, scale_max=scale_max)
    observed, shares = _observed_and_shares(
        ratings, counts=counts, weights=agreement, scale=(scale_min, scale_max)
    )
    chance = np.einsum("bk,kl,bl->b", shares, agreement, shares)
    # The point estimate is NaN when pe is (numerically) 1; the replicates follow the same rule.
    chance = np.where(np.isclose(chance, 1.0), np.nan, chance)
    return (observed - chance) / (1 - chance)


def gwet_ac_replicates(
    ratings: np.ndarray,
    *,
    counts: np.ndarray,
    weights: WeightKind = "none",
    scale_min: int = 1,
    scale_max: int = 5,
) -> np.ndarray:
    """`gwet.gwet_ac1` (weights "none") or `gwet.gwet_ac2` per replicate.

    pe = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k), with pi_k the replicate's category shares.
    """
    agreement = agreement_weights(kind=weights, scale_min=scale_min, scale_max=scale_max)
    observed, shares = _observed_and_shares(
        ratings, counts=counts, weights=agreement, scale=(scale_min, scale_max)
    )
    q = agreement.shape[0]
    chance = agreement.sum() / (q * (q - 1)) * np.sum(shares * (1 - shares), axis=1)
    return (observed - chance) / (1 - chance)


def krippendorff_alpha_replicates(
    ratings: np.ndarray,
    *,
    counts: np.ndarray,
    level: MeasurementLevel,
    scale_min: int = 1,
    scale_max: int = 5,
) -> np.ndarray:
    """`krippendorff_alpha.krippendorff_alpha` per replicate, from per-subject coincidence matrices.

    Subject u with m_u >= 2 ratings, n_uc of them in category c, adds
    o_uck = (n_uc n_uk - [c == k] n_uc) / (m_u - 1); the replicate's coincidence matrix is
    O = sum_u c_u o_u, and alpha = 1 - (n.. - 1) sum O delta2 / sum n_c n_k delta2 (Krippendorff 2011).
    The ordinal delta2 depends on the replicate's marginals n_c, so it is built per replicate.
    """
    categories = category_counts(ratings, scale_min=scale_min, scale_max=scale_max)
    values = scale_categories(scale_min=scale_min, scale_max=scale_max)
    q = values.size
    m = categories.sum(axis=1)
    pairable = m >= 2
    per_subject = (categories[:, :, None] * categories[:, None, :]) - categories[:, :, None] * np.eye(q)
    per_subject[pairable] /= (m[pairable] - 1)[:, None, None]
    per_subject[~pairable] = 0.0
    coincidences = (counts @ per_subject.reshape(-1, q * q)).reshape(-1, q, q)
    marginals = coincidences.sum(axis=2)
    total = marginals.sum(axis=1)

    difference = values[:, None] - values[None, :]
    if level == "nominal":
        delta = np.broadcast_to((difference != 0).astype(float), coincidences.shape)
    elif level == "interval":
        delta = np.broadcast_to(difference**2, coincidences.shape)
    elif level == "ratio":
        sums = values[:, None] + values[None, :]
        delta = np.broadcast_to(
            np.divide(difference, sums, out=np.zeros_like(sums), where=sums != 0) ** 2, coincidences.shape
        )
    elif level == "ordinal":
        cumulative = np.cumsum(marginals, axis=1)
        # sum_{g=c..k} n_g for c <= k (symmetric): cumulative[max] - cumulative[min] + n_min.
        low = np.minimum.outer(np.arange(q), np.arange(q))
        high = np.maximum.outer(np.arange(q), np.arange(q))
        between = cumulative[:, high] - cumulative[:, low] + marginals[:, low]
        delta = (between - (marginals[:, :, None] + marginals[:, None, :]) / 2) ** 2
    else:
        raise ValueError(f"unknown level {level!r}")
    observed = np.sum(coincidences * delta, axis=(1, 2))
    expected = np.einsum("bc,bk,bck->b", marginals, marginals, delta)
    return 1 - (total - 1) * _divide(observed, expected)


def cohen_kappa_replicates(
    ratings: np.ndarray,
    *,
    counts: np.ndarray,
    weights: WeightKind = "none",
    scale_min: int = 1,
    scale_max: int = 5,
) -> dict[tuple[int, int], np.ndarray]:
    """`cohen.pairwise_cohen_kappa` per replicate, keyed by rater pair (i, j), i < j.

    Each subject scored by both raters adds one to cell (k, l) of the q x q table, so the
    replicate's table is C @ onehot; kappa = (p_o - p_e) / (1 - p_e) follows (Cohen 1960, 1968).
    NaN where fewer than two subjects are shared or p_e is 1, as in `pairwise_cohen_kappa`.
    """
    values = scale_categories(scale_min=scale_min, scale_max=scale_max)
    q = values.size
    agreement = agreement_weights(kind=weights, scale_min=scale_min, scale_max=scale_max).ravel()
    matrix = np.asarray(ratings, dtype=float)
    kappas = {}
    for i, j in combinations(range(matrix.shape[1]), 2):
        both = ~np.isnan(matrix[:, [i, j]]).any(axis=1)
        cell = np.searchsorted(values, np.where(both, matrix[:, i], values[0])) * q + np.searchsorted(
            values, np.where(both, matrix[:, j], values[0])
        )
        onehot = np.zeros((matrix.shape[0], q * q))
        onehot[np.nonzero(both)[0], cell[both]] = 1.0
        table = counts @ onehot
        n = table.sum(axis=1)
        shares = table / np.where(n > 0, n, 1.0)[:, None]
        grid = shares.reshape(-1, q, q)
        expected = np.einsum("bk,bl->bkl", grid.sum(axis=2), grid.sum(axis=1)).reshape(-1, q * q)
        observed, chance = shares @ agreement, expected @ agreement
        undefined = (n < 2) | np.isclose(chance, 1.0)
        chance = np.where(undefined, np.nan, chance)
        kappas[(i, j)] = (observed - chance) / (1 - chance)
    return kappas


def icc_replicates(ratings: np.ndarray, *, counts: np.ndarray, form: IccForm) -> np.ndarray:
    """`icc.intraclass_correlation` point estimate per replicate, from weighted ANOVA sums.

    Over the complete cases (x_ij, n subjects, k raters) with draw counts c_i, N = sum c_i:

        SS_subjects = k sum_i c_i (xbar_i - xbar)^2,  SS_raters = N sum_j (xbar_j - xbar)^2,
        SS_total = sum_i c_i sum_j (x_ij - xbar)^2

    with xbar and xbar_j the replicate's weighted means (Shrout & Fleiss 1979, Table 1). The
    complete cases and the rater set are fixed from the full data; a replicate in which some
    rater loses every rating (possible only with very few cases) is not re-filtered.
    """
    matrix = np.asarray(ratings, dtype=float)
    keep_raters = ~np.all(np.isnan(matrix), axis=0)
    complete_rows = ~np.any(np.isnan(matrix[:, keep_raters]), axis=1)
    x = matrix[complete_rows][:, keep_raters]
    weights = counts[:, complete_rows]
    k = x.shape[1]
    # Centring on the full-data mean first keeps the sums of squares free of cancellation.
    x = x - x.mean()
    n = weights.sum(axis=1)
    safe_n = np.where(n > 0, n, 1.0)
    grand = (weights @ x.sum(axis=1)) / (safe_n * k)
    rater_means = (weights @ x) / safe_n[:, None]
    ss_subjects = k * (weights @ x.mean(axis=1) ** 2) - n * k * grand**2
    ss_raters = n * np.sum(rater_means**2, axis=1) - n * k * grand**2
    ss_total = weights @ np.sum(x**2, axis=1) - n * k * grand**2
    with np.errstate(divide="ignore", invalid="ignore"):
        bms = ss_subjects / (n - 1)
        wms = (ss_total - ss_subjects) / (n * (k - 1))
        jms = ss_raters / (k - 1)
        ems = (ss_total - ss_subjects - ss_raters) / ((n - 1) * (k - 1))
        estimates = icc_from_mean_squares(form=form, n=n, k=k, bms=bms, wms=wms, jms=jms, ems=ems)
    # The point estimate is NaN when subjects' means do not vary (BMS = 0) or fewer than 2 remain.
    return np.where(
        (n >= 2) & (k >= 2) & (bms > 1e-12 * np.maximum(1.0, np.abs(ss_total))), estimates, np.nan
    )


def _observed_and_shares(
    ratings: np.ndarray, *, counts: np.ndarray, weights: np.ndarray, scale: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: mean weighted pairwise agreement over paired subjects, and category shares pi_k."""
    categories = category_counts(ratings, scale_min=scale[0], scale_max=scale[1])
    raters = categories.sum(axis=1)
    rated = (raters > 0).astype(float)
    paired = (raters >= 2).astype(float)
    pa = pairwise_agreement_by_subject(counts=categories, weights=weights)
    observed = _divide(counts @ (pa * paired), counts @ paired)
    per_subject_shares = categories / np.where(raters > 0, raters, 1.0)[:, None]
    shares = (counts @ per_subject_shares) / np.where(counts @ rated > 0, counts @ rated, np.nan)[:, None]
    return observed, shares


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is zero (no pair, no variation)."""
    return np.divide(numerator, denominator, out=np.full(np.shape(numerator), np.nan), where=denominator != 0)
