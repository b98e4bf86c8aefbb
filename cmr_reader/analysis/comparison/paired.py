"""Paired AI-minus-reference comparisons: win/tie/loss, Wilcoxon signed-rank, bootstrap mean, non-inferiority.

All functions take the per-case differences (AI minus reference) of one reader or the
reader-averaged differences, as produced by `scores.paired_scores(...).differences`.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

ZeroMethod = Literal["wilcox", "pratt"]

# Fewest paired cases on which non-inferiority is decided; below it the row abstains (a percentile
# bootstrap over a handful of cases is far narrower than its true coverage warrants).
MIN_NON_INFERIORITY_CASES = 10

# R's wilcox.test switches to the normal approximation from n = 50 on; we follow it so that
# every p-value here can be reproduced with wilcox.test(..., paired = TRUE) in R.
EXACT_MAX_N = 49


@dataclass(frozen=True)
class DifferenceSummary:
    """Win/tie/loss counts and proportions of the paired differences (win = AI scored higher)."""

    n: int
    n_missing: int
    mean_difference: float | None
    median_difference: float | None
    wins: int
    ties: int
    losses: int
    win_rate: float | None
    tie_rate: float | None
    loss_rate: float | None
    method: str


@dataclass(frozen=True)
class SignedRankTest:
    """Two-sided Wilcoxon signed-rank test of differences symmetric about zero.

    statistic is R's V: the sum of the ranks of the positive differences. n_used is the number
    of differences ranked after the zero method was applied.
    """

    statistic: float | None
    p_value: float | None
    n: int
    n_zero: int
    n_used: int
    zero_method: ZeroMethod
    p_method: Literal["exact", "normal approximation with continuity correction"] | None
    method: str


@dataclass(frozen=True)
class BootstrapMeanDifference:
    """Mean difference with a case-resampling percentile interval; B and seed make it reproducible."""

    mean_difference: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float
    n_cases: int
    replicates: int
    seed: int
    method: str


@dataclass(frozen=True)
class NonInferiority:
    """Decision of a non-inferiority comparison: non-inferior iff ci_low > margin (None if undecidable)."""

    non_inferior: bool | None
    margin: float
    mean_difference: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float
    method: str
    n_cases: int = 0


def summarize_differences(*, differences: np.ndarray) -> DifferenceSummary:
    """Count AI wins (d > 0), ties (d = 0) and losses (d < 0) over the non-missing differences."""
    values = np.asarray(differences, dtype=float)
    present = values[~np.isnan(values)]
    n = int(present.size)
    wins, ties, losses = (int(np.sum(present > 0)), int(np.sum(present == 0)), int(np.sum(present < 0)))
    return DifferenceSummary(
        n=n,
        n_missing=int(values.size - n),
        mean_difference=float(present.mean()) if n else None,
        median_difference=float(np.median(present)) if n else None,
        wins=wins,
        ties=ties,
        losses=losses,
        win_rate=wins / n if n else None,
        tie_rate=ties / n if n else None,
        loss_rate=losses / n if n else None,
        method="counts of AI-minus-reference differences > 0, = 0, < 0 over non-missing cases",
    )


def signed_rank_test(*, differences: np.ndarray, zero_method: ZeroMethod = "wilcox") -> SignedRankTest:
    """Wilcoxon (1945) signed-rank test, two-sided, via scipy.stats.wilcoxon.

    V = sum of ranks of |d_i| over d_i > 0, midranks for ties. zero_method="wilcox" (default)
    drops zero differences before ranking, as R's wilcox.test does; "pratt" (Pratt 1959) ranks
    them and then discards their ranks, which is less wasteful when ties at zero are common on a
    Likert scale. The p-value is exact when fewer than 50 differences are ranked and there are
    neither ties nor zeros (R's rule); otherwise the normal approximation with tie-corrected
    variance and continuity correction (R's correct = TRUE).
    """
    values = np.asarray(differences, dtype=float)
    present = values[~np.isnan(values)]
    nonzero = present[present != 0]
    n_zero = int(present.size - nonzero.size)
    method = f"Wilcoxon signed-rank, two-sided, zero_method={zero_method!r} (scipy.stats.wilcoxon)"
    ranked = present if zero_method == "pratt" else nonzero
    if nonzero.size == 0:
        return SignedRankTest(
            statistic=None,
            p_value=None,
            n=int(present.size),
            n_zero=n_zero,
            n_used=0,
            zero_method=zero_method,
            p_method=None,
            method=method + "; no non-zero differences",
        )
    ranks = stats.rankdata(np.abs(ranked))
    statistic = float(ranks[ranked > 0].sum())
    has_ties = np.unique(np.abs(nonzero)).size < nonzero.size
    exact = nonzero.size <= EXACT_MAX_N and not has_ties and n_zero == 0
    result = stats.wilcoxon(
        present, zero_method=zero_method, correction=True, method="exact" if exact else "asymptotic"
    )
    return SignedRankTest(
        statistic=statistic,
        p_value=float(result.pvalue),
        n=int(present.size),
        n_zero=n_zero,
        n_used=int(nonzero.size),
        zero_method=zero_method,
        p_method="exact" if exact else "normal approximation with continuity correction",
        method=method,
    )


def bootstrap_mean_difference(
    *, differences: np.ndarray, replicates: int = 2000, seed: int = 20240501, confidence_level: float = 0.95
) -> BootstrapMeanDifference:
    """Mean of the per-case differences with a case-cluster percentile bootstrap interval.

    Each element is one case (already averaged over that case's readers when pooled), so drawing
    elements with replacement resamples whole cases and keeps the readers of a case together.
    Interval: the alpha/2 and 1 - alpha/2 quantiles of the B resampled means (Efron & Tibshirani
    1993, An Introduction to the Bootstrap, ch. 13).
    """
    values = np.asarray(differences, dtype=float)
    present = values[~np.isnan(values)]
    method = (
        f"case-resampling percentile bootstrap (Efron & Tibshirani 1993, ch. 13), B={replicates}, seed={seed}"
    )
    if present.size == 0:
        return BootstrapMeanDifference(None, None, None, confidence_level, 0, replicates, seed, method)
    rng = np.random.default_rng(seed)
    means = present[rng.integers(0, present.size, size=(replicates, present.size))].mean(axis=1)
    tail = (1 - confidence_level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return BootstrapMeanDifference(
        mean_difference=float(present.mean()),
        ci_low=float(low),
        ci_high=float(high),
        confidence_level=confidence_level,
        n_cases=int(present.size),
        replicates=replicates,
        seed=seed,
        method=method,
    )


def assess_non_inferiority(*, difference: BootstrapMeanDifference, margin: float) -> NonInferiority:
    """Declare AI non-inferior when the lower confidence bound of mean(AI - reference) exceeds margin.

    margin is the largest loss still acceptable, so it must be negative or zero (e.g. -0.5 points).
    With a two-sided 95% interval this is a one-sided test at 2.5% (ICH E9; Piaggio et al. 2012,
    CONSORT extension for non-inferiority trials, JAMA 308:2594). Below
    ``MIN_NON_INFERIORITY_CASES`` paired cases no decision is made (non_inferior is None).
    """
    if margin > 0:
        raise ValueError(f"a non-inferiority margin is a tolerated loss and must be <= 0, got {margin}")
    decided = difference.ci_low is not None and difference.n_cases >= MIN_NON_INFERIORITY_CASES
    return NonInferiority(
        non_inferior=bool(difference.ci_low > margin) if decided else None,
        margin=margin,
        mean_difference=difference.mean_difference,
        ci_low=difference.ci_low,
        ci_high=difference.ci_high,
        confidence_level=difference.confidence_level,
        n_cases=difference.n_cases,
        method=(
            f"lower bound of the {difference.confidence_level:.0%} interval > margin; "
            f"interval: {difference.method}"
        ),
    )
