"""A report written from a synthetic ground truth reads back as that ground truth."""

import json

import pytest

from cmr_reader.domain.entities import extract_entities, reference_record, write_reference_report
from cmr_reader.domain.entities.record import NUMERIC_FIELDS
from cmr_reader.domain.synthetic import GROUND_TRUTH_FILE, write_cases

STYLE_SEEDS = range(12)  # three layouts x mm/cm x with/without the AHA segment


def _hand_made(**overrides) -> dict:
    """A ground truth with the synthetic generator's keys, for patterns its seeds rarely draw."""
    truth = {
        "diagnosis": "hcm",
        "lv_edv_ml": 131.4,
        "lv_esv_ml": 38.2,
        "lv_ef_pct": 70.9,
        "lv_mass_g": 201.7,
        "lv_edv_index_ml_m2": 68.3,
        "lv_mass_index_g_m2": 104.9,
        "max_wall_thickness_mm": 22.4,
        "max_wall_thickness_location": "septal",
        "max_wall_thickness_aha_segment": 8,
        "hypertrophy_pattern": "asymmetric_septal",
        "lge": "present",
        "lge_pattern": "patchy_midwall",
        "lge_extent_pct": 9.3,
    }
    return {**truth, **overrides}


HAND_MADE = [
    _hand_made(),
    _hand_made(
        diagnosis="dcm",
        lv_edv_ml=288.0,
        lv_ef_pct=27.5,
        max_wall_thickness_mm=7.6,
        max_wall_thickness_location="lateral",
        max_wall_thickness_aha_segment=11,
        hypertrophy_pattern="none",
        lge_pattern="midwall_septal",
        lge_extent_pct=4.1,
    ),
    _hand_made(
        diagnosis="normal",
        max_wall_thickness_mm=8.9,
        max_wall_thickness_location="inferior",
        max_wall_thickness_aha_segment=4,
        hypertrophy_pattern="none",
        lge="absent",
        lge_pattern=None,
        lge_extent_pct=0.0,
    ),
]


@pytest.fixture(scope="module")
def synthetic_truths(tmp_path_factory) -> list[dict]:
    folder = tmp_path_factory.mktemp("synthetic")
    cases = write_cases(folder, cases=4, seed=3, matrix=32, phases=6)
    return [json.loads((case / GROUND_TRUTH_FILE).read_text()) for case in cases]


def _assert_round_trip(truth: dict, *, lang: str, style_seed: int) -> None:
    report = write_reference_report(truth, lang=lang, style_seed=style_seed)
    extracted = extract_entities(report)
    for field, expected in reference_record(truth, lang=lang, style_seed=style_seed).items():
        got = extracted[field]
        if field in NUMERIC_FIELDS and expected is not None:
            assert got == pytest.approx(expected, abs=0.05), (field, report)
        else:
            assert got == expected, (field, report)


def test_synthetic_cases_cover_every_case_type(synthetic_truths):
    assert {truth["case_type"] for truth in synthetic_truths} == {"normal", "hcm_septal", "hcm_apical", "dcm"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("style_seed", STYLE_SEEDS)
def test_synthetic_ground_truth_survives_report_and_extraction(synthetic_truths, lang, style_seed):
    for truth in synthetic_truths:
        _assert_round_trip(truth, lang=lang, style_seed=style_seed)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("style_seed", STYLE_SEEDS)
def test_hand_made_ground_truth_survives_report_and_extraction(lang, style_seed):
    for truth in HAND_MADE:
        _assert_round_trip(truth, lang=lang, style_seed=style_seed)


def test_styles_differ():
    reports = {write_reference_report(HAND_MADE[0], lang="en", style_seed=seed) for seed in STYLE_SEEDS}
    assert len(reports) == len(STYLE_SEEDS)


def test_segment_styles_record_the_segment_number():
    assert reference_record(HAND_MADE[0], lang="en", style_seed=6)["max_wall_thickness_location"] == 8
    assert reference_record(HAND_MADE[0], lang="en", style_seed=0)["max_wall_thickness_location"] == "septal"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        write_reference_report(HAND_MADE[0], lang="fr", style_seed=0)
