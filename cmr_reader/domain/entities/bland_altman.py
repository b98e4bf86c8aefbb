"""Bland-Altman limits of agreement between AI-reported and reference numbers, with their intervals.

With d_i = measured_i - reference_i over n pairs, mean d-bar and standard deviation s (n - 1 divisor):

    bias = d-bar,   limits = d-bar -/+ m s        (m = 1.96; Bland & Altman 1986 used m = 2)
    SE(bias)  = sqrt(s^2 / n)
    SE(limit) ~ sqrt(3 s^2 / n)                  (from s^2/n + m^2 s^2 / (2 (n - 1)) with m ~ 2)

and each interval is estimate -/+ t(1 - alpha/2, n - 1) SE.

References: Bland JM, Altman DG. Statistical methods for assessing agreement between two methods of
clinical measurement. Lancet 1986;i:307-310. Bland JM, Altman DG. Measuring agreement in method
comparison studies. Stat Methods Med Res 1999;8:135-160. The approximate limit intervals are too
narrow for small n (Carkeet & Goh 2018, Stat Methods Med Res 27:1559); they are reported as Bland
and Altman gave them, for comparability with the literature.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cmr_reader.domain.entities.record import NUMERIC_FIELDS


@dataclass(frozen=True)
class BlandAltman:
    n: int
    bias: float
    sd: float
    lower_limit: float
    upper_limit: float
    bias_ci: tuple[float, float]
    lower_limit_ci: tuple[float, float]
    upper_limit_ci: tuple[float, float]
    multiplier: float
    confidence: float


def bland_altman(
    *,
    measured: Sequence[float],
    reference: Sequence[float],
    multiplier: float = 1.96,
    confidence_level: float = 0.95,
) -> BlandAltman:
    """Bias, SD and limits of agreement of ``measured - reference`` (see the module docstring)."""
    differences = np.asarray(measured, dtype=float) - np.asarray(reference, dtype=float)
    n = differences.size
    if n < 2:
        raise ValueError(f"limits of agreement need at least two pairs, got {n}")
    bias = float(differences.mean())
    sd = float(differences.std(ddof=1))
    lower, upper = bias - multiplier * sd, bias + multiplier * sd
    t = float(stats.t.ppf(1 - (1 - confidence_level) / 2, n - 1))
    bias_half_width = t * float(np.sqrt(sd**2 / n))
    limit_half_width = t * float(np.sqrt(3 * sd**2 / n))
    return BlandAltman(
        n=n,
        bias=bias,
        sd=sd,
        lower_limit=lower,
        upper_limit=upper,
        bias_ci=(bias - bias_half_width, bias + bias_half_width),
        lower_limit_ci=(lower - limit_half_width, lower + limit_half_width),
        upper_limit_ci=(upper - limit_half_width, upper + limit_half_width),
        multiplier=multiplier,
        confidence=confidence_level,
    )


def bland_altman_by_field(
    *,
    ai_records: Sequence[dict],
    reference_records: Sequence[dict],
    fields: Sequence[str] = NUMERIC_FIELDS,
    multiplier: float = 1.96,
    confidence_level: float = 0.95,
) -> dict[str, BlandAltman | None]:
    """Limits of agreement of AI minus reference per numeric field, over the pairs stating it on both sides.

    A field stated on both sides in fewer than two pairs maps to None.
    """
    results: dict[str, BlandAltman | None] = {}
    for name in fields:
        pairs = [
            (got[name], want[name])
            for got, want in zip(ai_records, reference_records, strict=True)
            if got.get(name) is not None and want.get(name) is not None
        ]
        results[name] = (
            bland_altman(
                measured=[got for got, _ in pairs],
                reference=[want for _, want in pairs],
                multiplier=multiplier,
                confidence_level=confidence_level,
            )
            if len(pairs) >= 2
            else None
        )
    return results
