"""Raw agreement between readers: how often two scores of the same report match (or nearly match).

Raw agreement is not corrected for chance, so it is reported beside kappa, never instead of
it; when one score dominates, agreement can be high while kappa is low (Feinstein &
Cicchetti 1990). Values are proportions in [0, 1], not percentages.
"""

import numpy as np

from cmr_reader.analysis.agreement.estimate import Estimate, student_t_interval
from cmr_reader.analysis.agreement.scale import category_counts, tolerance_weights

GWET_INTERVAL = "Gwet (2014) variance over subjects; Student t with n-1 df; bounds capped to [0, 1]"


def pairwise_agreement_by_subject(*, counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per subject, the weighted share of ordered pairs of distinct raters who agree.

    With r_ik raters putting subject i in category k, r_i = sum_k r_ik and r*_ik = sum_l w_kl r_il:

        pa_i = sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))      for r_i >= 2, else 0

    The "- 1" removes each rating's pairing with itself (w_kk = 1). With identity weights this
    is P_i of Fleiss (1971); with general weights, Gwet (2014, ch. 2-3).
    """
    raters = counts.sum(axis=1)
    paired = raters >= 2
    agreeing_pairs = (counts * (counts @ weights.T - 1)).sum(axis=1)
    # A subject with fewer than two ratings has no pair; its denominator is a placeholder.
    pairs = np.where(paired, raters * (raters - 1), 1.0)
    return np.where(paired, agreeing_pairs / pairs, 0.0)


def percent_agreement(
    ratings: np.ndarray,
    *,
    tolerance: int = 0,
    scale_min: int = 1,
    scale_max: int = 5,
    confidence_level: float = 0.95,
) -> Estimate:
    """Share of reader pairs, per report, whose scores differ by at most `tolerance` points.

    tolerance=0 is exact agreement, tolerance=1 is agreement within one point. Each subject
    contributes the share of its agreeing pairs among the raters who scored it (missing
    ratings just shrink the subject's set of raters), and subjects are averaged equally:

        pa = 1/n' * sum over subjects with r_i >= 2 of pa_i        (see pairwise_agreement_by_subject)

    with weights w_kl = [|k - l| <= tolerance] on the declared scale. This is P-bar of
    Fleiss (1971) and the (weighted) percent agreement of Gwet (2014, ch. 2-3).

    Standard error (Gwet 2014, sec. 5.3; irrCAC pa.coeff.raw), over the n subjects with at
    least one rating, n' of them with two or more:

        pa*_i = (n / n') pa_i [r_i >= 2],  var(pa) = 1 / (n (n - 1)) * sum_i (pa*_i - pa)^2

    and the interval is pa +/- t(1 - alpha/2, n - 1) se, capped at 1.
    """
    counts = category_counts(ratings, scale_min=scale_min, scale_max=scale_max)
    counts = counts[counts.sum(axis=1) > 0]
    paired = counts.sum(axis=1) >= 2
    n_subjects, n_paired = counts.shape[0], int(paired.sum())
    if n_paired == 0:
        raise ValueError("percent agreement needs at least one subject scored by two or more raters")

    weights = tolerance_weights(tolerance=tolerance, scale_min=scale_min, scale_max=scale_max)
    subject_agreement = pairwise_agreement_by_subject(counts=counts, weights=weights)
    agreement = float(subject_agreement[paired].mean())

    se = ci_low = ci_high = None
    if n_subjects >= 2:
        scaled = (n_subjects / n_paired) * subject_agreement
        se = float(np.sqrt(np.sum((scaled - agreement) ** 2) / (n_subjects * (n_subjects - 1))))
        # A proportion: the interval is kept within [0, 1].
        ci_low, ci_high = student_t_interval(
            estimate=agreement, se=se, df=n_subjects - 1, confidence_level=confidence_level, lower_bound=0.0
        )
    return Estimate(
        estimate=agreement,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_method=GWET_INTERVAL if se is not None else "none: fewer than two subjects",
        n_subjects=n_subjects,
        n_raters=_raters_with_a_rating(ratings),
        n_ratings=int(counts.sum()),
        confidence=confidence_level,
    )


def unanimous_agreement(
    ratings: np.ndarray, *, tolerance: int = 0, scale_min: int = 1, scale_max: int = 5
) -> Estimate:
    """Share of subjects on which all present scores lie within `tolerance` points of each other.

    max_j x_ij - min_j x_ij <= tolerance, over subjects with at least two ratings. This is the
    "simple and extended percentage agreement" of R's irr::agree (Gamer et al.), except that a
    subject with a missing rating is kept on its remaining ratings rather than dropped
    listwise. It falls quickly as readers are added, so prefer `percent_agreement`
    for comparing panels of different sizes. No standard error is given.
    """
    counts = category_counts(ratings, scale_min=scale_min, scale_max=scale_max)
    if tolerance < 0:
        raise ValueError(f"tolerance must be zero or more points, got {tolerance}")
    matrix = np.asarray(ratings, dtype=float)
    paired = counts.sum(axis=1) >= 2
    if not paired.any():
        raise ValueError("unanimous agreement needs at least one subject scored by two or more raters")
    spread = np.nanmax(matrix[paired], axis=1) - np.nanmin(matrix[paired], axis=1)
    return Estimate(
        estimate=float(np.mean(spread <= tolerance)),
        se=None,
        ci_low=None,
        ci_high=None,
        ci_method="none: no standard error for unanimous agreement",
        n_subjects=int(paired.sum()),
        n_raters=_raters_with_a_rating(ratings),
        n_ratings=int(counts[paired].sum()),
    )


def _raters_with_a_rating(ratings: np.ndarray) -> int:
    return int(np.any(~np.isnan(np.asarray(ratings, dtype=float)), axis=0).sum())
