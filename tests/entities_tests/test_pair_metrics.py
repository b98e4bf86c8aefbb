import dataclasses

import pytest

from cmr_reader.domain.entities.pair_metrics import (
    CriticalError,
    Outcome,
    aggregate_comparisons,
    compare_records,
)
from cmr_reader.domain.entities.record import NUMERIC_FIELDS, empty_record
from cmr_reader.domain.entities.tolerances import DEFAULT_TOLERANCES, Tolerances


def record(**values) -> dict:
    return {**empty_record(), **values}


def test_default_tolerances_are_versioned_and_cite_suinesiaputra_2015():
    assert DEFAULT_TOLERANCES.version
    assert "Suinesiaputra" in DEFAULT_TOLERANCES.citation and "2015" in DEFAULT_TOLERANCES.citation
    assert DEFAULT_TOLERANCES.absolute["lv_ef_pct"] == 5
    assert DEFAULT_TOLERANCES.absolute["lv_edv_ml"] == DEFAULT_TOLERANCES.absolute["lv_esv_ml"] == 15
    assert DEFAULT_TOLERANCES.absolute["lv_mass_g"] == 20
    assert DEFAULT_TOLERANCES.absolute["max_wall_thickness_mm"] == 2
    assert DEFAULT_TOLERANCES.thresholds["max_wall_thickness_mm"] == (15, 30)


def test_tolerances_cannot_be_changed_in_place():
    with pytest.raises(TypeError):
        DEFAULT_TOLERANCES.absolute["lv_ef_pct"] = 50
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_TOLERANCES.version = "mine"


def test_tolerances_must_cover_every_numeric_field():
    partial = {name: 1.0 for name in NUMERIC_FIELDS if name != "lv_mass_g"}
    with pytest.raises(ValueError, match="lv_mass_g"):
        Tolerances(version="x", citation="y", absolute=partial)


def test_a_number_within_tolerance_is_correct():
    comparison = compare_records(
        ai=record(lv_ef_pct=62.0, lv_mass_g=140.0), reference=record(lv_ef_pct=58.0, lv_mass_g=120.0)
    )
    assert comparison.outcomes == {"lv_ef_pct": Outcome.CORRECT, "lv_mass_g": Outcome.CORRECT}
    assert not comparison.critical_errors


def test_a_number_beyond_tolerance_is_wrong():
    comparison = compare_records(ai=record(lv_edv_ml=180.0), reference=record(lv_edv_ml=160.0))
    assert comparison.outcomes == {"lv_edv_ml": Outcome.WRONG}
    assert comparison.absolute_errors == {"lv_edv_ml": 20.0}
    # 20 mL off is an error, but not a critical one: no threshold lies between.
    assert not comparison.critical_errors


def test_crossing_a_threshold_within_tolerance_is_wrong_and_critical():
    # 14 vs 16 mm is within 2 mm, but only one of them meets the 15 mm HCM criterion.
    comparison = compare_records(
        ai=record(max_wall_thickness_mm=14.0), reference=record(max_wall_thickness_mm=16.0)
    )
    assert comparison.outcomes == {"max_wall_thickness_mm": Outcome.WRONG}
    assert comparison.crossed_thresholds == {"max_wall_thickness_mm": (15.0,)}
    assert comparison.critical_errors == {CriticalError.THRESHOLD_CROSSING}


def test_a_value_exactly_on_the_threshold_lies_on_its_upper_side():
    # EF 50 is not impaired (>= 50); EF 49 is.
    assert compare_records(ai=record(lv_ef_pct=50.0), reference=record(lv_ef_pct=53.0)).outcomes == {
        "lv_ef_pct": Outcome.CORRECT
    }
    assert compare_records(ai=record(lv_ef_pct=49.0), reference=record(lv_ef_pct=50.0)).outcomes == {
        "lv_ef_pct": Outcome.WRONG
    }


def test_a_field_only_the_reference_states_is_omitted_and_one_only_the_ai_states_is_added():
    comparison = compare_records(ai=record(pericardial_effusion="small"), reference=record(sam="absent"))
    assert comparison.outcomes == {"sam": Outcome.OMITTED, "pericardial_effusion": Outcome.ADDED}


def test_categories_agree_only_when_equal_and_uncertain_matches_only_uncertain():
    comparison = compare_records(
        ai=record(sam="uncertain", apical_aneurysm="uncertain", hypertrophy_pattern="apical"),
        reference=record(sam="present", apical_aneurysm="uncertain", hypertrophy_pattern="asymmetric_septal"),
    )
    assert comparison.outcomes == {
        "sam": Outcome.WRONG,
        "apical_aneurysm": Outcome.CORRECT,
        "hypertrophy_pattern": Outcome.WRONG,
    }


def test_missing_lge_that_the_reference_reports_is_critical_but_missing_absent_lge_is_not():
    missed = compare_records(ai=record(lge="uncertain"), reference=record(lge="present"))
    silent = compare_records(ai=record(), reference=record(lge="absent"))
    invented = compare_records(ai=record(lge="present"), reference=record(lge="absent"))
    assert missed.critical_errors == {CriticalError.LGE_PRESENCE}
    assert silent.outcomes == {"lge": Outcome.OMITTED} and not silent.critical_errors
    assert invented.critical_errors == {CriticalError.LGE_PRESENCE}


def test_hcm_versus_not_hcm_is_critical_but_a_confusion_between_other_diagnoses_is_not():
    assert compare_records(
        ai=record(diagnosis="normal"), reference=record(diagnosis="hcm")
    ).critical_errors == {CriticalError.HCM_DIAGNOSIS}
    assert compare_records(ai=record(), reference=record(diagnosis="hcm")).critical_errors == {
        CriticalError.HCM_DIAGNOSIS
    }
    assert compare_records(
        ai=record(diagnosis="hcm"), reference=record(diagnosis="amyloidosis")
    ).critical_errors == {CriticalError.HCM_DIAGNOSIS}
    dcm_for_ischemic = compare_records(ai=record(diagnosis="dcm"), reference=record(diagnosis="ischemic"))
    assert dcm_for_ischemic.outcomes == {"diagnosis": Outcome.WRONG}
    assert not dcm_for_ischemic.critical_errors


def test_an_obstruction_the_ai_does_not_report_is_a_critical_miss():
    reference = record(diagnosis="hcm", hcm_obstruction="obstructive", lvot_obstruction="present")
    missed = compare_records(
        ai=record(diagnosis="hcm", hcm_obstruction="non_obstructive"), reference=reference
    )
    # Saying LVOT obstruction is present is enough, even without the HCM subtype.
    found = compare_records(ai=record(diagnosis="hcm", lvot_obstruction="present"), reference=reference)
    assert missed.critical_errors == {CriticalError.MISSED_OBSTRUCTION}
    assert not found.critical_errors


@pytest.fixture
def three_pairs():
    # Pair 1: EF correct (60 vs 62), mass wrong (150 vs 120, |30|), SAM omitted, effusion added.
    # Pair 2: EF wrong by threshold (48 vs 52, |4|), diagnosis correct (hcm), LGE correct.
    # Pair 3: EF correct (55 vs 55, |0|), diagnosis wrong (normal vs hcm, critical), LGE omitted (critical).
    return [
        compare_records(
            ai=record(lv_ef_pct=60.0, lv_mass_g=150.0, pericardial_effusion="small"),
            reference=record(lv_ef_pct=62.0, lv_mass_g=120.0, sam="present"),
        ),
        compare_records(
            ai=record(lv_ef_pct=48.0, diagnosis="hcm", lge="present"),
            reference=record(lv_ef_pct=52.0, diagnosis="hcm", lge="present"),
        ),
        compare_records(
            ai=record(lv_ef_pct=55.0, diagnosis="normal"),
            reference=record(lv_ef_pct=55.0, diagnosis="hcm", lge="present"),
        ),
    ]


def test_aggregate_counts_each_outcome_per_field(three_pairs):
    metrics = aggregate_comparisons(three_pairs)
    ef = metrics.per_field["lv_ef_pct"]
    assert (ef.correct, ef.wrong, ef.omitted, ef.added) == (2, 1, 0, 0)
    assert ef.accuracy == pytest.approx(2 / 3)
    # EF: TP 2, FP 1, FN 1 -> precision 2/3, recall 2/3, F1 2*2/(4+1+1) = 2/3
    assert (ef.precision, ef.recall, ef.f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    effusion = metrics.per_field["pericardial_effusion"]
    # Only an addition: precision 0/1 = 0, recall undefined (nothing to find), F1 0/(0+1+0) = 0.
    assert (effusion.precision, effusion.recall, effusion.f1, effusion.accuracy) == (0.0, None, 0.0, None)
    assert metrics.per_field["rv_ef_pct"].precision is None


def test_aggregate_micro_and_macro_figures_match_a_hand_count(three_pairs):
    metrics = aggregate_comparisons(three_pairs)
    # Outcomes: correct = EF, EF, diagnosis, LGE = 4; wrong = mass, EF, diagnosis = 3;
    # omitted = SAM, LGE = 2; added = effusion = 1.
    # Micro: TP 4, FP 3 + 1 = 4, FN 3 + 2 = 5 -> P 4/8, R 4/9, F1 8 / (8 + 4 + 5) = 8/17.
    micro = metrics.micro
    assert (micro.correct, micro.wrong, micro.omitted, micro.added) == (4, 3, 2, 1)
    assert metrics.micro.precision == pytest.approx(0.5)
    assert metrics.micro.recall == pytest.approx(4 / 9)
    assert metrics.micro.f1 == pytest.approx(8 / 17)
    # Per field (P, R, F1):  EF (2/3, 2/3, 2/3); mass (0, 0, 0); SAM (None, 0, 0);
    # effusion (0, None, 0); diagnosis (1/2, 1/2, 1/2); LGE (1, 1/2, 2/3).
    # Macro P = (2/3 + 0 + 0 + 1/2 + 1) / 5 = 13/30; R = (2/3 + 0 + 0 + 1/2 + 1/2) / 5 = 1/3;
    # F1 = (2/3 + 0 + 0 + 0 + 1/2 + 2/3) / 6 = 11/36.
    assert metrics.macro_precision == pytest.approx(13 / 30)
    assert metrics.macro_recall == pytest.approx(1 / 3)
    assert metrics.macro_f1 == pytest.approx(11 / 36)


def test_aggregate_mae_and_critical_error_rate_match_a_hand_count(three_pairs):
    metrics = aggregate_comparisons(three_pairs)
    # EF |errors| 2, 4, 0 -> MAE 2; mass 30 from one pair; no RV EF at all.
    assert metrics.mean_absolute_error["lv_ef_pct"] == pytest.approx(2.0)
    assert metrics.mean_absolute_error["lv_mass_g"] == pytest.approx(30.0)
    assert metrics.mean_absolute_error["rv_ef_pct"] is None
    # Pair 2 crosses EF 50; pair 3 misses HCM and LGE; pair 1 has none -> 2 of 3 pairs.
    assert metrics.critical_error_rate == pytest.approx(2 / 3)
    assert metrics.critical_error_counts == {
        CriticalError.LGE_PRESENCE: 1,
        CriticalError.HCM_DIAGNOSIS: 1,
        CriticalError.MISSED_OBSTRUCTION: 0,
        CriticalError.THRESHOLD_CROSSING: 1,
    }
    low, high = metrics.critical_error_rate_ci
    # Wilson 2/3: (2n p + z^2 -/+ z sqrt(z^2 + 4 n p q)) / (2 (n + z^2)) = 0.2077 to 0.9385
    assert (low, high) == pytest.approx((0.2077, 0.9385), abs=1e-4)


def test_aggregate_refuses_an_empty_set():
    with pytest.raises(ValueError):
        aggregate_comparisons([])
