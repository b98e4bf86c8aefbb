"""Krippendorff's alpha against the worked examples of Krippendorff (2011)."""

import numpy as np
import pytest

from cmr_reader.analysis.agreement.krippendorff_alpha import krippendorff_alpha

nan = np.nan

# Krippendorff K (2011) "Computing Krippendorff's Alpha-Reliability", section C/E: 4 observers
# (columns) x 12 units (rows) on values 1..5, with missing data. Unit 12 has one value only.
FOUR_OBSERVERS_WITH_MISSING = np.array(
    [
        [1, 1, nan, 1],
        [2, 2, 3, 2],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [2, 2, 2, 2],
        [1, 2, 3, 4],
        [4, 4, 4, 4],
        [1, 1, 2, 1],
        [2, 2, 2, 2],
        [nan, 5, 5, 5],
        [nan, nan, 1, 1],
        [nan, 3, nan, nan],
    ]
)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_matches_krippendorff_2011_worked_example_with_missing_data(level, published):
    result = krippendorff_alpha(FOUR_OBSERVERS_WITH_MISSING, level=level)

    assert result.estimate == pytest.approx(published, abs=5e-4)


def test_alpha_counts_only_units_with_a_pair_of_ratings():
    result = krippendorff_alpha(FOUR_OBSERVERS_WITH_MISSING, level="ordinal")

    # Krippendorff (2011): unit 12 is not pairable, leaving 11 units and n = 40 pairable values.
    assert (result.n_subjects, result.n_raters, result.n_ratings) == (11, 4, 40)


def test_alpha_has_no_analytic_interval():
    result = krippendorff_alpha(FOUR_OBSERVERS_WITH_MISSING, level="interval")

    assert (result.se, result.ci_low, result.ci_high) == (None, None, None)
    assert "bootstrap" in result.ci_method


def test_binary_alpha_matches_krippendorff_2011_two_observer_example():
    # Krippendorff (2011) section A: binary data, two observers, 10 units; alpha = 0.095.
    observer_a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    observer_b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    ratings = np.array([observer_a, observer_b], dtype=float).T

    result = krippendorff_alpha(ratings, level="nominal", scale_min=0, scale_max=1)

    assert result.estimate == pytest.approx(0.095, abs=5e-4)


def test_declaring_a_wider_scale_leaves_ordinal_and_interval_alpha_unchanged():
    # An unused category has no pairable values, so it adds nothing to either disagreement.
    narrow = krippendorff_alpha(FOUR_OBSERVERS_WITH_MISSING, level="ordinal")
    wide = krippendorff_alpha(FOUR_OBSERVERS_WITH_MISSING, level="ordinal", scale_min=1, scale_max=7)

    assert wide.estimate == pytest.approx(narrow.estimate, abs=1e-12)


def test_a_score_off_the_declared_scale_is_rejected():
    ratings = FOUR_OBSERVERS_WITH_MISSING.copy()
    ratings[0, 0] = 6

    with pytest.raises(ValueError, match="declared scale"):
        krippendorff_alpha(ratings, level="ordinal")


def test_alpha_is_undefined_when_every_pairable_rating_is_identical():
    ratings = np.array([[4, 4, nan], [4, 4, 4], [nan, 2, nan]])

    result = krippendorff_alpha(ratings, level="ordinal")

    assert np.isnan(result.estimate)
    assert result.n_subjects == 2
    # The reason is that alpha is undefined, not that it lacks a standard error (issue 22).
    assert result.ci_method.startswith("none: alpha is undefined when the pairable ratings do not vary")


def test_a_defined_alpha_says_its_interval_comes_from_the_bootstrap():
    result = krippendorff_alpha(np.array([[1, 2], [3, 3], [4, 5]]), level="interval")

    assert not np.isnan(result.estimate)
    assert result.ci_method == "none: alpha has no analytic standard error; use the bootstrap"


def test_alpha_needs_a_unit_with_two_ratings():
    with pytest.raises(ValueError, match="two or more raters"):
        krippendorff_alpha(np.array([[1, nan], [nan, 2]]), level="nominal")
