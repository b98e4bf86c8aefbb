"""Landis & Koch (1977) labels, including their band boundaries."""

import math

import pytest

from cmr_reader.analysis.agreement.labels import landis_koch_label


@pytest.mark.parametrize(
    ("kappa", "label"),
    [
        (-0.01, "poor"),
        (0.00, "slight"),
        (0.20, "slight"),
        (0.21, "fair"),
        (0.40, "fair"),
        (0.41, "moderate"),
        (0.60, "moderate"),
        (0.61, "substantial"),
        (0.80, "substantial"),
        (0.81, "almost perfect"),
        (1.00, "almost perfect"),
    ],
)
def test_landis_koch_bands_match_the_1977_table(kappa, label):
    # Landis & Koch (1977) Biometrics 33:159-174, p. 165: <0.00 poor, 0.00-0.20 slight,
    # 0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80 substantial, 0.81-1.00 almost perfect.
    assert landis_koch_label(kappa) == label


def test_values_between_published_bands_go_to_the_higher_band():
    assert landis_koch_label(0.205) == "fair"
    assert landis_koch_label(0.805) == "almost perfect"


def test_feinstein_cicchetti_kappas_get_the_labels_gerstman_gives_them():
    # Gerstman, Epidemiology Kept Simple, Illustrative Example 10.2: 0.70 "substantial", 0.32 "fair".
    assert landis_koch_label(0.70) == "substantial"
    assert landis_koch_label(0.32) == "fair"


@pytest.mark.parametrize("kappa", [math.nan, 1.01])
def test_undefined_or_impossible_kappas_are_not_labelled(kappa):
    with pytest.raises(ValueError, match="no greater than 1"):
        landis_koch_label(kappa)
