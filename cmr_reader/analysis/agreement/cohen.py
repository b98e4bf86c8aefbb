"""Cohen's kappa for pairs of readers, weighted on the declared scale, and Light's kappa over all pairs.

The arithmetic is statsmodels' `cohens_kappa`, which implements Cohen (1960, 1968) with the
Fleiss, Cohen & Everitt (1969) large-sample variance and reproduces SAS PROC FREQ. This
module owns what statsmodels cannot know: the contingency table is built over every category
of the declared scale (a category nobody used is a row and column of zeros), and the weight
matrix comes from `scale.agreement_weights`, so kappa never depends on which scores occurred.
"""

from itertools import combinations

import numpy as np
from statsmodels.stats.inter_rater import cohens_kappa as statsmodels_cohens_kappa

from cmr_reader.analysis.agreement.estimate import Estimate, normal_interval
from cmr_reader.analysis.agreement.scale import (
    WeightKind,
    agreement_weights,
    checked_ratings,
    scale_categories,
)

WALD_INTERVAL = (
    "Wald, Fleiss-Cohen-Everitt (1969) non-null standard error; normal quantile; upper bound capped at 1"
)


def contingency_table(ratings: np.ndarray, *, scale_min: int = 1, scale_max: int = 5) -> np.ndarray:
    """q x q counts n_kl of subjects scored k by the first rater and l by the second.

    Rows and columns run over the whole declared scale. Subjects missing either score are dropped.
    """
    matrix = checked_ratings(ratings, scale_min=scale_min, scale_max=scale_max)
    if matrix.shape[1] != 2:
        raise ValueError(f"Cohen's kappa compares exactly two raters, got {matrix.shape[1]} columns")
    both = matrix[~np.isnan(matrix).any(axis=1)]
    categories = scale_categories(scale_min=scale_min, scale_max=scale_max)
    first = np.searchsorted(categories, both[:, 0])
    second = np.searchsorted(categories, both[:, 1])
    table = np.zeros((categories.size, categories.size))
    np.add.at(table, (first, second), 1.0)
    return table


def cohen_kappa(
    ratings: np.ndarray,
    *,
    weights: WeightKind = "none",
    scale_min: int = 1,
    scale_max: int = 5,
    confidence_level: float = 0.95,
) -> Estimate:
    """Cohen's (weighted) kappa between the two columns of `ratings`.

    With p_kl the share of subjects scored k by rater 1 and l by rater 2, p_k. and p_.l the
    marginal shares and w_kl the agreement weights of the declared scale:

        p_o = sum_kl w_kl p_kl,  p_e = sum_kl w_kl p_k. p_.l,  kappa = (p_o - p_e) / (1 - p_e)

    Unweighted is w_kl = [k == l] (Cohen 1960); linear and quadratic as in
    `scale.agreement_weights` (Cohen 1968). The standard error is the large-sample non-null
    one of Fleiss, Cohen & Everitt (1969, Psychol Bull 72:323-327), with w_k. = sum_l w_kl p_.l and
    w_.l = sum_k w_kl p_k.:

        var = [sum_kl p_kl (w_kl - (w_k. + w_.l)(1 - kappa))^2 - (kappa - p_e (1 - kappa))^2]
              / (n (1 - p_e)^2)

    and the interval is kappa +/- z(1 - alpha/2) se (Wald), capped at 1. Subjects missing
    either score are dropped. When p_e = 1 (both raters gave one and the same score to
    everything) kappa is undefined and returned as NaN with no standard error.
    """
    table = contingency_table(ratings, scale_min=scale_min, scale_max=scale_max)
    n_subjects = int(table.sum())
    if n_subjects < 2:
        raise ValueError(f"Cohen's kappa needs at least two subjects scored by both raters, got {n_subjects}")
    agreement = agreement_weights(kind=weights, scale_min=scale_min, scale_max=scale_max)
    shares = table / n_subjects
    chance = float(np.sum(agreement * np.outer(shares.sum(axis=1), shares.sum(axis=0))))
    if np.isclose(chance, 1.0):
        return _undefined_kappa(
            reason="kappa is undefined when chance agreement is 1",
            n_subjects=n_subjects,
            confidence_level=confidence_level,
        )
    # statsmodels takes disagreement weights (0 on the diagonal); kappa is unchanged by the flip.
    result = statsmodels_cohens_kappa(table, weights=None if weights == "none" else 1.0 - agreement)
    se = float(np.sqrt(max(result.var_kappa, 0.0)))
    ci_low, ci_high = normal_interval(estimate=result.kappa, se=se, confidence_level=confidence_level)
    return Estimate(
        estimate=float(result.kappa),
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_method=WALD_INTERVAL,
        n_subjects=n_subjects,
        n_raters=2,
        n_ratings=2 * n_subjects,
        confidence=confidence_level,
    )


def pairwise_cohen_kappa(
    ratings: np.ndarray,
    *,
    weights: WeightKind = "none",
    scale_min: int = 1,
    scale_max: int = 5,
    confidence_level: float = 0.95,
) -> dict[tuple[int, int], Estimate]:
    """Cohen's kappa for every pair of raters (columns i < j), each on the subjects both scored."""
    matrix = checked_ratings(ratings, scale_min=scale_min, scale_max=scale_max)
    kappas = {}
    for i, j in combinations(range(matrix.shape[1]), 2):
        shared = int(np.sum(~np.isnan(matrix[:, [i, j]]).any(axis=1)))
        # Two readers who share fewer than two reports have no kappa, but the other pairs still do.
        kappas[(i, j)] = (
            cohen_kappa(
                matrix[:, [i, j]],
                weights=weights,
                scale_min=scale_min,
                scale_max=scale_max,
                confidence_level=confidence_level,
            )
            if shared >= 2
            else _undefined_kappa(
                reason="fewer than two subjects scored by both raters",
                n_subjects=shared,
                confidence_level=confidence_level,
            )
        )
    return kappas


def light_kappa(
    ratings: np.ndarray, *, weights: WeightKind = "none", scale_min: int = 1, scale_max: int = 5
) -> Estimate:
    """Light's kappa: the mean of Cohen's kappa over all pairs of raters (Light 1971).

        kappa_Light = 1 / P * sum over the P pairs (i, j) of kappa_ij

    Pairs with an undefined kappa (chance agreement 1, or under two shared subjects) are left out of the mean. The pairwise
    kappas share raters and so are correlated; no analytic standard error is given (use a
    bootstrap over subjects). n_ratings counts the non-missing scores in the matrix.

    Reference: Light RJ (1971) Psychol Bull 76:365-377; Conger AJ (1980) Psychol Bull 88:322-328.
    """
    pairs = pairwise_cohen_kappa(ratings, weights=weights, scale_min=scale_min, scale_max=scale_max)
    if not pairs:
        raise ValueError("Light's kappa needs at least two raters")
    defined = [pair.estimate for pair in pairs.values() if not np.isnan(pair.estimate)]
    matrix = np.asarray(ratings, dtype=float)
    return Estimate(
        estimate=float(np.mean(defined)) if defined else float("nan"),
        se=None,
        ci_low=None,
        ci_high=None,
        ci_method="none: the pairwise kappas are correlated; bootstrap subjects for an interval",
        n_subjects=int((np.sum(~np.isnan(matrix), axis=1) >= 2).sum()),
        n_raters=matrix.shape[1],
        n_ratings=int(np.sum(~np.isnan(matrix))),
    )


def _undefined_kappa(*, reason: str, n_subjects: int, confidence_level: float) -> Estimate:
    return Estimate(
        estimate=float("nan"),
        se=None,
        ci_low=None,
        ci_high=None,
        ci_method=f"none: {reason}",
        n_subjects=n_subjects,
        n_raters=2,
        n_ratings=2 * n_subjects,
        confidence=confidence_level,
    )
