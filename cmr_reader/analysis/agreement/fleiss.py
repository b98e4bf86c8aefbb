"""Fleiss' kappa for many readers: the 1971 coefficient, and Gwet's generalisation for missing scores.

Two functions, because they answer different designs:

* `fleiss_kappa` is Fleiss (1971) exactly: every subject has the same number m of ratings
  (the raters may differ from subject to subject). Its standard error is the Fleiss, Nee &
  Landis (1979) one, valid only under H0: kappa = 0, so it gives a z-test but no interval.
* `fleiss_kappa_generalized` is the generalisation in Gwet's Handbook (2014, ch. 2-3, 5),
  as in his irrCAC `fleiss.kappa.raw`: subjects may have any number of ratings (missing
  scores), weights are allowed, and the variance is the non-null, design-based one, so it
  gives an interval. On complete data its point estimate equals `fleiss_kappa`.
"""

import numpy as np
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from cmr_reader.analysis.agreement.estimate import Estimate, student_t_interval
from cmr_reader.analysis.agreement.percent import GWET_INTERVAL, pairwise_agreement_by_subject
from cmr_reader.analysis.agreement.scale import WeightKind, agreement_weights, category_counts

NULL_SE_ONLY = (
    "none: se is the Fleiss-Nee-Landis (1979) standard error under H0 kappa = 0; "
    "use z = estimate / se for a test, fleiss_kappa_generalized for an interval"
)


def fleiss_kappa(ratings: np.ndarray, *, scale_min: int = 1, scale_max: int = 5) -> Estimate:
    """Fleiss' kappa for n subjects each scored by the same number m of raters.

    With x_ij the number of raters putting subject i in category j of the declared scale:

        p_j = sum_i x_ij / (n m),   P_i = (sum_j x_ij^2 - m) / (m (m - 1))
        P-bar = mean_i P_i,  P-bar_e = sum_j p_j^2,  kappa = (P-bar - P-bar_e) / (1 - P-bar_e)

    (Fleiss 1971; computed by statsmodels' `fleiss_kappa`). Standard error under
    H0: kappa = 0 (Fleiss, Nee & Landis 1979, Psychol Bull 86:974-977), with q_j = 1 - p_j:

        se0^2 = 2 / (n m (m - 1) (sum_j p_j q_j)^2)
                * [(sum_j p_j q_j)^2 - sum_j p_j q_j (q_j - p_j)]

    se0 supports the z-test z = kappa / se0 only; ci_low and ci_high are None. Subjects with
    no rating are ignored; any other difference in the number of ratings per subject is an
    error (use `fleiss_kappa_generalized`). Kappa is NaN when every score is the same.
    """
    counts = category_counts(ratings, scale_min=scale_min, scale_max=scale_max)
    counts = counts[counts.sum(axis=1) > 0]
    per_subject = np.unique(counts.sum(axis=1))
    if per_subject.size != 1 or per_subject[0] < 2:
        raise ValueError(
            "Fleiss (1971) kappa needs the same number (two or more) of ratings for every subject, "
            f"got {sorted(int(m) for m in per_subject)}; use fleiss_kappa_generalized for missing ratings"
        )
    n_subjects, m = counts.shape[0], float(per_subject[0])
    shares = counts.sum(axis=0) / (n_subjects * m)
    spread = float(np.sum(shares * (1 - shares)))
    estimate = se = float("nan")
    if spread > 0:
        estimate = float(statsmodels_fleiss_kappa(counts, method="fleiss"))
        null_variance = (
            2.0
            / (n_subjects * m * (m - 1) * spread**2)
            * (spread**2 - np.sum(shares * (1 - shares) * (1 - 2 * shares)))
        )
        se = float(np.sqrt(null_variance))
    return Estimate(
        estimate=estimate,
        se=se if spread > 0 else None,
        ci_low=None,
        ci_high=None,
        ci_method=NULL_SE_ONLY if spread > 0 else "none: kappa is undefined when every score is the same",
        n_subjects=n_subjects,
        n_raters=int(np.any(~np.isnan(np.asarray(ratings, dtype=float)), axis=0).sum()),
        n_ratings=int(counts.sum()),
    )


def fleiss_kappa_generalized(
    ratings: np.ndarray,
    *,
    weights: WeightKind = "none",
    scale_min: int = 1,
    scale_max: int = 5,
    confidence_level: float = 0.95,
) -> Estimate:
    """Fleiss' kappa with missing ratings and optional weights (Gwet 2014, ch. 2-3 and 5).

    Over the n subjects with at least one rating (n' of them with two or more), with r_ik
    raters putting subject i in category k, r_i = sum_k r_ik and w_kl the agreement weights
    of the declared scale:

        pa  = 1/n' * sum over r_i >= 2 of pa_i            (pa_i: pairwise_agreement_by_subject)
        pi_k = 1/n * sum_i r_ik / r_i,   pe = sum_kl w_kl pi_k pi_l,   kappa = (pa - pe) / (1 - pe)

    A subject scored once still informs pi_k but adds no pair. Variance conditional on the
    raters (Gwet 2014, sec. 5.3), with pibar_k = (sum_l w_kl pi_l + sum_l w_lk pi_l) / 2:

        pe_i = sum_k r_ik pibar_k / r_i
        kappa_i = (n / n') (pa_i - pe [r_i >= 2]) / (1 - pe)
        kappa*_i = kappa_i - 2 (1 - kappa) (pe_i - pe) / (1 - pe)
        var = 1 / (n (n - 1)) * sum_i (kappa*_i - kappa)^2

    The interval is kappa +/- t(1 - alpha/2, n - 1) se, capped at 1, as in irrCAC. Kappa is
    NaN when pe = 1 (every score the same).
    """
    counts = category_counts(ratings, scale_min=scale_min, scale_max=scale_max)
    counts = counts[counts.sum(axis=1) > 0]
    raters = counts.sum(axis=1)
    paired = raters >= 2
    n_subjects, n_paired = counts.shape[0], int(paired.sum())
    if n_paired == 0:
        raise ValueError("Fleiss' kappa needs at least one subject scored by two or more raters")

    agreement = agreement_weights(kind=weights, scale_min=scale_min, scale_max=scale_max)
    subject_agreement = pairwise_agreement_by_subject(counts=counts, weights=agreement)
    observed = subject_agreement[paired].mean()
    shares = (counts / raters[:, None]).mean(axis=0)
    chance = float(shares @ agreement @ shares)
    n_raters = int(np.any(~np.isnan(np.asarray(ratings, dtype=float)), axis=0).sum())
    if np.isclose(chance, 1.0):
        return Estimate(
            estimate=float("nan"),
            se=None,
            ci_low=None,
            ci_high=None,
            ci_method="none: kappa is undefined when chance agreement is 1",
            n_subjects=n_subjects,
            n_raters=n_raters,
            n_ratings=int(counts.sum()),
            confidence=confidence_level,
        )
    kappa = float((observed - chance) / (1 - chance))

    se = ci_low = ci_high = None
    if n_subjects >= 2:
        symmetric_shares = (agreement @ shares + agreement.T @ shares) / 2
        subject_chance = counts @ symmetric_shares / raters
        subject_kappa = (n_subjects / n_paired) * (subject_agreement - chance * paired) / (1 - chance)
        # Linearisation term: pe itself is estimated from the same subjects (Gwet 2014, sec. 5.3).
        linearised = subject_kappa - 2 * (1 - kappa) * (subject_chance - chance) / (1 - chance)
        se = float(np.sqrt(np.sum((linearised - kappa) ** 2) / (n_subjects * (n_subjects - 1))))
        ci_low, ci_high = student_t_interval(
            estimate=kappa, se=se, df=n_subjects - 1, confidence_level=confidence_level
        )
    return Estimate(
        estimate=kappa,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_method=GWET_INTERVAL if se is not None else "none: fewer than two subjects",
        n_subjects=n_subjects,
        n_raters=n_raters,
        n_ratings=int(counts.sum()),
        confidence=confidence_level,
    )
