"""The declared scale: categories, weights from the scale (not the data), and the on-scale check."""

import numpy as np
import pytest

from cmr_reader.analysis.agreement.scale import (
    agreement_weights,
    category_counts,
    checked_ratings,
    scale_categories,
    tolerance_weights,
)
from tests.analysis_tests.reference_datasets import FLEISS_1971_DIAGNOSES


def test_default_scale_is_the_five_point_likert_scale():
    np.testing.assert_array_equal(scale_categories(), [1, 2, 3, 4, 5])


def test_linear_and_quadratic_weights_match_irrcac_for_three_categories():
    # irrCAC weighting vignette: linear.weights(1:3) and quadratic.weights(1:3).
    np.testing.assert_allclose(
        agreement_weights(kind="linear", scale_min=1, scale_max=3),
        [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]],
    )
    np.testing.assert_allclose(
        agreement_weights(kind="quadratic", scale_min=1, scale_max=3),
        [[1.0, 0.75, 0.0], [0.75, 1.0, 0.75], [0.0, 0.75, 1.0]],
    )
    np.testing.assert_array_equal(agreement_weights(kind="none", scale_min=1, scale_max=3), np.eye(3))


def test_five_point_weights_give_a_two_point_miss_partial_credit():
    # On 1..5 a 2-vs-4 disagreement is half the scale: linear 1 - 2/4, quadratic 1 - (2/4)^2.
    assert agreement_weights(kind="linear")[1, 3] == pytest.approx(0.5)
    assert agreement_weights(kind="quadratic")[1, 3] == pytest.approx(0.75)
    assert agreement_weights(kind="linear")[0, 4] == 0.0


def test_within_one_point_weights_accept_neighbours_only():
    weights = tolerance_weights(tolerance=1)

    assert weights[2, 1] == weights[2, 3] == 1.0
    assert weights[2, 0] == weights[2, 4] == 0.0


def test_category_counts_span_the_declared_scale():
    # Fleiss (1971) Table 1, patient 2: 3 personality disorder, 3 other.
    counts = category_counts(FLEISS_1971_DIAGNOSES)

    np.testing.assert_array_equal(counts[1], [0, 3, 0, 0, 3])
    assert counts.shape == (30, 5)


def test_scores_off_the_scale_are_rejected_naming_the_cell():
    ratings = np.array([[1.0, 2.0], [6.0, 3.0]])

    with pytest.raises(ValueError, match=r"1\.\.5.*subject 1, rater 0: 6\b"):
        checked_ratings(ratings)


def test_fractional_scores_are_rejected():
    with pytest.raises(ValueError, match="integers on the declared scale"):
        checked_ratings(np.array([[2.5, 3.0]]))


def test_nan_marks_a_missing_rating_not_an_error():
    ratings = checked_ratings(np.array([[np.nan, 3.0], [5.0, np.nan]]))

    assert np.isnan(ratings).sum() == 2


def test_a_scale_needs_at_least_two_categories():
    with pytest.raises(ValueError, match="at least two categories"):
        scale_categories(scale_min=3, scale_max=3)


def test_unknown_weights_are_rejected():
    with pytest.raises(ValueError, match="unknown weights"):
        agreement_weights(kind="cubic")
