"""Intraclass correlations in the six Shrout-Fleiss (1979) forms, with F-based intervals.

The ANOVA needs a complete subjects x raters table, so subjects with any missing rating
are dropped; `Estimate.n_subjects` counts the complete subjects that remain.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from cmr_reader.analysis.agreement.estimate import Estimate

IccForm = Literal["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]

CI_METHOD = "F distribution (Shrout & Fleiss 1979; McGraw & Wong 1996, Table 7)"
UNDEFINED_ESTIMATE = "none: the ICC's denominator is zero for these mean squares"
UNDEFINED_INTERVAL = (
    "none: McGraw & Wong's absolute-agreement interval is undefined for these mean squares "
    "(a non-positive denominator or Satterthwaite df, or inverted bounds)"
)


@dataclass(frozen=True)
class MeanSquares:
    """Two-way ANOVA of a complete n subjects x k raters table (Shrout & Fleiss 1979, Table 1)."""

    n: int
    k: int
    between_subjects: float  # BMS, df n - 1
    within_subjects: float  # WMS, df n (k - 1): raters and residual pooled, as in the one-way model
    between_raters: float  # JMS, df k - 1
    residual: float  # EMS, df (n - 1)(k - 1)


def intraclass_correlation(
    ratings: np.ndarray,
    *,
    form: IccForm,
    confidence_level: float = 0.95,
) -> Estimate:
    """ICC(1,1), ICC(2,1), ICC(3,1) and their k-rater averages, from the ANOVA mean squares.

    With BMS, WMS, JMS, EMS as in `MeanSquares` (Shrout & Fleiss 1979, Table 3):

        ICC1  = (BMS - WMS) / (BMS + (k - 1) WMS)                      one-way random
        ICC2  = (BMS - EMS) / (BMS + (k - 1) EMS + k (JMS - EMS) / n)  two-way random, absolute
        ICC3  = (BMS - EMS) / (BMS + (k - 1) EMS)                      two-way mixed, consistency
        ICC1k = (BMS - WMS) / BMS
        ICC2k = (BMS - EMS) / (BMS + (JMS - EMS) / n)
        ICC3k = (BMS - EMS) / BMS

    Intervals (McGraw & Wong 1996, Table 7; Shrout & Fleiss 1979, eqs. 6-13). For ICC1 and ICC3,
    F = BMS/WMS on (n - 1, n(k - 1)) df or F = BMS/EMS on (n - 1, (n - 1)(k - 1)) df, and

        F_L = F / F_{1-a/2}(df1, df2),  F_U = F * F_{1-a/2}(df2, df1)
        single: (F_L - 1) / (F_L + k - 1) .. (F_U - 1) / (F_U + k - 1);  average: 1 - 1/F_L .. 1 - 1/F_U

    ICC2 uses Satterthwaite's df v for a linear combination of JMS and EMS, with p = ICC2,
    a = k p / (n (1 - p)) and b = 1 + k p (n - 1) / (n (1 - p)):

        v = (a JMS + b EMS)^2 / ((a JMS)^2 / (k - 1) + (b EMS)^2 / ((n - 1)(k - 1)))
        F* = F_{1-a/2}(n - 1, v),  F_* = F_{1-a/2}(v, n - 1)
        lower = n (BMS - F* EMS) / (F* (k JMS + (k n - k - n) EMS) + n BMS)
        upper = n (F_* BMS - EMS) / (k JMS + (k n - k - n) EMS + n F_* BMS)

    and ICC2k's bounds are McGraw & Wong's ICC(A,k) ones (Table 7, case 2A), with the same F* and F_*:

        lower = n (BMS - F* EMS) / (F* (JMS - EMS) + n BMS)
        upper = n (F_* BMS - EMS) / (JMS - EMS + n F_* BMS)

    (the Spearman-Brown step-up of ICC2's bounds where 1 + (k - 1) L > 0; the step-up divides by
    zero or inverts the interval elsewhere, e.g. 2 raters x 2 subjects (1, 4), (2, 2)). Where a
    denominator is not positive, Satterthwaite's v is not a positive number, or the bounds come
    out inverted, the interval is undefined: ci_low and ci_high are None and ci_method says why.
    There is no standard error (se is None).

    Raters who rated nothing are ignored before the complete-case filter, so one unused column
    does not empty the table. The estimate is NaN when the subjects' mean ratings are all equal
    (BMS = 0), where the average-rater forms divide by zero.
    """
    squares = mean_squares(complete_ratings(ratings))
    n, k = squares.n, squares.k
    varies = squares.between_subjects > 0
    estimate = _point_estimate(form=form, squares=squares) if varies else float("nan")
    ci_low = ci_high = None
    if not varies:
        ci_method = "none: the subjects' mean ratings do not vary"
    elif np.isnan(estimate):
        ci_method = UNDEFINED_ESTIMATE
    elif (bounds := _interval(form=form, squares=squares, confidence_level=confidence_level)) is None:
        ci_method = UNDEFINED_INTERVAL
    else:
        ci_low, ci_high = (float(bound) for bound in bounds)
        ci_method = CI_METHOD

    return Estimate(
        estimate=estimate,
        se=None,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_method=ci_method,
        n_subjects=n,
        n_raters=k,
        n_ratings=n * k,
        confidence=confidence_level,
    )


def complete_ratings(ratings: np.ndarray) -> np.ndarray:
    """The ratings of subjects rated by every rater who rated anything (complete cases)."""
    matrix = np.asarray(ratings, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a (subjects, raters) matrix, got shape {matrix.shape}")
    matrix = matrix[:, ~np.all(np.isnan(matrix), axis=0)]
    complete = matrix[~np.any(np.isnan(matrix), axis=1)]
    if complete.shape[0] < 2 or complete.shape[1] < 2:
        raise ValueError(
            f"the ICC needs at least 2 subjects rated by at least 2 raters with no missing rating; "
            f"found {complete.shape[0]} complete subjects and {complete.shape[1]} raters"
        )
    return complete


def mean_squares(complete: np.ndarray) -> MeanSquares:
    """Mean squares of the two-way ANOVA without replication (one rating per cell)."""
    n, k = complete.shape
    grand_mean = complete.mean()
    ss_subjects = k * np.sum((complete.mean(axis=1) - grand_mean) ** 2)
    ss_raters = n * np.sum((complete.mean(axis=0) - grand_mean) ** 2)
    ss_total = np.sum((complete - grand_mean) ** 2)
    ss_residual = ss_total - ss_subjects - ss_raters
    return MeanSquares(
        n=n,
        k=k,
        between_subjects=float(ss_subjects / (n - 1)),
        within_subjects=float((ss_total - ss_subjects) / (n * (k - 1))),
        between_raters=float(ss_raters / (k - 1)),
        residual=float(ss_residual / ((n - 1) * (k - 1))),
    )


def _point_estimate(*, form: IccForm, squares: MeanSquares) -> float:
    """The ICC, NaN where its denominator is zero (ICC2k when BMS = (EMS - JMS) / n)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(
            icc_from_mean_squares(
                form=form,
                n=squares.n,
                k=squares.k,
                bms=np.float64(squares.between_subjects),
                wms=np.float64(squares.within_subjects),
                jms=np.float64(squares.between_raters),
                ems=np.float64(squares.residual),
            )
        )
    return value if np.isfinite(value) else float("nan")


def icc_from_mean_squares(*, form: IccForm, n, k, bms, wms, jms, ems):
    """The ICC of ``form`` from the two-way ANOVA mean squares (Shrout & Fleiss 1979, Table 1).

    Works on scalars and, unchanged, on arrays of mean squares (one per bootstrap replicate).
    """
    formulas = {
        "ICC1": lambda: (bms - wms) / (bms + (k - 1) * wms),
        "ICC2": lambda: (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC3": lambda: (bms - ems) / (bms + (k - 1) * ems),
        "ICC1k": lambda: (bms - wms) / bms,
        "ICC2k": lambda: (bms - ems) / (bms + (jms - ems) / n),
        "ICC3k": lambda: (bms - ems) / bms,
    }
    if form not in formulas:
        raise ValueError(f"unknown ICC form {form!r}; expected one of {sorted(formulas)}")
    return formulas[form]()


def _interval(*, form: IccForm, squares: MeanSquares, confidence_level: float) -> tuple[float, float] | None:
    """The form's F-based bounds (see ``intraclass_correlation``), None where undefined."""
    n, k = squares.n, squares.k
    upper_tail = 1 - (1 - confidence_level) / 2
    if form in ("ICC2", "ICC2k"):
        return _absolute_agreement_bounds(squares=squares, upper_tail=upper_tail, average=form == "ICC2k")
    one_way = form.startswith("ICC1")
    error_ms = squares.within_subjects if one_way else squares.residual
    return _f_ratio_bounds(
        f_observed=_ratio(squares.between_subjects, error_ms),
        df_subjects=n - 1,
        df_error=n * (k - 1) if one_way else (n - 1) * (k - 1),
        k=k,
        average=form.endswith("k"),
        upper_tail=upper_tail,
    )


def _f_ratio_bounds(
    *, f_observed: float, df_subjects: int, df_error: int, k: int, average: bool, upper_tail: float
) -> tuple[float, float]:
    # A zero error mean square makes F infinite, and both bounds rightly collapse to 1.
    with np.errstate(divide="ignore", invalid="ignore"):
        f_low = f_observed / stats.f.ppf(upper_tail, df_subjects, df_error)
        f_high = f_observed * stats.f.ppf(upper_tail, df_error, df_subjects)
        if average:
            return 1 - 1 / f_low, 1 - 1 / f_high
        return (
            (f_low - 1) / (f_low + k - 1) if np.isfinite(f_low) else 1.0,
            (f_high - 1) / (f_high + k - 1) if np.isfinite(f_high) else 1.0,
        )


def _absolute_agreement_bounds(
    *, squares: MeanSquares, upper_tail: float, average: bool
) -> tuple[float, float] | None:
    """McGraw & Wong (1996, Table 7, case 2A) bounds of ICC(A,1), or of ICC(A,k) when ``average``;
    None where they are undefined (see ``intraclass_correlation``)."""
    n, k = squares.n, squares.k
    bms, jms, ems = squares.between_subjects, squares.between_raters, squares.residual
    icc2 = _point_estimate(form="ICC2", squares=squares)
    if np.isnan(icc2):
        return None
    if icc2 >= 1:
        return 1.0, 1.0
    a = k * icc2 / (n * (1 - icc2))
    b = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
    spread = (a * jms) ** 2 / (k - 1) + (b * ems) ** 2 / ((n - 1) * (k - 1))
    if spread <= 0:
        return None
    v = (a * jms + b * ems) ** 2 / spread
    if not (np.isfinite(v) and v > 0):
        return None
    f_star_upper = stats.f.ppf(upper_tail, n - 1, v)
    f_star_lower = stats.f.ppf(upper_tail, v, n - 1)
    if average:
        low_terms = (n * (bms - f_star_upper * ems), f_star_upper * (jms - ems) + n * bms)
        high_terms = (n * (f_star_lower * bms - ems), jms - ems + n * f_star_lower * bms)
    else:
        shared = k * jms + (k * n - k - n) * ems
        low_terms = (n * (bms - f_star_upper * ems), f_star_upper * shared + n * bms)
        high_terms = (n * (f_star_lower * bms - ems), shared + n * f_star_lower * bms)
    if low_terms[1] <= 0 or high_terms[1] <= 0:
        return None
    low, high = low_terms[0] / low_terms[1], high_terms[0] / high_terms[1]
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        return None
    return float(low), float(high)


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, infinite when raters agree perfectly and the error term is zero."""
    return float("inf") if denominator == 0 else numerator / denominator
