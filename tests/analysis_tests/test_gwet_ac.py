"""Gwet's AC1/AC2 and their standard errors against Gwet's own published outputs."""

import numpy as np
import pytest

from cmr_reader.analysis.agreement.gwet import gwet_ac1, gwet_ac2
from tests.analysis_tests.reference_datasets import GWET_RAW_4_RATERS as RAW_4_RATERS

nan = np.nan

# irrCAC dataset `cac.raw5obser` (Gwet 2014, p. 125): 15 units x 5 observers on 0..3.
RAW_5_OBSERVERS = np.array(
    [
        [1, 1, 2, nan, 2],
        [1, 1, 0, 1, nan],
        [2, 3, 3, 3, nan],
        [nan, 0, 0, nan, 0],
        [0, 0, 0, nan, 0],
        [0, 0, 0, nan, 0],
        [1, 0, 2, nan, 1],
        [1, nan, 2, 0, nan],
        [2, 2, 2, nan, 2],
        [2, 1, 1, 1, nan],
        [nan, 1, 0, 0, nan],
        [0, 0, 0, 0, nan],
        [1, 2, 2, 2, nan],
        [3, 3, 2, 2, 3],
        [1, 1, 1, nan, 1],
    ]
)

# irrCAC dataset `distrib.6raters` (Fleiss 1971, Psychol Bull 76:378, Table 1): how many of 6
# psychiatrists put each of 15 patients in each of 5 diagnoses, expanded here to raw ratings 1..5.
FLEISS_1971_DISTRIBUTION = np.array(
    [
        [0, 0, 0, 6, 0],
        [0, 3, 0, 0, 3],
        [0, 1, 4, 0, 1],
        [0, 0, 0, 0, 6],
        [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0],
        [0, 0, 4, 0, 2],
        [2, 0, 3, 1, 0],
        [2, 0, 0, 4, 0],
        [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0],
        [1, 1, 0, 4, 0],
        [0, 3, 3, 0, 0],
        [1, 0, 0, 5, 0],
        [0, 2, 0, 3, 1],
    ]
)
FLEISS_1971_RAW = np.array([np.repeat(np.arange(1, 6), row) for row in FLEISS_1971_DISTRIBUTION], dtype=float)


def test_ac1_matches_irrcac_readme_for_cac_raw4raters():
    # irrCAC README (Gwet, CRAN 1.0): gwet.ac1.raw(cac.raw4raters) -> AC1 0.77544, se 0.14295, (0.461, 1).
    result = gwet_ac1(RAW_4_RATERS)

    assert result.estimate == pytest.approx(0.77544, abs=5e-6)
    assert result.se == pytest.approx(0.14295, abs=5e-6)
    assert result.ci_low == pytest.approx(0.461, abs=5e-4)
    assert result.ci_high == 1.0


def test_ac1_keeps_subjects_with_one_rating_and_counts_every_rating():
    result = gwet_ac1(RAW_4_RATERS)

    # Subject 12 has one rating: it enters the category shares (n = 12) but no pair.
    assert (result.n_subjects, result.n_raters, result.n_ratings) == (12, 4, 41)


def test_quadratic_ac2_matches_irrcac_weighting_vignette_for_cac_raw4raters():
    # irrCAC vignette "Weighted Chance-corrected Agreement Coefficients":
    # gwet.ac1.raw(cac.raw4raters, weights = "quadratic") -> AC2 0.914, se 0.10396, (0.685, 1).
    result = gwet_ac2(RAW_4_RATERS, weights="quadratic")

    assert result.estimate == pytest.approx(0.914, abs=5e-4)
    assert result.se == pytest.approx(0.10396, abs=5e-6)
    assert result.ci_low == pytest.approx(0.685, abs=5e-4)
    assert result.ci_high == 1.0


def test_linear_ac2_matches_irrcac_for_cac_raw4raters():
    # irrCAC's Python port (afergadis/irrCAC, test/unit/irrCAC/raw/test_gwet.py, reproducing R irrCAC):
    # linear weights -> AC2 0.859, se 0.117, (0.600, 1).
    result = gwet_ac2(RAW_4_RATERS, weights="linear")

    assert result.estimate == pytest.approx(0.859, abs=5e-4)
    assert result.se == pytest.approx(0.117, abs=5e-4)
    assert result.ci_low == pytest.approx(0.600, abs=5e-4)


def test_ac1_on_a_zero_based_scale_matches_irrcac_for_cac_raw5obser():
    # afergadis/irrCAC test_gwet.py, raw_5observers: AC1 0.497, se 0.122, (0.235, 0.758).
    result = gwet_ac1(RAW_5_OBSERVERS, scale_min=0, scale_max=3)

    assert result.estimate == pytest.approx(0.497, abs=5e-4)
    assert result.se == pytest.approx(0.122, abs=5e-4)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.235, 0.758), abs=5e-4)


def test_ac1_and_ac2_match_irrcac_for_fleiss_1971_psychiatric_diagnoses():
    # irrCAC README: gwet.ac1.dist(distrib.6raters) -> AC1 0.4448007, se 0.08418757, (0.264, 0.625);
    # weighting vignette, quadratic weights -> AC2 0.4837438, se 0.1058227, (0.257, 0.711).
    ac1 = gwet_ac1(FLEISS_1971_RAW)
    ac2 = gwet_ac2(FLEISS_1971_RAW, weights="quadratic")

    assert (ac1.estimate, ac1.se) == pytest.approx((0.4448007, 0.08418757), abs=5e-7)
    assert (ac1.ci_low, ac1.ci_high) == pytest.approx((0.264, 0.625), abs=5e-4)
    assert (ac2.estimate, ac2.se) == pytest.approx((0.4837438, 0.1058227), abs=5e-7)
    assert (ac2.ci_low, ac2.ci_high) == pytest.approx((0.257, 0.711), abs=5e-4)


def test_ac1_stays_high_where_kappa_collapses_on_a_skewed_binary_table():
    # Wongpakaran N, Wongpakaran T, Wedding D, Gwet KL (2013) BMC Med Res Methodol 13:61,
    # Schizoid PD, two raters, 19 patients: no/no 13, no/yes 2, yes/no 1, yes/yes 3.
    # Published: Cohen's kappa 0.565, Gwet's AC1 0.752 (the exact AC1 is 0.7527, printed truncated).
    pairs = [(0, 0)] * 13 + [(0, 1)] * 2 + [(1, 0)] * 1 + [(1, 1)] * 3
    ratings = np.array(pairs, dtype=float)

    result = gwet_ac1(ratings, scale_min=0, scale_max=1)

    assert 0.752 <= result.estimate < 0.753
    # Cohen's kappa from the same cells reproduces the published 0.565, confirming the orientation.
    observed = np.mean(ratings[:, 0] == ratings[:, 1])
    p_yes_a, p_yes_b = ratings.mean(axis=0)
    chance = p_yes_a * p_yes_b + (1 - p_yes_a) * (1 - p_yes_b)
    kappa = (observed - chance) / (1 - chance)
    assert kappa == pytest.approx(0.565, abs=5e-4)
    assert result.estimate - kappa > 0.18


def test_ac2_weights_come_from_the_declared_scale_not_the_observed_levels():
    # Only 3 and 4 occur. On a declared 1..5 scale a 3-vs-4 split is a near miss;
    # if weights were built from the observed levels it would count as a total disagreement.
    ratings = np.array([[3, 4], [3, 3], [4, 4], [4, 3], [3, 3]], dtype=float)

    on_declared_scale = gwet_ac2(ratings, weights="linear")
    on_observed_levels = gwet_ac2(ratings, weights="linear", scale_min=3, scale_max=4)

    assert on_declared_scale.estimate != pytest.approx(on_observed_levels.estimate, abs=1e-3)
    assert on_observed_levels.estimate == pytest.approx(gwet_ac1(ratings, scale_min=3, scale_max=4).estimate)


def test_ac1_is_one_with_no_standard_error_when_everyone_agrees():
    ratings = np.full((4, 3), 5.0)

    result = gwet_ac1(ratings)

    assert result.estimate == 1.0
    assert result.se == 0.0


def test_a_score_off_the_declared_scale_is_rejected():
    with pytest.raises(ValueError, match="declared scale"):
        gwet_ac1(np.array([[1, 2], [3, 6]], dtype=float))


def test_ac1_needs_a_subject_with_two_ratings():
    with pytest.raises(ValueError, match="two or more raters"):
        gwet_ac1(np.array([[1, nan], [nan, 2]]))
