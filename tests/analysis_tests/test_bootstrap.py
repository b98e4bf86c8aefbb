import numpy as np
import pytest

from cmr_reader.analysis.agreement import bootstrap
from cmr_reader.analysis.agreement.cohen import pairwise_cohen_kappa
from cmr_reader.analysis.agreement.fleiss import fleiss_kappa_generalized
from cmr_reader.analysis.agreement.gwet import gwet_ac1, gwet_ac2
from cmr_reader.analysis.agreement.icc import intraclass_correlation
from cmr_reader.analysis.agreement.krippendorff_alpha import krippendorff_alpha
from cmr_reader.analysis.agreement.percent import percent_agreement
from tests.analysis_tests.reference_datasets import FLEISS_1971_DIAGNOSES, GWET_RAW_4_RATERS

DATASETS = pytest.mark.parametrize(
    "ratings", [FLEISS_1971_DIAGNOSES, GWET_RAW_4_RATERS], ids=["fleiss", "gwet"]
)


def _resamples(ratings: np.ndarray, *, replicates: int = 4, seed: int = 7):
    counts = bootstrap.draw_counts(
        n_subjects=ratings.shape[0], replicates=replicates, rng=np.random.default_rng(seed)
    )
    explicit = [np.repeat(ratings, row.astype(int), axis=0) for row in counts]
    return counts, explicit


def test_draw_counts_resample_every_replicate_to_the_original_size():
    counts = bootstrap.draw_counts(n_subjects=30, replicates=50, rng=np.random.default_rng(1))

    assert counts.shape == (50, 30)
    assert np.all(counts.sum(axis=1) == 30)
    assert len({tuple(row) for row in counts}) == 50


@DATASETS
@pytest.mark.parametrize("tolerance", [0, 1])
def test_vectorised_percent_agreement_equals_it_on_the_resampled_matrix(ratings, tolerance):
    counts, explicit = _resamples(ratings)

    vectorised = bootstrap.percent_agreement_replicates(ratings, counts=counts, tolerance=tolerance)

    expected = [percent_agreement(m, tolerance=tolerance).estimate for m in explicit]
    np.testing.assert_allclose(vectorised, expected, rtol=0, atol=1e-12)


@DATASETS
@pytest.mark.parametrize("weights", ["none", "linear", "quadratic"])
def test_vectorised_fleiss_and_gwet_equal_them_on_the_resampled_matrix(ratings, weights):
    counts, explicit = _resamples(ratings)

    fleiss = bootstrap.fleiss_kappa_replicates(ratings, counts=counts, weights=weights)
    gwet = bootstrap.gwet_ac_replicates(ratings, counts=counts, weights=weights)

    ac = (lambda m: gwet_ac1(m)) if weights == "none" else (lambda m: gwet_ac2(m, weights=weights))
    np.testing.assert_allclose(
        fleiss, [fleiss_kappa_generalized(m, weights=weights).estimate for m in explicit], atol=1e-12
    )
    np.testing.assert_allclose(gwet, [ac(m).estimate for m in explicit], atol=1e-12)


@DATASETS
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_vectorised_krippendorff_alpha_equals_the_package_on_the_resampled_matrix(ratings, level):
    counts, explicit = _resamples(ratings)

    vectorised = bootstrap.krippendorff_alpha_replicates(ratings, counts=counts, level=level)

    np.testing.assert_allclose(
        vectorised, [krippendorff_alpha(m, level=level).estimate for m in explicit], atol=1e-12
    )


@DATASETS
@pytest.mark.parametrize("weights", ["none", "quadratic"])
def test_vectorised_cohen_kappa_equals_it_for_every_pair_on_the_resampled_matrix(ratings, weights):
    counts, explicit = _resamples(ratings)

    vectorised = bootstrap.cohen_kappa_replicates(ratings, counts=counts, weights=weights)

    for replicate, matrix in enumerate(explicit):
        for pair, estimate in pairwise_cohen_kappa(matrix, weights=weights).items():
            np.testing.assert_allclose(vectorised[pair][replicate], estimate.estimate, atol=1e-12)


@DATASETS
@pytest.mark.parametrize("form", ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"])
def test_vectorised_icc_equals_it_on_the_resampled_matrix(ratings, form):
    counts, explicit = _resamples(ratings)

    vectorised = bootstrap.icc_replicates(ratings, counts=counts, form=form)

    np.testing.assert_allclose(
        vectorised, [intraclass_correlation(m, form=form).estimate for m in explicit], atol=1e-12
    )


def test_a_replicate_without_variation_is_nan_like_the_coefficient():
    ratings = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 3.0]])
    counts = np.array([[3.0, 0.0, 0.0], [1.0, 1.0, 1.0]])

    alpha = bootstrap.krippendorff_alpha_replicates(ratings, counts=counts, level="nominal")
    fleiss = bootstrap.fleiss_kappa_replicates(ratings, counts=counts)

    assert np.isnan(alpha[0]) and np.isnan(fleiss[0])
    assert alpha[1] == pytest.approx(krippendorff_alpha(ratings, level="nominal").estimate, abs=1e-12)


def test_percentile_interval_ignores_undefined_replicates():
    low, high = bootstrap.percentile_interval(np.array([np.nan, *np.arange(101.0)]), confidence_level=0.9)

    assert (low, high) == (pytest.approx(5.0), pytest.approx(95.0))
    assert bootstrap.percentile_interval(np.array([np.nan])) == (None, None)
