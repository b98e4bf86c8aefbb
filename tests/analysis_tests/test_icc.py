"""Intraclass correlations against Shrout & Fleiss (1979) and the intervals psych reports for it."""

import numpy as np
import pytest

from cmr_reader.analysis.agreement.icc import intraclass_correlation, mean_squares

nan = np.nan

# Shrout PE, Fleiss JL (1979) Psychol Bull 86:420-428, Table 2: 6 targets x 4 judges.
SHROUT_FLEISS_TABLE_2 = np.array(
    [
        [9, 2, 5, 8],
        [6, 1, 3, 2],
        [8, 4, 6, 8],
        [7, 1, 2, 6],
        [10, 5, 6, 9],
        [6, 2, 4, 7],
    ],
    dtype=float,
)


def test_mean_squares_match_shrout_fleiss_1979_table_2_anova():
    # The ANOVA Shrout & Fleiss report for the Table 2 data: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02.
    squares = mean_squares(SHROUT_FLEISS_TABLE_2)

    assert squares.between_subjects == pytest.approx(11.24, abs=5e-3)
    assert squares.within_subjects == pytest.approx(6.26, abs=5e-3)
    assert squares.between_raters == pytest.approx(32.49, abs=5e-3)
    assert squares.residual == pytest.approx(1.02, abs=5e-3)


@pytest.mark.parametrize(
    ("form", "published"),
    [("ICC1", 0.17), ("ICC2", 0.29), ("ICC3", 0.71), ("ICC1k", 0.44), ("ICC2k", 0.62), ("ICC3k", 0.91)],
)
def test_icc_matches_shrout_fleiss_1979_for_their_table_2_data(form, published):
    # Shrout & Fleiss (1979), the six estimates for the Table 2 data: ICC(1,1) .17, ICC(2,1) .29,
    # ICC(3,1) .71, ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91 (two decimals, hence 5e-3).
    result = intraclass_correlation(SHROUT_FLEISS_TABLE_2, form=form)

    assert result.estimate == pytest.approx(published, abs=5e-3)


@pytest.mark.parametrize(
    ("form", "lower", "upper"),
    [
        ("ICC1", -0.133, 0.72),
        ("ICC2", 0.019, 0.76),
        ("ICC3", 0.342, 0.95),
        ("ICC1k", -0.884, 0.91),
        ("ICC2k", 0.071, 0.93),
        ("ICC3k", 0.676, 0.99),
    ],
)
def test_icc_interval_matches_psych_for_shrout_fleiss_table_2(form, lower, upper):
    # psych::ICC (Revelle) on the Table 2 data, printed in dwoll/RExRepos "Inter-rater reliability":
    # lower bounds to 3 decimals, upper bounds to 2. ICC2 uses McGraw & Wong's (1996) Satterthwaite df.
    result = intraclass_correlation(SHROUT_FLEISS_TABLE_2, form=form)

    assert result.ci_low == pytest.approx(lower, abs=5e-4)
    assert result.ci_high == pytest.approx(upper, abs=5e-3)
    assert result.se is None


def test_a_wider_confidence_level_gives_a_wider_interval():
    narrow = intraclass_correlation(SHROUT_FLEISS_TABLE_2, form="ICC2", confidence_level=0.90)
    wide = intraclass_correlation(SHROUT_FLEISS_TABLE_2, form="ICC2", confidence_level=0.99)

    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert wide.confidence == 0.99


def test_subjects_with_a_missing_rating_are_dropped_and_counted_out():
    with_gaps = np.vstack([SHROUT_FLEISS_TABLE_2, [[3, nan, 4, 5], [nan, nan, nan, nan]]])

    result = intraclass_correlation(with_gaps, form="ICC2")

    assert result.estimate == pytest.approx(
        intraclass_correlation(SHROUT_FLEISS_TABLE_2, form="ICC2").estimate, abs=1e-12
    )
    assert (result.n_subjects, result.n_raters, result.n_ratings) == (6, 4, 24)


def test_a_rater_who_rated_nothing_does_not_empty_the_table():
    with_idle_rater = np.hstack([SHROUT_FLEISS_TABLE_2, np.full((6, 1), nan)])

    result = intraclass_correlation(with_idle_rater, form="ICC3")

    assert result.n_raters == 4
    assert result.estimate == pytest.approx(0.71, abs=5e-3)


@pytest.mark.parametrize("form", ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"])
def test_raters_who_agree_exactly_give_an_icc_of_one(form):
    identical_columns = np.repeat(np.array([[1.0], [3.0], [2.0], [5.0]]), 3, axis=1)

    result = intraclass_correlation(identical_columns, form=form)

    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx((1.0, 1.0, 1.0))


def test_icc_is_undefined_when_no_rating_varies():
    result = intraclass_correlation(np.full((5, 3), 4.0), form="ICC1")

    assert np.isnan(result.estimate)
    assert result.ci_low is None


def test_too_few_complete_subjects_is_an_error():
    with pytest.raises(ValueError, match="complete subjects"):
        intraclass_correlation(np.array([[1, 2], [nan, 3], [4, nan]]), form="ICC1")


def test_icc2k_of_two_raters_disagreeing_on_two_subjects_does_not_crash_the_table():
    """Regression (issue 22): the Spearman-Brown step-up of ICC2's lower bound L = -1 divided by
    1 + (k - 1) L = 0. Mean squares by hand for (1, 4), (2, 2): BMS = 0.25, JMS = EMS = 2.25, so
    ICC2k = (BMS - EMS) / (BMS + (JMS - EMS) / n) = -2 / 0.25 = -8."""
    result = intraclass_correlation(np.array([[1, 4], [2, 2]], dtype=float), form="ICC2k")

    assert result.estimate == pytest.approx(-8.0)
    if result.ci_low is None:
        assert result.ci_method.startswith("none: McGraw & Wong's absolute-agreement interval is undefined")
    else:
        assert result.ci_low <= result.ci_high


@pytest.mark.parametrize("form", ["ICC2", "ICC2k"])
def test_absolute_agreement_intervals_are_never_inverted_and_undefined_ones_say_so(form):
    """Every 2-4 raters x 2-5 subjects table of 1-5 scores from a seeded generator: the interval
    is ordered, or absent with its reason; never an exception."""
    rng = np.random.default_rng(22)
    undefined = 0
    for _ in range(400):
        n, k = rng.integers(2, 6), rng.integers(2, 5)
        result = intraclass_correlation(rng.integers(1, 6, size=(n, k)).astype(float), form=form)
        if result.ci_low is None:
            undefined += 1
            assert result.ci_method.startswith("none: ")
        else:
            assert result.ci_low <= result.ci_high
    assert undefined < 400


def test_icc2k_interval_is_the_step_up_of_icc2s_where_that_is_defined():
    """McGraw & Wong's ICC(A,k) bounds equal the Spearman-Brown step-up of the ICC(A,1) bounds
    L k / (1 + (k - 1) L) whenever 1 + (k - 1) L > 0 (their Table 7), here on Shrout & Fleiss's data."""
    single = intraclass_correlation(SHROUT_FLEISS_TABLE_2, form="ICC2")
    average = intraclass_correlation(SHROUT_FLEISS_TABLE_2, form="ICC2k")
    k = SHROUT_FLEISS_TABLE_2.shape[1]

    def step_up(bound):
        return bound * k / (1 + (k - 1) * bound)

    assert average.ci_low == pytest.approx(step_up(single.ci_low), abs=1e-12)
    assert average.ci_high == pytest.approx(step_up(single.ci_high), abs=1e-12)
