"""The result every agreement coefficient returns, and the intervals built around it."""

from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """A coefficient with its uncertainty and the data it was computed from.

    se, ci_low and ci_high are None where the method has no (non-null) standard error;
    ci_method then says why. n_ratings counts the non-missing ratings actually used.
    """

    estimate: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    n_subjects: int
    n_raters: int
    n_ratings: int
    confidence: float = 0.95


def normal_interval(
    *, estimate: float, se: float, confidence_level: float, upper_bound: float = 1.0
) -> tuple[float, float]:
    """Wald interval estimate +/- z(1 - alpha/2) * se, with the upper end capped at upper_bound.

    Agreement coefficients cannot exceed 1, so an interval reaching past it is capped,
    as SAS PROC FREQ and irrCAC do; the lower end is left alone.
    """
    half_width = stats.norm.ppf(1 - (1 - confidence_level) / 2) * se
    return float(estimate - half_width), float(min(upper_bound, estimate + half_width))


def student_t_interval(
    *,
    estimate: float,
    se: float,
    df: int,
    confidence_level: float,
    upper_bound: float = 1.0,
    lower_bound: float | None = None,
) -> tuple[float, float]:
    """Interval estimate +/- t(1 - alpha/2, df) * se, upper end capped, as in Gwet (2014) / irrCAC.

    ``lower_bound`` caps the lower end too, for quantities that cannot be negative (a proportion).
    """
    half_width = stats.t.ppf(1 - (1 - confidence_level) / 2, df) * se
    low = estimate - half_width if lower_bound is None else max(lower_bound, estimate - half_width)
    return float(low), float(min(upper_bound, estimate + half_width))
