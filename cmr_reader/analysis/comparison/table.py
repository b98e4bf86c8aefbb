"""The AI-versus-reference comparison of a whole study as flat rows for the CSV/XLSX export and dashboard.

comparison_table gives, per criterion (first-seen order), the pooled scope and then each reader
(sorted), with these analyses in this order:

    descriptives               one row per arm: n scores, n_cases, mean, sd, median, q1, q3
    paired_difference          estimate = mean AI minus reference, sd and median of the
                               differences, wins / ties / losses
    wilcoxon                   signed-rank test of the differences (statistic is R's V)
    bootstrap_mean_difference  mean difference with a case-resampling percentile interval
    non_inferiority            only with a margin: that interval's lower bound against the margin
    mixed_model                pooled only: crossed LMM, or above mixed_model_max_cases cases the
                               reader-fixed LMM (the method column says which)
    ordinal_gee                pooled only: cumulative-logit GEE; estimate is a log-odds ratio

A reader's paired analyses use that reader's per-case differences; pooled ones use per-case
differences averaged over the readers who scored both arms (scores.paired_scores), so the case is
the unit and wins/ties/losses count cases. n counts the scores (descriptives, models) or the
(case, reader) pairs (paired analyses) that entered; n_cases counts cases. p_holm is Holm's
adjustment across criteria within one (analysis, scope, reader_id) family. Every row has every
column of COMPARISON_COLUMNS; what an analysis does not produce is None.
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cmr_reader.analysis.comparison.descriptives import describe_scores
from cmr_reader.analysis.comparison.models import (
    ArmEffect,
    fit_crossed_mixed_model,
    fit_ordinal_gee,
    fit_reader_fixed_mixed_model,
)
from cmr_reader.analysis.comparison.multiplicity import holm_adjust
from cmr_reader.analysis.comparison.paired import (
    MIN_NON_INFERIORITY_CASES,
    NonInferiority,
    ZeroMethod,
    assess_non_inferiority,
    bootstrap_mean_difference,
    signed_rank_test,
    summarize_differences,
)
from cmr_reader.analysis.comparison.proportions import (
    PREFERENCES,
    Proportion,
    error_rates,
    guess_accuracy,
    preference_rates,
    wilson_proportion,
)
from cmr_reader.analysis.comparison.scores import ARMS, ScoreRow, arm_scores, is_missing, paired_scores

COMPARISON_COLUMNS = (
    "criterion",
    "scope",
    "reader_id",
    "analysis",
    "arm",
    "n",
    "n_cases",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "statistic",
    "p_value",
    "p_holm",
    "wins",
    "ties",
    "losses",
    "win_share",
    "tie_share",
    "loss_share",
    "margin",
    "conclusion",
    "converged",
    "method",
)
SCORE_DISTRIBUTION_COLUMNS = ("criterion", "arm", "reader_id", "score", "count", "proportion")
PAIR_ITEM_COLUMNS = (
    "item",
    "scope",
    "reader_id",
    "category",
    "count",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "method",
)
POOLED, READER = "pooled", "reader"
HOLM_ANALYSES = ("wilcoxon", "mixed_model", "ordinal_gee")
GUESSES = ("correct", "wrong", "unsure")
ANY_ERROR = "any_error"


class CriterionScore(NamedTuple):
    """One reader's score of one arm's report of one case on one criterion; None or NaN = missing."""

    criterion: str
    case_id: Hashable
    reader_id: Hashable
    arm: str
    score: float | None


# The crossed LMM (one group, dense case and reader variance components) costs about 0.3 s at 100
# cases, 4 s at 300 and 11 s at 500 per criterion on 2 cores, growing cubically; above this many
# cases the reader-fixed model is fitted instead (its arm effect agreed to 3 decimals in balanced
# designs of 100-500 cases; tests/analysis_tests/test_comparison_table.py checks to 1e-4).
MIXED_MODEL_MAX_CASES = 300


@dataclass(frozen=True)
class _Options:
    scale_min: int
    scale_max: int
    margin: float | None
    bootstrap: int
    seed: int
    zero_method: ZeroMethod
    confidence_level: float
    mixed_model_max_cases: int


def comparison_table(
    *,
    rows: Iterable[CriterionScore],
    scale_min: int = 1,
    scale_max: int = 5,
    margin: float | None = None,
    bootstrap: int = 2000,
    seed: int = 0,
    zero_method: ZeroMethod = "wilcox",
    confidence_level: float = 0.95,
    mixed_model_max_cases: int = MIXED_MODEL_MAX_CASES,
) -> list[dict]:
    """Every comparison of every criterion as one dict per row, keys COMPARISON_COLUMNS (module docstring).

    Each bootstrap (pooled and per reader) draws from numpy.random.default_rng(seed), so a row does
    not depend on which other criteria or readers are in the study. margin is the tolerated loss
    (<= 0) of the non-inferiority rows, which are left out without one. With bootstrap=0 the
    bootstrap and non-inferiority rows keep their place, without an interval or a conclusion.
    """
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be 0 (none) or a number of replicates, got {bootstrap}")
    options = _Options(
        scale_min, scale_max, margin, bootstrap, seed, zero_method, confidence_level, mixed_model_max_cases
    )
    table = []
    for criterion, scores in _by_criterion(rows).items():
        table += _scope_rows(criterion=criterion, scores=scores, reader_id=None, options=options)
        table += _model_rows(criterion=criterion, scores=scores, options=options)
        for reader_id in _readers(scores):
            table += _scope_rows(criterion=criterion, scores=scores, reader_id=reader_id, options=options)
    _fill_holm(table)
    return [{key: _plain(value) for key, value in row.items()} for row in table]


def score_distribution_rows(
    *, rows: Iterable[CriterionScore], scale_min: int = 1, scale_max: int = 5
) -> list[dict]:
    """Count and share of every scale point per criterion, arm and reader ("" = all readers).

    Zero counts are kept so every group has scale_max - scale_min + 1 rows; proportion is over the
    group's non-missing scores and None when it has none.
    """
    table = []
    for criterion, scores in _by_criterion(rows).items():
        for arm in ARMS:
            for reader_id in (None, *_readers(scores)):
                described = describe_scores(
                    scores=arm_scores(rows=scores, arm=arm, reader_id=reader_id),
                    scale_min=scale_min,
                    scale_max=scale_max,
                )
                table += [
                    {
                        "criterion": criterion,
                        "arm": arm,
                        "reader_id": "" if reader_id is None else reader_id,
                        "score": score,
                        "count": count,
                        "proportion": proportion,
                    }
                    for score, count, proportion in zip(
                        described.categories, described.counts, described.proportions, strict=True
                    )
                ]
    return table


def pair_item_rows(
    *,
    preferences: Iterable[tuple[Hashable, str | None]],
    guesses: Iterable[tuple[Hashable, str | None]],
    error_reports: Iterable[tuple[Hashable, str, list[str]]],
    categories: Sequence[str],
    confidence_level: float = 0.95,
) -> list[dict]:
    """Rows (keys PAIR_ITEM_COLUMNS) for the side-by-side items: preference, "which is AI?", errors.

    preference: share of "ai", "equal", "reference" (Wilson), pooled and per reader; None is missing.
    ai_guess: category "correct" is the accuracy among correct + wrong guesses with its exact
    binomial test against 0.5; category "unsure" is the share of unsure among all given answers.
    ai_errors / reference_errors (pooled; the item names the arm because reports carry no
    reader): category "any_error" is the share of reports with >= 1 error, then the error count of
    every category in `categories`, zeros included. A category outside `categories` raises.
    """
    table = []
    for scope, reader_id, values in _item_scopes(preferences):
        rates = preference_rates(preferences=values, confidence_level=confidence_level)
        shares = (rates.ai_preferred, rates.equal, rates.reference_preferred)
        for choice, share in zip(PREFERENCES, shares, strict=True):
            table.append(_proportion_row("preference", scope, reader_id, choice, share))
    for scope, reader_id, values in _item_scopes(guesses):
        unknown = set(values) - set(GUESSES) - {None}
        if unknown:
            raise ValueError(f"guesses must be among {GUESSES}, got {sorted(unknown)}")
        correct, wrong, unsure = (values.count(guess) for guess in GUESSES)
        accuracy = guess_accuracy(correct=correct, n=correct + wrong, confidence_level=confidence_level)
        table.append(
            {
                "item": "ai_guess",
                "scope": scope,
                "reader_id": reader_id,
                "category": "correct",
                "count": correct,
                "n": accuracy.n,
                "estimate": accuracy.estimate,
                "ci_low": accuracy.ci_low,
                "ci_high": accuracy.ci_high,
                "p_value": accuracy.p_value,
                "method": accuracy.method + " against 0.5; unsure answers left out",
            }
        )
        unsure_share = wilson_proportion(
            count=unsure, n=correct + wrong + unsure, confidence_level=confidence_level
        )
        table.append(_proportion_row("ai_guess", scope, reader_id, "unsure", unsure_share))
    by_arm = error_rates(reports=error_reports, confidence_level=confidence_level)
    found = {category for rates in by_arm.values() for category in rates.counts_by_category}
    unknown = found - set(categories)
    if unknown:
        raise ValueError(f"error categories {sorted(unknown)} are not among {list(categories)}")
    for arm, rates in by_arm.items():
        item = f"{arm}_errors"
        table.append(_proportion_row(item, POOLED, "", ANY_ERROR, rates.reports_with_error, rates.method))
        for category in categories:
            table.append(
                {
                    **dict.fromkeys(PAIR_ITEM_COLUMNS),
                    "item": item,
                    "scope": POOLED,
                    "reader_id": "",
                    "category": category,
                    "count": rates.counts_by_category.get(category, 0),
                    "n": rates.reports_with_error.n,
                    "method": "errors of this category over the arm's judged reports (n)",
                }
            )
    return table


def _by_criterion(rows: Iterable[CriterionScore]) -> dict[str, list[ScoreRow]]:
    grouped: dict[str, list[ScoreRow]] = {}
    for criterion, case_id, reader_id, arm, score in rows:
        grouped.setdefault(criterion, []).append((case_id, reader_id, arm, score))
    return grouped


def _readers(scores: list[ScoreRow]) -> list[Hashable]:
    return sorted({reader_id for _case, reader_id, _arm, _score in scores})


def _scope_rows(
    *, criterion: str, scores: list[ScoreRow], reader_id: Hashable | None, options: _Options
) -> list[dict]:
    """descriptives, paired_difference, wilcoxon, bootstrap and (with a margin) non-inferiority rows."""
    pooled = reader_id is None
    label = {
        "criterion": criterion,
        "scope": POOLED if pooled else READER,
        "reader_id": "" if pooled else reader_id,
    }
    table = []
    for arm in ARMS:
        described = describe_scores(
            scores=arm_scores(rows=scores, arm=arm, reader_id=reader_id),
            scale_min=options.scale_min,
            scale_max=options.scale_max,
        )
        scored_cases = {
            case
            for case, reader, row_arm, score in scores
            if row_arm == arm and (pooled or reader == reader_id) and not is_missing(score)
        }
        table.append(
            _row(
                label,
                "descriptives",
                arm=arm,
                n=described.n,
                n_cases=len(scored_cases),
                mean=described.mean,
                sd=described.sd,
                median=described.median,
                q1=described.q1,
                q3=described.q3,
                method=described.method,
            )
        )

    paired = paired_scores(rows=scores, reader_id=reader_id)
    differences = paired.differences
    counts = {"n": paired.n_pairs, "n_cases": len(paired.case_ids)}
    unit = (
        "; unit: per-case differences averaged over the readers who scored both arms"
        if pooled
        else "; unit: this reader's per-case differences"
    )
    summary = summarize_differences(differences=differences)
    table.append(
        _row(
            label,
            "paired_difference",
            **counts,
            estimate=summary.mean_difference,
            sd=float(np.std(differences, ddof=1)) if differences.size >= 2 else None,
            median=summary.median_difference,
            wins=summary.wins,
            ties=summary.ties,
            losses=summary.losses,
            win_share=summary.win_rate,
            tie_share=summary.tie_rate,
            loss_share=summary.loss_rate,
            method="mean, SD (ddof=1) and median of AI minus reference; " + summary.method + unit,
        )
    )
    test = signed_rank_test(differences=differences, zero_method=options.zero_method)
    p_method = "" if test.p_method is None else f"; {test.p_method}; {test.n_used} non-zero differences"
    table.append(
        _row(
            label,
            "wilcoxon",
            **counts,
            statistic=test.statistic,
            p_value=test.p_value,
            method=test.method + p_method + unit,
        )
    )
    if options.bootstrap == 0:
        mean = float(np.nanmean(differences)) if np.any(~np.isnan(differences)) else None
        no_interval = "no interval: no bootstrap replicates requested (B = 0)" + unit
        table.append(_row(label, "bootstrap_mean_difference", **counts, estimate=mean, method=no_interval))
        if options.margin is not None:
            table.append(
                _row(
                    label,
                    "non_inferiority",
                    **counts,
                    estimate=mean,
                    margin=options.margin,
                    conclusion="not assessed: needs bootstrap replicates",
                    method=no_interval,
                )
            )
        return table
    interval = bootstrap_mean_difference(
        differences=differences,
        replicates=options.bootstrap,
        seed=options.seed,
        confidence_level=options.confidence_level,
    )
    table.append(
        _row(
            label,
            "bootstrap_mean_difference",
            **counts,
            estimate=interval.mean_difference,
            ci_low=interval.ci_low,
            ci_high=interval.ci_high,
            method=interval.method + unit,
        )
    )
    if options.margin is not None:
        decision = assess_non_inferiority(difference=interval, margin=options.margin)
        table.append(
            _row(
                label,
                "non_inferiority",
                **counts,
                estimate=decision.mean_difference,
                ci_low=decision.ci_low,
                ci_high=decision.ci_high,
                margin=decision.margin,
                conclusion=_conclusion(decision),
                method=decision.method + unit,
            )
        )
    return table


def _model_rows(*, criterion: str, scores: list[ScoreRow], options: _Options) -> list[dict]:
    """The pooled mixed_model and ordinal_gee rows; the crossed LMM gives way to the reader-fixed
    one above mixed_model_max_cases, where its dense single-group fit runs out of time and memory."""
    label = {"criterion": criterion, "scope": POOLED, "reader_id": ""}
    n_cases = len({case for case, _reader, _arm, score in scores if not is_missing(score)})
    if n_cases > options.mixed_model_max_cases:
        mixed = fit_reader_fixed_mixed_model(rows=scores, confidence_level=options.confidence_level)
        note = (
            f"; fitted instead of the crossed LMM (1|case) + (1|reader) because the criterion has "
            f"{n_cases} cases > mixed_model_max_cases={options.mixed_model_max_cases}"
        )
    else:
        mixed = fit_crossed_mixed_model(rows=scores, confidence_level=options.confidence_level)
        note = ""
    ordinal = fit_ordinal_gee(rows=scores, confidence_level=options.confidence_level)
    return [_effect_row(label, "mixed_model", mixed, note), _effect_row(label, "ordinal_gee", ordinal, "")]


def _effect_row(label: dict, analysis: str, effect: ArmEffect, note: str) -> dict:
    return _row(
        label,
        analysis,
        n=effect.n_scores,
        n_cases=effect.n_cases,
        estimate=effect.effect,
        se=effect.se,
        ci_low=effect.ci_low,
        ci_high=effect.ci_high,
        p_value=effect.p_value,
        converged=effect.converged,
        method=effect.method + note,
    )


def _row(label: dict, analysis: str, **fields) -> dict:
    return {**dict.fromkeys(COMPARISON_COLUMNS), **label, "analysis": analysis, "arm": "", **fields}


def _conclusion(decision: NonInferiority) -> str:
    if decision.non_inferior is None:
        if decision.n_cases == 0:
            return "undecided: no paired cases"
        return f"undecided: {decision.n_cases} paired cases, fewer than {MIN_NON_INFERIORITY_CASES}"
    relation = ">" if decision.non_inferior else "<="
    verdict = "non-inferior" if decision.non_inferior else "non-inferiority not shown"
    return f"{verdict}: lower bound {decision.ci_low:.3f} {relation} margin {decision.margin:g}"


def _fill_holm(table: list[dict]) -> None:
    """Holm across criteria, one family per (analysis, scope, reader_id) of the p-valued analyses."""
    families: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for row in table:
        if row["analysis"] in HOLM_ANALYSES:
            families[(row["analysis"], row["scope"], row["reader_id"])][row["criterion"]] = row
    for members in families.values():
        adjusted = holm_adjust(p_values={criterion: row["p_value"] for criterion, row in members.items()})
        for criterion, p_holm in adjusted.adjusted.items():
            members[criterion]["p_holm"] = p_holm


def _item_scopes(
    answers: Iterable[tuple[Hashable, str | None]],
) -> list[tuple[str, Hashable, list[str | None]]]:
    """(scope, reader_id, answers): all readers first, then each reader in sorted order."""
    answers = list(answers)
    by_reader: dict[Hashable, list[str | None]] = defaultdict(list)
    for reader_id, answer in answers:
        by_reader[reader_id].append(answer)
    pooled = [(POOLED, "", [answer for _reader, answer in answers])]
    return pooled + [(READER, reader_id, by_reader[reader_id]) for reader_id in sorted(by_reader)]


def _proportion_row(
    item: str, scope: str, reader_id: Hashable, category: str, share: Proportion, method: str | None = None
) -> dict:
    return {
        "item": item,
        "scope": scope,
        "reader_id": reader_id,
        "category": category,
        "count": share.count,
        "n": share.n,
        "estimate": share.estimate,
        "ci_low": share.ci_low,
        "ci_high": share.ci_high,
        "p_value": None,
        "method": method or share.method,
    }


def _plain(value):
    """numpy scalars as Python numbers and NaN as None, so rows go straight into JSON, CSV or XLSX."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
