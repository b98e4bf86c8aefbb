"""Fleiss' kappa (1971) and Gwet's generalisation for missing ratings against published outputs."""

import numpy as np
import pytest

from cmr_reader.analysis.agreement.fleiss import fleiss_kappa, fleiss_kappa_generalized
from tests.analysis_tests.reference_datasets import FLEISS_1971_DIAGNOSES, GWET_RAW_4_RATERS

# irrCAC `distrib.6raters` is patients 1-15 of Fleiss (1971) as counts per category.
FLEISS_1971_FIRST_15 = FLEISS_1971_DIAGNOSES[:15]


def test_fleiss_kappa_matches_fleiss_1971():
    # Fleiss (1971) Psychol Bull 76:378-382, worked example: kappa = .430
    # (also R irr::kappam.fleiss(diagnoses): Kappa = 0.43).
    result = fleiss_kappa(FLEISS_1971_DIAGNOSES)

    assert result.estimate == pytest.approx(0.430, abs=5e-4)
    assert (result.n_subjects, result.n_raters, result.n_ratings) == (30, 6, 180)


def test_fleiss_null_standard_error_gives_the_z_statistic_irr_reports():
    # R irr::kappam.fleiss(diagnoses) reports z = 17.7, from the Fleiss, Nee & Landis (1979)
    # standard error under H0: kappa = 0. That SE is for testing, so no interval is offered.
    result = fleiss_kappa(FLEISS_1971_DIAGNOSES)

    assert result.estimate / result.se == pytest.approx(17.7, abs=0.05)
    assert result.ci_low is None and result.ci_high is None


def test_fleiss_1971_kappa_refuses_subjects_with_different_numbers_of_ratings():
    with pytest.raises(ValueError, match="fleiss_kappa_generalized"):
        fleiss_kappa(GWET_RAW_4_RATERS)


def test_fleiss_1971_kappa_accepts_different_raters_per_subject_when_counts_match():
    # Fleiss (1971) allows a different set of m raters for each subject: shifting NaNs between
    # columns while keeping m = 6 per subject must not change kappa.
    spread_out = np.full((30, 7), np.nan)
    for i, row in enumerate(FLEISS_1971_DIAGNOSES):
        columns = [c for c in range(7) if c != i % 7]
        spread_out[i, columns] = row

    assert fleiss_kappa(spread_out).estimate == pytest.approx(0.430, abs=5e-4)


def test_generalized_fleiss_kappa_handles_missing_ratings_like_irrcac():
    # irrCAC README, fleiss.kappa.raw(cac.raw4raters): pa 0.8181818, pe 0.2387153,
    # kappa 0.76117, se 0.15302, 95% CI (0.424, 1).
    result = fleiss_kappa_generalized(GWET_RAW_4_RATERS)

    assert result.estimate == pytest.approx(0.76117, abs=5e-6)
    assert result.se == pytest.approx(0.15302, abs=5e-6)
    assert result.ci_low == pytest.approx(0.424, abs=5e-4)
    assert result.ci_high == 1.0
    assert (result.n_subjects, result.n_raters, result.n_ratings) == (12, 4, 41)


def test_generalized_quadratic_fleiss_kappa_matches_irrcac_weighting_vignette():
    # irrCAC weighting vignette, fleiss.kappa.raw(cac.raw4raters, weights = "quadratic"):
    # kappa 0.86494, se 0.14603, 95% CI (0.544, 1).
    result = fleiss_kappa_generalized(GWET_RAW_4_RATERS, weights="quadratic")

    assert result.estimate == pytest.approx(0.86494, abs=5e-6)
    assert result.se == pytest.approx(0.14603, abs=5e-6)
    assert result.ci_low == pytest.approx(0.544, abs=5e-4)


def test_generalized_fleiss_kappa_matches_irrcac_on_fleiss_patients_1_to_15():
    # irrCAC README, fleiss.kappa.dist(distrib.6raters): 0.4139265, stderr 0.08119291, CI (0.24, 0.588).
    result = fleiss_kappa_generalized(FLEISS_1971_FIRST_15)

    assert result.estimate == pytest.approx(0.4139265, abs=5e-7)
    assert result.se == pytest.approx(0.08119291, abs=5e-8)
    assert result.ci_low == pytest.approx(0.24, abs=5e-3)
    assert result.ci_high == pytest.approx(0.588, abs=5e-4)


def test_generalized_quadratic_fleiss_kappa_matches_irrcac_on_fleiss_patients_1_to_15():
    # irrCAC weighting vignette, fleiss.kappa.dist(distrib.6raters, quadratic.weights(1:5)):
    # 0.2511909, stderr 0.1457381, CI (-0.061, 0.564).
    result = fleiss_kappa_generalized(FLEISS_1971_FIRST_15, weights="quadratic")

    assert result.estimate == pytest.approx(0.2511909, abs=5e-7)
    assert result.se == pytest.approx(0.1457381, abs=5e-7)
    assert result.ci_low == pytest.approx(-0.061, abs=5e-4)
    assert result.ci_high == pytest.approx(0.564, abs=5e-4)


def test_generalized_fleiss_kappa_reduces_to_fleiss_1971_on_complete_data():
    # Fleiss (1971): kappa = .430 for all 30 patients.
    assert fleiss_kappa_generalized(FLEISS_1971_DIAGNOSES).estimate == pytest.approx(0.430, abs=5e-4)


def test_fleiss_kappa_is_undefined_when_every_score_is_the_same():
    assert np.isnan(fleiss_kappa(np.full((5, 3), 4.0)).estimate)
    assert np.isnan(fleiss_kappa_generalized(np.full((5, 3), 4.0)).estimate)
