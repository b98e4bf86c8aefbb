"""Gwet's AC1 and AC2 agreement coefficients for many raters, with missing ratings.

The coefficient, its chance agreement and its variance follow Gwet (2008) and the
Handbook of Inter-Rater Reliability (Gwet 2014, ch. 3-5), as implemented by Gwet's
own R package irrCAC (`gwet.ac1.raw`). No maintained Python package computes the
variance for many raters with missing ratings, so it is written out here.
"""

from typing import Literal

import numpy as np

from cmr_reader.analysis.agreement.estimate import Estimate, student_t_interval
from cmr_reader.analysis.agreement.percent import pairwise_agreement_by_subject
from cmr_reader.analysis.agreement.scale import agreement_weights, category_counts

AgreementWeights = Literal["linear", "quadratic"]

CI_METHOD = "Gwet (2008) variance conditional on the raters; Student t with n-1 df; upper bound capped at 1"


def gwet_ac1(
    ratings: np.ndarray,
    *,
    scale_min: int = 1,
    scale_max: int = 5,
    confidence_level: float = 0.95,
) -> Estimate:
    """Gwet's AC1: chance-corrected agreement that stays stable when one category dominates.

    AC1 = (pa - pe) / (1 - pe), with q = scale_max - scale_min + 1 declared categories,
    r_ik the number of raters who put subject i in category k and r_i = sum_k r_ik:

        pa = 1/n' * sum over subjects with r_i >= 2 of sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))
        pi_k = 1/n * sum over subjects with r_i >= 1 of r_ik / r_i
        pe = 1/(q - 1) * sum_k pi_k (1 - pi_k)

    Unlike kappa, pe is largest when raters spread evenly over the categories, so high
    agreement on a skewed scale is not punished (the "kappa paradox"; Gwet 2008,
    Wongpakaran et al. 2013). Subjects with no rating are ignored; subjects with one
    rating inform pi_k but contribute no pair. The standard error and interval are
    described in `gwet_ac2`, of which AC1 is the identity-weighted case.

    Reference: Gwet KL (2008) Br J Math Stat Psychol 61:29-48, eqs. 14-15 and 28-29.
    """
    return _weighted_agreement_coefficient(
        ratings=ratings,
        weights=agreement_weights(kind="none", scale_min=scale_min, scale_max=scale_max),
        scale_min=scale_min,
        scale_max=scale_max,
        confidence_level=confidence_level,
    )


def gwet_ac2(
    ratings: np.ndarray,
    *,
    weights: AgreementWeights,
    scale_min: int = 1,
    scale_max: int = 5,
    confidence_level: float = 0.95,
) -> Estimate:
    """Gwet's AC2: AC1 with partial credit for near-misses on an ordinal scale.

    The weights come from the declared scale, never from the levels that happen to occur,
    so a criterion where nobody used "1" is still scored on 1..5:

        linear     w_kl = 1 - |k - l| / (scale_max - scale_min)
        quadratic  w_kl = 1 - (k - l)^2 / (scale_max - scale_min)^2

    With r*_ik = sum_l w_kl r_il and T_w the sum of all q*q weights:

        pa = 1/n' * sum over subjects with r_i >= 2 of sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))
        pe = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k)

    Variance, conditional on the raters (Gwet 2008 eq. 29; Gwet 2014 sec. 5.3), over the n
    subjects with at least one rating and with no finite-population correction:

        pa_i = sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1)) if r_i >= 2, else 0
        pe_i = T_w / (q (q - 1)) * sum_k r_ik (1 - pi_k) / r_i
        AC_i = (n / n') (pa_i - pe * [r_i >= 2]) / (1 - pe)
        AC*_i = AC_i - 2 (1 - AC) (pe_i - pe) / (1 - pe)
        var(AC) = 1 / (n (n - 1)) * sum_i (AC*_i - AC)^2

    The interval is AC +/- t(1 - alpha/2, n - 1) * se with the upper bound capped at 1, as in
    irrCAC; the lower bound is not clipped because AC2 can fall below -1 when pe > 0.5.

    Reference: Gwet KL (2014) Handbook of Inter-Rater Reliability, 4th ed., ch. 3 and 5.
    """
    return _weighted_agreement_coefficient(
        ratings=ratings,
        weights=agreement_weights(kind=weights, scale_min=scale_min, scale_max=scale_max),
        scale_min=scale_min,
        scale_max=scale_max,
        confidence_level=confidence_level,
    )


def _weighted_agreement_coefficient(
    *,
    ratings: np.ndarray,
    weights: np.ndarray,
    scale_min: int,
    scale_max: int,
    confidence_level: float,
) -> Estimate:
    counts = category_counts(ratings, scale_min=scale_min, scale_max=scale_max)
    rated = counts.sum(axis=1) > 0
    counts = counts[rated]
    raters_per_subject = counts.sum(axis=1)
    paired = raters_per_subject >= 2
    n_subjects, n_paired = counts.shape[0], int(paired.sum())
    if n_paired == 0:
        raise ValueError("Gwet's AC needs at least one subject rated by two or more raters")

    q = weights.shape[0]
    subject_pa = pairwise_agreement_by_subject(counts=counts, weights=weights)
    pa = subject_pa[paired].mean()

    category_share = (counts / raters_per_subject[:, None]).mean(axis=0)
    chance_scale = weights.sum() / (q * (q - 1))
    pe = chance_scale * np.sum(category_share * (1 - category_share))
    coefficient = (pa - pe) / (1 - pe)

    se = ci_low = ci_high = None
    if n_subjects >= 2:
        subject_pe = chance_scale * (counts @ (1 - category_share)) / raters_per_subject
        subject_coefficient = (n_subjects / n_paired) * (subject_pa - pe * paired) / (1 - pe)
        linearised = subject_coefficient - 2 * (1 - coefficient) * (subject_pe - pe) / (1 - pe)
        variance = np.sum((linearised - coefficient) ** 2) / (n_subjects * (n_subjects - 1))
        se = float(np.sqrt(variance))
        ci_low, ci_high = student_t_interval(
            estimate=coefficient, se=se, df=n_subjects - 1, confidence_level=confidence_level
        )

    ratings_matrix = np.asarray(ratings, dtype=float)[rated]
    return Estimate(
        estimate=float(coefficient),
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_method=CI_METHOD if se is not None else "none: fewer than two subjects",
        n_subjects=n_subjects,
        n_raters=int(np.any(~np.isnan(ratings_matrix), axis=0).sum()),
        n_ratings=int(raters_per_subject.sum()),
        confidence=confidence_level,
    )
