"""Proportions with intervals: preferences, "which is AI?" guesses, clinically significant errors."""

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cmr_reader.analysis.comparison.scores import AI, ARMS, REFERENCE

EQUAL = "equal"
PREFERENCES = (AI, EQUAL, REFERENCE)
WILSON_METHOD = "Wilson score interval without continuity correction (Wilson 1927; Newcombe 1998 method 3)"


@dataclass(frozen=True)
class Proportion:
    """count/n with a confidence interval; estimate and bounds are None when n is 0."""

    count: int
    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float
    method: str


@dataclass(frozen=True)
class PreferenceRates:
    """Share of judgements preferring the AI report, neither, or the reference report."""

    ai_preferred: Proportion
    equal: Proportion
    reference_preferred: Proportion
    n: int
    method: str


@dataclass(frozen=True)
class BinomialTest:
    """Exact binomial test of a success count against null_proportion, with Clopper-Pearson interval."""

    successes: int
    n: int
    estimate: float | None
    null_proportion: float
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float
    method: str


@dataclass(frozen=True)
class ArmErrorRates:
    """Rate of reports with at least one clinically significant error, and error counts by category."""

    arm: str
    reports_with_error: Proportion
    counts_by_category: dict[str, int]
    method: str


def wilson_proportion(*, count: int, n: int, confidence_level: float = 0.95) -> Proportion:
    """Wilson score interval: (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n).

    Computed by statsmodels proportion_confint(method="wilson"); reproduces Newcombe (1998),
    Stat Med 17:857, Table I, method 3.
    """
    if not 0 <= count <= n:
        raise ValueError(f"count must lie in 0..n, got {count} of {n}")
    if n == 0:
        return Proportion(count, n, None, None, None, confidence_level, WILSON_METHOD + "; no observations")
    low, high = proportion_confint(count, n, alpha=1 - confidence_level, method="wilson")
    return Proportion(count, n, count / n, float(low), float(high), confidence_level, WILSON_METHOD)


def preference_rates(*, preferences: Iterable[str | None], confidence_level: float = 0.95) -> PreferenceRates:
    """Wilson intervals for each of "ai", "equal", "reference" over the non-missing preferences.

    Each rate gets its own marginal interval; they are not simultaneous intervals.
    """
    given = [preference for preference in preferences if preference is not None]
    unknown = set(given) - set(PREFERENCES)
    if unknown:
        raise ValueError(f"preferences must be among {PREFERENCES}, got {sorted(unknown)}")
    tally = Counter(given)
    n = len(given)
    ai, equal, reference = (
        wilson_proportion(count=tally[choice], n=n, confidence_level=confidence_level)
        for choice in PREFERENCES
    )
    return PreferenceRates(ai, equal, reference, n, "per-category " + WILSON_METHOD)


def guess_accuracy(
    *, correct: int, n: int, null_proportion: float = 0.5, confidence_level: float = 0.95
) -> BinomialTest:
    """Exact two-sided binomial test of "which report is AI?" guesses against chance (scipy.stats.binomtest).

    Two-sided p sums the probabilities of all outcomes no more likely than the observed one, as
    R's binom.test does; the interval is Clopper-Pearson (1934). Accuracy near 0.5 means the
    readers were effectively blinded.
    """
    method = "exact binomial test, two-sided (scipy.stats.binomtest), Clopper-Pearson interval"
    if n == 0:
        return BinomialTest(correct, n, None, null_proportion, None, None, None, confidence_level, method)
    result = stats.binomtest(correct, n, p=null_proportion)
    interval = result.proportion_ci(confidence_level=confidence_level, method="exact")
    return BinomialTest(
        successes=correct,
        n=n,
        estimate=correct / n,
        null_proportion=null_proportion,
        p_value=float(result.pvalue),
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        confidence_level=confidence_level,
        method=method,
    )


def error_rates(
    *, reports: Iterable[tuple[Hashable, str, Iterable[str]]], confidence_level: float = 0.95
) -> dict[str, ArmErrorRates]:
    """Per arm: Wilson interval for the share of reports with >= 1 clinically significant error.

    reports holds one (report_id, arm, error_categories) per judged report, error_categories
    empty when the reader found none; a report with two errors counts once in the rate and
    twice in counts_by_category.
    """
    judged = {arm: 0 for arm in ARMS}
    flagged = {arm: 0 for arm in ARMS}
    categories: dict[str, Counter] = {arm: Counter() for arm in ARMS}
    for _report_id, arm, errors in reports:
        if arm not in ARMS:
            raise ValueError(f"arm must be one of {ARMS}, got {arm!r}")
        errors = list(errors)
        judged[arm] += 1
        flagged[arm] += bool(errors)
        categories[arm].update(errors)
    return {
        arm: ArmErrorRates(
            arm=arm,
            reports_with_error=wilson_proportion(
                count=flagged[arm], n=judged[arm], confidence_level=confidence_level
            ),
            counts_by_category=dict(categories[arm]),
            method="reports with >= 1 clinically significant error; " + WILSON_METHOD,
        )
        for arm in ARMS
    }
