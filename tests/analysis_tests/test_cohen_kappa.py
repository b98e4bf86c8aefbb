"""Cohen's kappa and its Fleiss-Cohen-Everitt standard error against published outputs."""

import numpy as np
import pytest

from cmr_reader.analysis.agreement.cohen import (
    cohen_kappa,
    contingency_table,
    light_kappa,
    pairwise_cohen_kappa,
)
from tests.analysis_tests.reference_datasets import (
    FEINSTEIN_CICCHETTI_BALANCED,
    FEINSTEIN_CICCHETTI_SKEWED,
    FLEISS_1971_DIAGNOSES,
    GWET_ABSTRACTORS,
    SAS_SKIN_CONDITION,
    ratings_from_table,
)

SKIN = ratings_from_table(SAS_SKIN_CONDITION, categories=[1, 2, 3, 4])
ABSTRACTORS = ratings_from_table(GWET_ABSTRACTORS, categories=[1, 2, 3])


def test_cohen_kappa_and_wald_interval_match_sas_skin_condition_example():
    # SAS/STAT User's Guide, PROC FREQ "Agreement Study": simple kappa 0.3449, 95% CI 0.2030 to 0.4868.
    # SAS's ASE is the Fleiss-Cohen-Everitt (1969) non-null one; the CI is kappa +/- 1.96 ASE.
    result = cohen_kappa(SKIN, scale_min=1, scale_max=4)

    assert result.estimate == pytest.approx(0.3449, abs=5e-5)
    assert result.ci_low == pytest.approx(0.2030, abs=5e-5)
    assert result.ci_high == pytest.approx(0.4868, abs=5e-5)
    assert result.se == pytest.approx((0.4868 - 0.2030) / (2 * 1.959964), abs=5e-5)
    assert (result.n_subjects, result.n_raters, result.n_ratings) == (88, 2, 176)


def test_unweighted_kappa_and_se_match_irrcac_abstractors_table():
    # irrCAC README, kappa2.table(cont3x3abstractors): kappa 0.7964094, se 0.05891072.
    result = cohen_kappa(ABSTRACTORS, scale_min=1, scale_max=3)

    assert result.estimate == pytest.approx(0.7964094, abs=5e-7)
    assert result.se == pytest.approx(0.05891072, abs=5e-8)


def test_quadratic_weighted_kappa_and_se_match_irrcac_weighting_vignette():
    # irrCAC vignette "Weighted Chance-corrected Agreement Coefficients",
    # kappa2.table(cont3x3abstractors, weights = quadratic.weights(1:3)): 0.8921569, se 0.03535151.
    result = cohen_kappa(ABSTRACTORS, weights="quadratic", scale_min=1, scale_max=3)

    assert result.estimate == pytest.approx(0.8921569, abs=5e-7)
    assert result.se == pytest.approx(0.03535151, abs=5e-8)


def test_weighted_kappa_keeps_the_width_of_a_gap_in_the_observed_scores():
    # The SAS skin table with its top category moved from 4 to 5 on a 1..5 scale: nobody used 4.
    # Weights built from the observed levels (as R's irr::kappa2 does from factor levels) would
    # treat 3-vs-5 as adjacent and reproduce the 1..4 value; the declared scale must not.
    as_published = cohen_kappa(SKIN, weights="quadratic", scale_min=1, scale_max=4)
    with_gap = cohen_kappa(
        ratings_from_table(SAS_SKIN_CONDITION, categories=[1, 2, 3, 5]),
        weights="quadratic",
        scale_min=1,
        scale_max=5,
    )

    assert abs(with_gap.estimate - as_published.estimate) > 0.005


def test_unweighted_kappa_ignores_unused_categories_of_the_declared_scale():
    # irrCAC README value for cont3x3abstractors (0.7964094) holds when the scale is declared as 1..5.
    assert cohen_kappa(ABSTRACTORS, scale_min=1, scale_max=5).estimate == pytest.approx(0.7964094, abs=5e-7)


def test_kappa_paradox_high_agreement_low_kappa_feinstein_cicchetti_1990():
    # Feinstein & Cicchetti (1990); Gerstman, Epidemiology Kept Simple, Table 10.6:
    # both tables have p_o = 0.85, yet kappa is 0.70 when balanced and 0.32 when "+" dominates.
    balanced = cohen_kappa(
        ratings_from_table(FEINSTEIN_CICCHETTI_BALANCED, categories=[1, 0]), scale_min=0, scale_max=1
    )
    skewed = cohen_kappa(
        ratings_from_table(FEINSTEIN_CICCHETTI_SKEWED, categories=[1, 0]), scale_min=0, scale_max=1
    )

    assert balanced.estimate == pytest.approx(0.70, abs=5e-3)
    assert skewed.estimate == pytest.approx(0.32, abs=5e-3)


def test_subjects_missing_either_rating_are_dropped():
    with_gaps = np.vstack([SKIN, [[np.nan, 2], [3, np.nan], [np.nan, np.nan]]])

    result = cohen_kappa(with_gaps, scale_min=1, scale_max=4)

    assert result.estimate == pytest.approx(0.3449, abs=5e-5)
    assert result.n_subjects == 88


def test_contingency_table_spans_the_declared_scale_even_where_unused():
    table = contingency_table(ABSTRACTORS, scale_min=1, scale_max=5)

    assert table.shape == (5, 5)
    np.testing.assert_array_equal(table[:3, :3], GWET_ABSTRACTORS)
    assert table[3:, :].sum() == 0 and table[:, 3:].sum() == 0


def test_cohen_kappa_refuses_more_than_two_raters():
    with pytest.raises(ValueError, match="exactly two raters"):
        cohen_kappa(FLEISS_1971_DIAGNOSES)


def test_kappa_is_undefined_when_both_raters_give_one_score_to_everything():
    result = cohen_kappa(np.full((10, 2), 3.0))

    assert np.isnan(result.estimate)
    assert result.se is None and result.ci_low is None


def test_light_kappa_matches_irr_on_fleiss_1971_diagnoses():
    # R irr documentation, kappam.light(diagnoses) example output: Kappa = 0.459.
    result = light_kappa(FLEISS_1971_DIAGNOSES)

    assert result.estimate == pytest.approx(0.459, abs=5e-4)
    assert (result.n_subjects, result.n_raters) == (30, 6)


def test_pairwise_cohen_kappa_gives_every_reader_pair_once():
    pairs = pairwise_cohen_kappa(FLEISS_1971_DIAGNOSES)

    assert sorted(pairs) == [(i, j) for i in range(6) for j in range(i + 1, 6)]
    assert np.mean([pair.estimate for pair in pairs.values()]) == pytest.approx(0.459, abs=5e-4)


def test_pairwise_cohen_kappa_marks_readers_who_never_overlapped_as_undefined():
    ratings = np.array([[1, np.nan, 2], [2, np.nan, 2], [np.nan, 3, 3], [np.nan, 4, 4], [3, 5, 3]])

    pairs = pairwise_cohen_kappa(ratings)

    assert np.isnan(pairs[(0, 1)].estimate)
    assert pairs[(0, 1)].n_subjects == 1
    assert not np.isnan(pairs[(1, 2)].estimate)
