"""Readers and cases for a future MRMC study, from a pilot's Obuchowski-Rockette variance components.

Hillis, Obuchowski & Berbaum (2011), "Power estimation for multireader ROC methods: an updated and
unified approach", Acad Radiol 18:129, equation 10. With the pilot's K* cases scaled to K:

    den = Var_TR + (K*/K) (Var - Cov1 + (J - 1) max(Cov2 - Cov3, 0))
    ddf = den^2 / ((Var_TR + (K*/K) (Var - Cov1 - max(Cov2 - Cov3, 0)))^2 / (J - 1))

where a negative Var_TR counts as 0. A two-sided test of a difference d has the noncentral
F(1, ddf) power with noncentrality J d^2 / (2 den). For non-inferiority (H0: AI minus reference
<= -margin) we use the same variance and df with a one-sided noncentral t of noncentrality
(d + margin) / sqrt(2 den / J): the t form of the same test, as in Chen et al. (2012) for MRMC
non-inferiority. Checked against RJafroc's SsPowerGivenJK and SsSampleSizeKGivenJ.
"""

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from cmr_reader.analysis.mrmc.obuchowski_rockette import MrmcResult

Hypothesis = Literal["difference", "non-inferiority"]
# The largest study the search considers (the site's whole archive is about 20,000 exams).
MAX_CASES = 100_000


class PlanningError(ValueError):
    """A pilot that cannot size a study (too few readers or modalities, no variance); says why."""


@dataclass(frozen=True)
class PilotComponents:
    """What the planning needs from a pilot: its number of cases and the OR components."""

    n_cases: int
    var_tr: float
    var_error: float
    cov1: float
    cov2: float
    cov3: float

    @classmethod
    def from_result(cls, result: MrmcResult) -> "PilotComponents":
        c = result.covariances
        if len(result.modalities) != 2:
            raise PlanningError("the pilot must compare exactly two modalities")
        if len(result.readers) < 2 or result.components is None:
            raise PlanningError("the pilot needs two readers or more")
        return cls(
            n_cases=result.n_units,
            var_tr=result.components.var_tr,
            var_error=c.var_error,
            cov1=c.cov1,  # type: ignore[arg-type]
            cov2=c.cov2,  # type: ignore[arg-type]
            cov3=c.cov3,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Power:
    hypothesis: Hypothesis
    readers: int
    cases: int
    power: float
    noncentrality: float
    ddf: float
    critical_value: float
    alpha: float


def _variance_and_df(pilot: PilotComponents, readers: int, cases: int) -> tuple[float, float]:
    if readers < 2 or cases < 2:
        raise PlanningError("a study needs two readers and two cases or more")
    scale = pilot.n_cases / cases
    var_tr = max(pilot.var_tr, 0.0)
    spread = max(pilot.cov2 - pilot.cov3, 0.0)
    den = var_tr + scale * (pilot.var_error - pilot.cov1 + (readers - 1) * spread)
    ms_tr = var_tr + scale * (pilot.var_error - pilot.cov1 - spread)
    if not den > 0:
        raise PlanningError("the pilot shows no variance between readers or cases")
    ddf = math.inf if ms_tr <= 0 else den**2 / (ms_tr**2 / (readers - 1))
    return den, ddf


def power_for_difference(
    pilot: PilotComponents, *, readers: int, cases: int, effect: float, alpha: float = 0.05
) -> Power:
    """Power of the two-sided random-readers random-cases F test to detect a difference ``effect``."""
    den, ddf = _variance_and_df(pilot, readers, cases)
    noncentrality = readers * effect**2 / (2 * den)
    if math.isinf(ddf):
        critical = stats.chi2.ppf(1 - alpha, 1)
        power = stats.ncx2.sf(critical, 1, noncentrality)
    else:
        critical = stats.f.ppf(1 - alpha, 1, ddf)
        power = stats.ncf.sf(critical, 1, ddf, noncentrality)
    return Power("difference", readers, cases, float(power), noncentrality, ddf, float(critical), alpha)


def power_for_non_inferiority(
    pilot: PilotComponents,
    *,
    readers: int,
    cases: int,
    margin: float,
    true_difference: float = 0.0,
    alpha: float = 0.025,
) -> Power:
    """Power to show AI minus reference > -margin when the true difference is ``true_difference``."""
    if not margin > 0:
        raise PlanningError("the non-inferiority margin must be positive")
    den, ddf = _variance_and_df(pilot, readers, cases)
    noncentrality = (true_difference + margin) / math.sqrt(2 * den / readers)
    if math.isinf(ddf):
        critical = stats.norm.ppf(1 - alpha)
        power = stats.norm.sf(critical - noncentrality)
    else:
        critical = stats.t.ppf(1 - alpha, ddf)
        power = stats.nct.sf(critical, ddf, noncentrality)
    return Power("non-inferiority", readers, cases, float(power), noncentrality, ddf, float(critical), alpha)


def cases_needed(power_at, *, target: float = 0.8, max_cases: int = MAX_CASES) -> Power | None:
    """The smallest number of cases whose power (``power_at(cases)``) reaches ``target``.

    Power grows with the number of cases, so the search doubles and then bisects; None when even
    ``max_cases`` falls short (more readers are needed, since reader variance does not shrink).
    """
    high = 2
    while power_at(high).power < target:
        if high >= max_cases:
            return None
        high = min(high * 2, max_cases)
    low = max(2, high // 2)
    if power_at(low).power >= target:
        return power_at(low)
    while high - low > 1:
        middle = (low + high) // 2
        if power_at(middle).power >= target:
            high = middle
        else:
            low = middle
    return power_at(high)
