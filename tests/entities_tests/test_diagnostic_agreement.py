import numpy as np
import pytest

from cmr_reader.analysis.diagnostic_agreement import (
    DIAGNOSES,
    binary_agreement,
    confusion_matrix,
    diagnosis_agreement,
    hcm_agreement,
    obstruction_agreement,
    wilson_proportion,
)


def cells(result) -> tuple[int, int, int, int]:
    """The 2x2 table read row by row: TP, FN, FP, TN."""
    return result.true_positives, result.false_negatives, result.false_positives, result.true_negatives


# Ten stated pairs and one whose AI report gives no diagnosis.
REFERENCE = ["hcm"] * 4 + ["normal"] * 3 + ["dcm"] * 2 + ["amyloidosis", "hcm"]
AI = ["hcm", "hcm", "hcm", "normal", "normal", "normal", "hcm", "dcm", "ischemic", "hcm", None]


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
        # methods. Stat Med 1998;17:857-872, Table I, method 3 (Wilson score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998(successes, n, low, high):
    result = wilson_proportion(successes=successes, n=n)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=5e-5)


def test_wilson_proportion_of_nothing_is_undefined():
    assert wilson_proportion(successes=0, n=0).estimate is None


def test_confusion_matrix_keeps_every_declared_diagnosis_including_unused_ones():
    table = confusion_matrix(reference=REFERENCE, ai=AI)
    assert DIAGNOSES == ("hcm", "normal", "dcm", "ischemic", "amyloidosis", "myocarditis", "other")
    expected = np.zeros((7, 7), dtype=int)
    expected[0, 0], expected[0, 1] = 3, 1  # hcm read as hcm 3 times, as normal once
    expected[1, 1], expected[1, 0] = 2, 1
    expected[2, 2], expected[2, 3] = 1, 1
    expected[4, 0] = 1  # amyloidosis read as hcm
    np.testing.assert_array_equal(table, expected)
    # No reference ischemic, myocarditis or other case: their rows are kept, all zero.
    assert table.shape == (7, 7) and not table[[3, 5, 6]].any()


def test_confusion_matrix_rejects_an_undeclared_diagnosis():
    with pytest.raises(ValueError, match="takotsubo"):
        confusion_matrix(reference=["hcm"], ai=["takotsubo"])


def test_diagnosis_agreement_matches_a_hand_count():
    result = diagnosis_agreement(reference=REFERENCE, ai=AI)
    assert result.n_unstated == 1
    # Agreement 6 / 10. Wilson: (12 + z^2 -/+ z sqrt(z^2 + 9.6)) / (2 (10 + z^2)) = 0.3127 to 0.8318.
    assert result.percent_agreement.estimate == pytest.approx(0.6)
    assert (result.percent_agreement.ci_low, result.percent_agreement.ci_high) == pytest.approx(
        (0.3127, 0.8318), abs=1e-4
    )
    # Row sums hcm 4, normal 3, dcm 2, amyloidosis 1; column sums hcm 5, normal 3, dcm 1, ischemic 1.
    # p_e = (4*5 + 3*3 + 2*1) / 100 = 0.31; kappa = (0.6 - 0.31) / 0.69 = 0.4203.
    assert result.kappa.estimate == pytest.approx(0.29 / 0.69)
    assert result.kappa.n_subjects == 10
    assert result.kappa.ci_low < result.kappa.estimate < result.kappa.ci_high


def test_diagnosis_agreement_scores_each_class_with_undefined_shares_left_none():
    per_class = diagnosis_agreement(reference=REFERENCE, ai=AI).per_class
    hcm = per_class["hcm"]
    # hcm: 3 of 4 reference cases found; 3 of 5 AI "hcm" right; F1 = 6 / (4 + 5).
    assert (hcm.sensitivity.estimate, hcm.ppv.estimate, hcm.f1) == pytest.approx((0.75, 0.6, 2 / 3))
    amyloidosis = per_class["amyloidosis"]
    assert (amyloidosis.sensitivity.estimate, amyloidosis.ppv.estimate, amyloidosis.f1) == (0.0, None, 0.0)
    myocarditis = per_class["myocarditis"]
    assert (myocarditis.sensitivity.estimate, myocarditis.ppv.estimate, myocarditis.f1) == (None, None, None)


def test_binary_agreement_fills_the_two_by_two_table():
    result = binary_agreement(reference=[True, True, True, False, False], ai=[True, True, False, True, False])
    assert cells(result) == (2, 1, 1, 1)
    assert result.sensitivity.estimate == pytest.approx(2 / 3)
    assert result.specificity.estimate == pytest.approx(1 / 2)
    assert result.ppv.estimate == pytest.approx(2 / 3)
    assert result.npv.estimate == pytest.approx(1 / 2)
    assert result.percent_agreement.estimate == pytest.approx(3 / 5)


def test_hcm_agreement_counts_an_unstated_ai_diagnosis_as_not_hcm():
    reference = [{"diagnosis": d} for d in REFERENCE] + [{"diagnosis": None}]
    ai = [{"diagnosis": d} for d in AI] + [{"diagnosis": "hcm"}]
    result = hcm_agreement(reference_records=reference, ai_records=ai)
    # The last pair has no reference diagnosis and is left out; the unstated AI one is a missed HCM.
    # HCM: 3 found, 2 missed (one read normal, one unstated); not HCM: 2 called HCM, 4 right.
    assert cells(result) == (3, 2, 2, 4)


def test_obstruction_agreement_uses_pairs_whose_reference_says_either_way():
    reference = [
        {"hcm_obstruction": "obstructive"},
        {"lvot_obstruction": "present"},
        {"hcm_obstruction": "non_obstructive"},
        {"lvot_obstruction": "absent"},
        {},
    ]
    ai = [
        {"hcm_obstruction": "obstructive"},
        {},
        {"lvot_obstruction": "present"},
        {"hcm_obstruction": "non_obstructive"},
        {"hcm_obstruction": "obstructive"},
    ]
    result = obstruction_agreement(reference_records=reference, ai_records=ai)
    assert cells(result) == (1, 1, 1, 1)
