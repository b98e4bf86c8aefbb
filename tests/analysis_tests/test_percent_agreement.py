"""Pairwise and unanimous percent agreement against published values."""

import numpy as np
import pytest

from cmr_reader.analysis.agreement.percent import percent_agreement, unanimous_agreement
from tests.analysis_tests.reference_datasets import (
    FEINSTEIN_CICCHETTI_BALANCED,
    FEINSTEIN_CICCHETTI_SKEWED,
    FLEISS_1971_DIAGNOSES,
    GWET_ABSTRACTORS,
    GWET_RAW_4_RATERS,
    SAS_SKIN_CONDITION,
    ratings_from_table,
)


def test_exact_agreement_is_fleiss_1971_p_bar():
    # Fleiss (1971) worked example: mean pairwise agreement P-bar = .556.
    result = percent_agreement(FLEISS_1971_DIAGNOSES)

    assert result.estimate == pytest.approx(0.556, abs=5e-4)


def test_exact_agreement_with_missing_ratings_matches_irrcac():
    # irrCAC README, pa.coeff.raw(cac.raw4raters): 0.8181818, se 0.12561, 95% CI (0.542, 1).
    result = percent_agreement(GWET_RAW_4_RATERS)

    assert result.estimate == pytest.approx(0.8181818, abs=5e-7)
    assert result.se == pytest.approx(0.12561, abs=5e-6)
    assert result.ci_low == pytest.approx(0.542, abs=5e-4)
    assert result.ci_high == 1.0
    assert (result.n_subjects, result.n_ratings) == (12, 41)


def test_exact_agreement_of_two_raters_matches_irrcac_abstractors():
    # irrCAC README, pa2.table(cont3x3abstractors): 0.89.
    ratings = ratings_from_table(GWET_ABSTRACTORS, categories=[1, 2, 3])

    assert percent_agreement(ratings, scale_min=1, scale_max=3).estimate == pytest.approx(0.89, abs=5e-4)


def test_both_feinstein_cicchetti_tables_have_85_percent_agreement():
    # Feinstein & Cicchetti (1990); Gerstman, Epidemiology Kept Simple, Table 10.6: p_obs = 0.85 twice.
    for table in (FEINSTEIN_CICCHETTI_BALANCED, FEINSTEIN_CICCHETTI_SKEWED):
        ratings = ratings_from_table(table, categories=[1, 0])
        assert percent_agreement(ratings, scale_min=0, scale_max=1).estimate == pytest.approx(0.85, abs=5e-4)


def test_agreement_within_one_point_counts_adjacent_scores_in_the_sas_skin_table():
    # Hand count on the published SAS "Skin Condition Data" table: the cells with |k - l| <= 1
    # hold 10+4 + 5+10+12 + 4+12+5 + 6+13 = 81 of 88 patients; exact agreement is 45 of 88.
    ratings = ratings_from_table(SAS_SKIN_CONDITION, categories=[1, 2, 3, 4])

    within_one = percent_agreement(ratings, tolerance=1, scale_min=1, scale_max=4)
    exact = percent_agreement(ratings, scale_min=1, scale_max=4)

    assert within_one.estimate == pytest.approx(81 / 88, abs=1e-12)
    assert exact.estimate == pytest.approx(45 / 88, abs=1e-12)


def test_unanimous_agreement_matches_irr_agree_on_fleiss_1971_diagnoses():
    # R irr::agree(diagnoses): %-agree = 16.7 (all six psychiatrists agree on 5 of 30 patients).
    result = unanimous_agreement(FLEISS_1971_DIAGNOSES)

    assert result.estimate == pytest.approx(0.167, abs=5e-4)
    assert result.se is None


def test_subjects_with_a_single_rating_add_no_pair():
    ratings = np.array([[1, 1], [2, 3], [4, np.nan]])

    result = percent_agreement(ratings)

    assert result.estimate == pytest.approx(0.5)
    assert unanimous_agreement(ratings).n_subjects == 2


def test_percent_agreement_needs_a_subject_with_two_ratings():
    with pytest.raises(ValueError, match="two or more raters"):
        percent_agreement(np.array([[1, np.nan], [np.nan, 2]]))


def test_the_interval_of_a_proportion_never_goes_below_zero():
    ratings = np.array([[4, 5], [3, 3], [2, 4], [5, 4]], dtype=float)  # one exact agreement in four

    result = percent_agreement(ratings)

    assert result.estimate == 0.25
    assert result.ci_low == 0.0
