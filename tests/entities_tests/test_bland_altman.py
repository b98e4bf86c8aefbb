import pytest

from cmr_reader.domain.entities.bland_altman import bland_altman, bland_altman_by_field

# Bland JM, Altman DG. Lancet 1986;i:307-310, Table 1: PEFR (l/min) of 17 subjects, first reading
# with the large Wright meter and the first with the mini Wright meter. Transcribed from the paper;
# the same columns are BlandAltmanLeh's bland.altman.PEFR$bigger.first / $smaller.first.
WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
MINI_WRIGHT = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]


def test_bland_altman_matches_the_published_pefr_example():
    # The paper: mean difference -2.1, SD 38.8, limits d -/+ 2 s = -79.7 to 75.5 l/min; SE of d 9.4
    # and its 95 % CI -22.0 to 17.8; SE of the limits sqrt(3 s^2 / n) = 16.3, so with t(16) = 2.12
    # the lower limit's CI is -114.3 to -45.1 and the upper limit's 40.9 to 110.1. The paper worked
    # from the rounded -2.1, 38.8, 16.3 and 2.12, so the unrounded figures differ by up to 0.17
    # (limits -79.65 and 75.41; upper limit CI to 109.93).
    result = bland_altman(measured=WRIGHT, reference=MINI_WRIGHT, multiplier=2)
    published = pytest.approx
    assert result.n == 17
    assert round(result.bias, 1) == -2.1
    assert round(result.sd, 1) == 38.8
    assert (result.lower_limit, result.upper_limit) == published((-79.7, 75.5), abs=0.15)
    assert result.bias_ci == published((-22.0, 17.8), abs=0.15)
    assert result.lower_limit_ci == published((-114.3, -45.1), abs=0.15)
    assert result.upper_limit_ci == published((40.9, 110.1), abs=0.2)


def test_bland_altman_uses_1_96_sd_by_default():
    # -2.1176 -/+ 1.96 * 38.7651 = -78.10 and 73.86
    result = bland_altman(measured=WRIGHT, reference=MINI_WRIGHT)
    assert result.lower_limit == pytest.approx(-78.097, abs=1e-3)
    assert result.upper_limit == pytest.approx(73.862, abs=1e-3)


def test_bland_altman_difference_is_measured_minus_reference():
    assert bland_altman(measured=[12, 14, 16], reference=[10, 10, 10]).bias == pytest.approx(4.0)


def test_bland_altman_refuses_a_single_pair():
    with pytest.raises(ValueError, match="at least two pairs"):
        bland_altman(measured=[1.0], reference=[2.0])


def test_bland_altman_by_field_uses_only_pairs_stating_the_field_on_both_sides():
    ai = [{"lv_ef_pct": 60.0, "lv_mass_g": 100.0}, {"lv_ef_pct": 50.0}, {"lv_ef_pct": None}]
    reference = [{"lv_ef_pct": 58.0, "lv_mass_g": 90.0}, {"lv_ef_pct": 54.0}, {"lv_ef_pct": 40.0}]
    results = bland_altman_by_field(
        ai_records=ai, reference_records=reference, fields=("lv_ef_pct", "lv_mass_g")
    )
    # differences +2 and -4: bias -1, SD sqrt(((2+1)^2 + (-4+1)^2) / 1) = sqrt(18)
    assert results["lv_ef_pct"].n == 2
    assert results["lv_ef_pct"].bias == pytest.approx(-1.0)
    assert results["lv_ef_pct"].sd == pytest.approx(18**0.5)
    assert results["lv_mass_g"] is None
