"""Descriptives, paired differences, Wilcoxon signed-rank, bootstrap mean difference and non-inferiority."""

import math

import numpy as np
import pytest

from cmr_reader.analysis.comparison.descriptives import describe_scores
from cmr_reader.analysis.comparison.paired import (
    assess_non_inferiority,
    bootstrap_mean_difference,
    signed_rank_test,
    summarize_differences,
)
from cmr_reader.analysis.comparison.scores import arm_scores, paired_scores

# R documentation, ?wilcox.test: Hollander & Wolfe (1973), p. 29f., Hamilton depression scale
# before (x, first visit) and after (y, second visit) treatment, nine patients.
DEPRESSION_X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
DEPRESSION_Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])

ALICE, BOB = "alice", "bob"


def test_signed_rank_matches_r_wilcox_test_depression_example():
    # wilcox.test(x, y, paired = TRUE): V = 40, p-value = 0.03906 (two-sided, exact; the documented
    # one-sided "greater" p is 0.01953, half of it).
    result = signed_rank_test(differences=DEPRESSION_X - DEPRESSION_Y)

    assert result.statistic == 40
    assert result.p_value == pytest.approx(0.03906, abs=5e-6)
    assert result.p_method == "exact"
    assert result.zero_method == "wilcox"
    assert (result.n, result.n_zero, result.n_used) == (9, 0, 9)


def test_signed_rank_drops_zeros_and_falls_back_to_normal_approximation_like_r():
    # Adding two zero differences to the depression data: R drops them (V stays 40) and, because
    # zeros were present, switches to the normal approximation with continuity correction:
    # z = (40 - 22.5 - 0.5) / sqrt(9 * 10 * 19 / 24) = 17 / 8.4410, p = 2 * (1 - Phi(2.01398)) = 0.04401.
    differences = np.append(DEPRESSION_X - DEPRESSION_Y, [0.0, 0.0])

    result = signed_rank_test(differences=differences, zero_method="wilcox")

    assert result.statistic == 40
    assert result.p_value == pytest.approx(0.04401, abs=5e-5)
    assert result.p_method == "normal approximation with continuity correction"
    assert (result.n, result.n_zero, result.n_used) == (11, 2, 9)


def test_signed_rank_reports_none_when_every_difference_is_zero():
    result = signed_rank_test(differences=np.array([0.0, 0.0, np.nan]))

    assert result.p_value is None and result.statistic is None
    assert result.n == 2


def test_win_tie_loss_counts_ignore_missing_differences():
    result = summarize_differences(differences=np.array([1.0, 0.0, -2.0, 0.5, np.nan]))

    assert (result.wins, result.ties, result.losses, result.n, result.n_missing) == (2, 1, 1, 4, 1)
    assert result.win_rate == 0.5
    assert result.mean_difference == pytest.approx(-0.125)


def test_descriptives_keep_empty_categories_and_use_r_type_7_quartiles():
    # Worked by hand from the definitions: type-7 quantile position 1 + (n - 1) p gives x(2.5) = 2,
    # x(4) = 4, x(5.5) = 5; mean 24/7, sum of squared deviations 124/7, sd = sqrt(124/42) = 1.718249.
    result = describe_scores(scores=np.array([1, 2, 2, 4, 5, 5, 5, np.nan]))

    assert result.counts == (1, 2, 0, 1, 3)
    assert result.proportions[2] == 0.0
    assert (result.q1, result.median, result.q3) == (2.0, 4.0, 5.0)
    assert result.sd == pytest.approx((124 / 42) ** 0.5, abs=1e-12)
    assert (result.n, result.n_missing) == (7, 1)


def test_descriptives_reject_scores_off_the_declared_scale():
    with pytest.raises(ValueError, match="off the declared scale"):
        describe_scores(scores=np.array([1, 6]))


def test_descriptives_of_an_empty_arm_are_none():
    result = describe_scores(scores=np.array([np.nan]))

    assert result.mean is None and result.median is None and result.counts == (0, 0, 0, 0, 0)


def test_pooled_pairs_average_within_reader_differences_per_case():
    rows = [
        ("case-1", ALICE, "ai", 4),
        ("case-1", ALICE, "reference", 3),
        ("case-1", BOB, "ai", 2),
        ("case-1", BOB, "reference", 4),
        ("case-2", ALICE, "ai", 5),
        ("case-2", ALICE, "reference", None),  # unpaired: dropped
        ("case-2", BOB, "ai", 3),
        ("case-2", BOB, "reference", 3),
    ]

    pooled = paired_scores(rows=rows)
    alice = paired_scores(rows=rows, reader_id=ALICE)

    assert pooled.case_ids == ("case-1", "case-2")
    assert pooled.differences.tolist() == [-0.5, 0.0]
    assert pooled.n_pairs == 3
    assert alice.case_ids == ("case-1",) and alice.differences.tolist() == [1.0]
    assert np.isnan(arm_scores(rows=rows, arm="reference", reader_id=ALICE)).sum() == 1


# Three readers per case; (AI scores, reference scores). Reader-averaged differences as exact
# rationals: +1/3 three times (8/3-7/3, 14/3-13/3, 5/3-4/3), -1/3 once, +2/3 twice, -2/3 once, +1.
THREE_READER_CASES = [
    ((3, 3, 2), (2, 3, 2)),
    ((5, 5, 4), (4, 5, 4)),
    ((2, 2, 1), (1, 2, 1)),
    ((4, 3, 3), (4, 4, 3)),
    ((5, 4, 4), (4, 4, 3)),
    ((3, 2, 2), (2, 2, 1)),
    ((3, 2, 2), (3, 3, 3)),
    ((5, 4, 3), (4, 3, 2)),
]


def test_pooled_differences_that_are_equal_rationals_are_tied_ranks_like_r():
    """Regression (issue 22): float means made 8/3-7/3 and 14/3-13/3 differ in the last bit, so
    they got different ranks and lost the tie correction. R's wilcox.test on the rational values
    (normal approximation, as there are ties): V = 27.5 from midranks 2.5 (|d| = 1/3, four),
    6 (|d| = 2/3, three) and 8 (|d| = 1); variance n(n+1)(2n+1)/24 - sum(t^3 - t)/48 =
    51 - 84/48 = 49.25; z = (27.5 - 18 - 0.5) / sqrt(49.25); p = 2(1 - Phi(z))."""
    rows = [
        (f"case{n}", reader, arm, score)
        for n, (ai, reference) in enumerate(THREE_READER_CASES)
        for arm, scores in (("ai", ai), ("reference", reference))
        for reader, score in zip(("r1", "r2", "r3"), scores, strict=True)
    ]
    differences = paired_scores(rows=rows).differences
    result = signed_rank_test(differences=differences)

    assert len(set(np.abs(differences).tolist())) == 3  # 1/3, 2/3 and 1, each one float
    z = (27.5 - 18 - 0.5) / np.sqrt(49.25)
    assert result.statistic == 27.5
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), abs=1e-12)
    assert result.p_method == "normal approximation with continuity correction"


def test_duplicate_scores_for_one_case_reader_and_arm_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        paired_scores(rows=[("c", ALICE, "ai", 3), ("c", ALICE, "ai", 4)])


def test_bootstrap_interval_agrees_with_normal_theory_for_many_cases():
    # For the mean of n iid values the bootstrap percentile interval approaches
    # mean +/- 1.96 s / sqrt(n) (Efron & Tibshirani 1993, ch. 13); n = 400 puts them within 0.01.
    differences = np.random.default_rng(7).choice([-2, -1, 0, 0, 1, 1, 2], size=400).astype(float)
    half_width = 1.959964 * differences.std(ddof=1) / np.sqrt(differences.size)

    result = bootstrap_mean_difference(differences=differences, replicates=4000, seed=11)

    assert result.ci_low == pytest.approx(differences.mean() - half_width, abs=0.01)
    assert result.ci_high == pytest.approx(differences.mean() + half_width, abs=0.01)
    assert (result.replicates, result.seed, result.n_cases) == (4000, 11, 400)


def test_bootstrap_is_reproducible_from_its_seed_and_changes_with_it():
    differences = DEPRESSION_X - DEPRESSION_Y

    first = bootstrap_mean_difference(differences=differences, replicates=500, seed=3)
    again = bootstrap_mean_difference(differences=differences, replicates=500, seed=3)
    other = bootstrap_mean_difference(differences=differences, replicates=500, seed=4)

    assert first == again
    assert first.ci_low != other.ci_low


def test_bootstrap_of_no_cases_has_no_estimate():
    assert bootstrap_mean_difference(differences=np.array([np.nan])).mean_difference is None


def test_non_inferiority_is_declared_only_when_the_lower_bound_clears_the_margin():
    differences = np.random.default_rng(5).normal(-0.2, 1.0, size=300)
    interval = bootstrap_mean_difference(differences=differences, replicates=2000, seed=1)

    assert -0.5 < interval.ci_low < -0.2
    assert assess_non_inferiority(difference=interval, margin=-0.5).non_inferior is True
    assert assess_non_inferiority(difference=interval, margin=-0.2).non_inferior is False


def test_non_inferiority_refuses_a_positive_margin_and_abstains_without_data():
    empty = bootstrap_mean_difference(differences=np.array([]))

    assert assess_non_inferiority(difference=empty, margin=-0.5).non_inferior is None
    with pytest.raises(ValueError):
        assess_non_inferiority(difference=empty, margin=0.5)


def test_non_inferiority_is_not_declared_from_a_handful_of_cases():
    """Regression (issue 22): one case with a large gain made a 'non-inferior' row."""
    one_case = bootstrap_mean_difference(differences=np.array([2.0]))
    nine = bootstrap_mean_difference(differences=np.full(9, 1.0))
    ten = bootstrap_mean_difference(differences=np.full(10, 1.0))

    assert (
        one_case.ci_low == 2.0
        and assess_non_inferiority(difference=one_case, margin=-0.5).non_inferior is None
    )
    assert assess_non_inferiority(difference=nine, margin=-0.5).non_inferior is None
    assert assess_non_inferiority(difference=ten, margin=-0.5).non_inferior is True
