"""Wilson intervals, preference rates, "which is AI?" binomial test and error rates vs published values."""

import pytest

from cmr_reader.analysis.comparison.proportions import (
    error_rates,
    guess_accuracy,
    preference_rates,
    wilson_proportion,
)


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_newcombe_1998_table_one(count, n, low, high):
    # Newcombe RG (1998) Stat Med 17:857-872, Table I, method 3 (score interval without CC).
    result = wilson_proportion(count=count, n=n)

    assert result.ci_low == pytest.approx(low, abs=5e-5)
    assert result.ci_high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_of_no_observations_is_none_and_bad_counts_raise():
    assert wilson_proportion(count=0, n=0).estimate is None
    with pytest.raises(ValueError):
        wilson_proportion(count=3, n=2)


def test_guess_accuracy_matches_r_binom_test_example():
    # R documentation, ?binom.test (Conover 1971, p. 97f.): binom.test(682, 925, p = 0.75)
    # p-value = 0.3825; 95 percent CI 0.7076683 0.7654066; probability of success 0.7372973.
    result = guess_accuracy(correct=682, n=925, null_proportion=0.75)

    assert result.p_value == pytest.approx(0.3825, abs=5e-5)
    assert result.ci_low == pytest.approx(0.7076683, abs=5e-8)
    assert result.ci_high == pytest.approx(0.7654066, abs=5e-8)
    assert result.estimate == pytest.approx(0.7372973, abs=5e-8)


def test_guess_accuracy_tests_against_chance_by_default():
    # 9 of 10 correct against 1/2: P(X >= 9) = (10 + 1) / 1024; symmetric, so two-sided p = 22 / 1024.
    result = guess_accuracy(correct=9, n=10)

    assert result.null_proportion == 0.5
    assert result.p_value == pytest.approx(22 / 1024, abs=1e-12)


def test_preference_rates_use_one_wilson_interval_per_choice_and_skip_missing():
    # 81 of 263 preferring AI reproduces Newcombe's (1998) first Table I row.
    preferences = ["ai"] * 81 + ["equal"] * 100 + ["reference"] * 82 + [None] * 5

    result = preference_rates(preferences=preferences)

    assert result.n == 263
    assert (result.ai_preferred.ci_low, result.ai_preferred.ci_high) == pytest.approx(
        (0.2553, 0.3662), abs=5e-5
    )
    assert result.equal.count == 100 and result.reference_preferred.count == 82


def test_preference_rates_refuse_unknown_choices():
    with pytest.raises(ValueError):
        preference_rates(preferences=["ai", "both"])


def test_error_rates_count_a_report_once_and_each_error_category_separately():
    reports = [("r1", "ai", ["laterality", "measurement"]), ("r2", "ai", []), ("r3", "reference", [])]
    reports += [(f"ai-{i}", "ai", ["measurement"]) for i in range(14)]
    reports += [(f"ai-clean-{i}", "ai", []) for i in range(148 - 16)]

    result = error_rates(reports=reports)

    # 15 of 148 AI reports with an error: Newcombe (1998) Table I row (b), 0.0624 to 0.1605.
    ai = result["ai"].reports_with_error
    assert (ai.count, ai.n) == (15, 148)
    assert (ai.ci_low, ai.ci_high) == pytest.approx((0.0624, 0.1605), abs=5e-5)
    assert result["ai"].counts_by_category == {"laterality": 1, "measurement": 15}
    assert result["reference"].reports_with_error.count == 0
