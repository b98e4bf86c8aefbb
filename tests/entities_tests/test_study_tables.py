"""A study's report pairs become flat, JSON-ready tables; every expected figure is counted by hand."""

import json
import math

import pytest

from cmr_reader.analysis.diagnostic_agreement import DIAGNOSES
from cmr_reader.analysis.entity_tables import (
    ENTITY_ACCURACY_COLUMNS,
    TABLE_COLUMNS,
    ReportPair,
    report_metric_tables,
)
from cmr_reader.domain.entities.record import FIELDS
from cmr_reader.domain.entities.scoring import load_labelled_reports
from cmr_reader.domain.entities.text_similarity import corpus_text_similarity

# Pair a: EF 52 -> 48 crosses 50 (wrong, critical), mass 120 -> 150 (|30| > 20, wrong),
#         SAM omitted, effusion added.
# Pair b: EF 60 -> 62 correct, LGE absent correct, diagnosis normal -> HCM (wrong, critical).
# Pair c: EF 60 -> 62 correct, LGE added, HCM and its subtype omitted (HCM omitted is critical).
THREE_PAIRS = [
    ReportPair(
        "a",
        "LVEF 52%. LV mass 120 g. SAM present.",
        "LVEF 48%. LV mass 150 g. Small pericardial effusion.",
        "en",
    ),
    ReportPair(
        "b",
        "LVEF 60%. No LGE. Impression: normal study.",
        "LVEF 62%. No LGE. Impression: hypertrophic cardiomyopathy.",
        "",
    ),
    ReportPair(
        "c", "左室射血分数(LVEF)约60%，考虑肥厚型心肌病（非梗阻性）", "左室射血分数62%。未见延迟强化。", "zh"
    ),
]


@pytest.fixture(scope="module")
def three_pair_tables() -> dict[str, list[dict]]:
    return report_metric_tables(THREE_PAIRS)


def pair_row(tables: dict, case_id: str, field: str) -> dict:
    (row,) = [r for r in tables["entity_pairs"] if r["case_id"] == case_id and r["field"] == field]
    return row


def accuracy_row(tables: dict, field: str) -> dict:
    (row,) = [r for r in tables["entity_accuracy"] if r["field"] == field]
    return row


def test_no_pairs_give_every_table_empty():
    assert report_metric_tables([]) == {name: [] for name in TABLE_COLUMNS}


def test_every_row_has_its_tables_columns_and_the_whole_is_strict_json(three_pair_tables):
    assert set(three_pair_tables) == set(TABLE_COLUMNS)
    for name, rows in three_pair_tables.items():
        assert rows, name
        assert all(tuple(row) == TABLE_COLUMNS[name] for row in rows), name
    json.dumps(three_pair_tables, allow_nan=False)


def test_ejection_fractions_seven_points_apart_are_wrong_but_not_critical():
    tables = report_metric_tables([ReportPair("x", "LVEF 62%.", "LVEF 55%.", "en")])

    assert pair_row(tables, "x", "lv_ef_pct") == {
        "case_id": "x",
        "field": "lv_ef_pct",
        "reference_value": 62.0,
        "ai_value": 55.0,
        "outcome": "wrong",
        "difference": -7.0,
        "crossed_threshold": False,
    }
    assert {row["kind"]: row["count"] for row in tables["critical_errors"]}["any"] == 0


def test_ejection_fraction_across_fifty_is_wrong_crossed_and_critical(three_pair_tables):
    row = pair_row(three_pair_tables, "a", "lv_ef_pct")
    counts = {row["kind"]: row["count"] for row in three_pair_tables["critical_errors"]}

    # 4 points is within the 5-point tolerance; only the 50 % threshold makes it wrong.
    assert (row["outcome"], row["difference"], row["crossed_threshold"]) == ("wrong", -4.0, True)
    assert counts == {
        "lge_presence": 0,
        "hcm_diagnosis": 2,
        "missed_obstruction": 0,
        "threshold_crossing": 1,
        "any": 3,
    }


def test_critical_error_rates_carry_wilson_intervals(three_pair_tables):
    rows = {row["kind"]: row for row in three_pair_tables["critical_errors"]}
    # Wilson for 1 of 3: (2 + z^2 -/+ z sqrt(z^2 + 8/3)) / (2 (3 + z^2)) = 0.0615 to 0.7923.
    crossing = rows["threshold_crossing"]

    assert (crossing["n_pairs"], crossing["rate"]) == (3, pytest.approx(1 / 3))
    assert (crossing["ci_low"], crossing["ci_high"]) == pytest.approx((0.0615, 0.7923), abs=1e-4)
    assert rows["any"]["rate"] == 1.0 and rows["any"]["ci_high"] == pytest.approx(1.0)


def test_fields_only_one_side_states_are_omitted_or_added_and_silent_ones_absent(three_pair_tables):
    omitted, added = (
        pair_row(three_pair_tables, "a", "sam"),
        pair_row(three_pair_tables, "a", "pericardial_effusion"),
    )

    assert (omitted["reference_value"], omitted["ai_value"], omitted["outcome"]) == (
        "present",
        None,
        "omitted",
    )
    assert (added["reference_value"], added["ai_value"], added["outcome"]) == (None, "small", "added")
    assert omitted["difference"] is omitted["crossed_threshold"] is None
    assert pair_row(three_pair_tables, "a", "lge")["outcome"] == "absent"
    assert len(three_pair_tables["entity_pairs"]) == 3 * len(FIELDS)


def test_per_field_counts_and_scores_match_a_hand_count(three_pair_tables):
    ef, lge = accuracy_row(three_pair_tables, "lv_ef_pct"), accuracy_row(three_pair_tables, "lge")

    assert (ef["n_reference"], ef["correct"], ef["wrong"], ef["omitted"], ef["additions"]) == (3, 2, 1, 0, 0)
    assert (ef["accuracy"], ef["precision"], ef["recall"], ef["f1"]) == pytest.approx((2 / 3,) * 4)
    assert ef["mae"] == pytest.approx((4 + 2 + 2) / 3)
    assert (
        ef["tolerance"]
        == "|AI - reference| <= 5 percentage points and on the same side of 50 % (tolerances 2025.1)"
    )
    # LGE: one correct (b), one added (c): P = 1/2, R = 1, F1 = 2/(2 + 1).
    assert (lge["precision"], lge["recall"], lge["f1"]) == pytest.approx((0.5, 1.0, 2 / 3))
    assert lge["mae"] is None and lge["tolerance"].startswith("exact category match")


def test_micro_and_macro_rows_match_a_hand_count(three_pair_tables):
    micro, macro = accuracy_row(three_pair_tables, "micro"), accuracy_row(three_pair_tables, "macro")

    # Correct: EF b, EF c, LGE b. Wrong: EF a, mass a, diagnosis b. Omitted: SAM a, diagnosis c,
    # subtype c. Added: effusion a, LGE c.
    assert (micro["n_reference"], micro["correct"], micro["wrong"], micro["omitted"], micro["additions"]) == (
        9,
        3,
        3,
        3,
        2,
    )
    assert micro["accuracy"] == pytest.approx(3 / 9)
    assert micro["precision"] == pytest.approx(3 / 8)  # 3 / (3 + 3 + 2)
    assert micro["recall"] == pytest.approx(3 / 9)  # 3 / (3 + 3 + 3)
    assert micro["f1"] == pytest.approx(6 / 17)  # 6 / (6 + 6 + 2 + 3)
    # Precision defined for EF 2/3, mass 0, effusion 0, LGE 1/2, diagnosis 0.
    assert macro["precision"] == pytest.approx((2 / 3 + 1 / 2) / 5)
    # Recall defined for EF 2/3, mass 0, SAM 0, LGE 1, diagnosis 0, subtype 0.
    assert macro["recall"] == pytest.approx((2 / 3 + 1) / 6)
    # F1 defined for those seven fields: EF 2/3, LGE 2/3, the rest 0.
    assert macro["f1"] == pytest.approx((4 / 3) / 7)
    assert {column: macro[column] for column in ENTITY_ACCURACY_COLUMNS[1:7]} == dict.fromkeys(
        ENTITY_ACCURACY_COLUMNS[1:7]
    )


def test_bland_altman_matches_a_hand_computation():
    # LVEDV differences 20, 5, -10: bias 5, SD sqrt((225 + 0 + 225) / 2) = 15.
    pairs = [
        ReportPair("1", "LVEDV 150 ml.", "LVEDV 170 ml.", "en"),
        ReportPair("2", "LVEDV 140 ml.", "LVEDV 145 ml.", "en"),
        ReportPair("3", "LVEDV 160 ml.", "LVEDV 150 ml.", "en"),
        ReportPair("4", "LV mass 120 g.", "LV mass 125 g.", "en"),
    ]

    (row,) = report_metric_tables(pairs)["bland_altman"]

    assert (row["field"], row["n"], row["unit"]) == ("lv_edv_ml", 3, "mL")
    assert (row["bias"], row["sd"]) == pytest.approx((5.0, 15.0))
    assert (row["loa_low"], row["loa_high"]) == pytest.approx((5 - 1.96 * 15, 5 + 1.96 * 15))
    assert row["bias_ci_low"] < row["bias"] < row["bias_ci_high"]
    assert row["points"] == [[160.0, 20.0], [142.5, 5.0], [155.0, -10.0]]


def test_a_number_stated_in_only_one_pair_has_no_bland_altman_row(three_pair_tables):
    assert [row["field"] for row in three_pair_tables["bland_altman"]] == ["lv_ef_pct"]


@pytest.fixture(scope="module")
def diagnosis_tables() -> dict[str, list[dict]]:
    hcm, normal, dcm = (
        "Impression: hypertrophic cardiomyopathy.",
        "Impression: Normal cardiac MRI.",
        "Impression: dilated cardiomyopathy.",
    )
    return report_metric_tables(
        [
            ReportPair("1", hcm, hcm, "en"),
            ReportPair("2", hcm, normal, "en"),
            ReportPair("3", dcm, dcm, "en"),
            ReportPair("4", dcm, "LVEF 30%.", "en"),  # the AI states no diagnosis
        ]
    )


def test_diagnosis_confusion_keeps_zero_cells_and_leaves_out_unstated_pairs(diagnosis_tables):
    rows = diagnosis_tables["diagnosis_confusion"]
    counts = {(row["reference_category"], row["ai_category"]): row["count"] for row in rows}

    assert len(rows) == len(DIAGNOSES) ** 2 == 49
    assert {cell: count for cell, count in counts.items() if count} == {
        ("hcm", "hcm"): 1,
        ("hcm", "normal"): 1,
        ("dcm", "dcm"): 1,
    }


def test_diagnostic_agreement_matches_a_hand_count(diagnosis_tables):
    rows = {(r["analysis"], r["measure"], r["category"]): r for r in diagnosis_tables["diagnostic_agreement"]}
    agreement = rows["diagnosis", "percent_agreement", None]
    kappa = rows["diagnosis", "cohen_kappa", None]

    assert (agreement["estimate"], agreement["n"]) == (pytest.approx(2 / 3), 3)
    # Rows hcm 2, dcm 1; columns hcm 1, normal 1, dcm 1: p_e = 3/9, kappa = (2/3 - 1/3) / (2/3).
    assert (kappa["estimate"], kappa["n"]) == (pytest.approx(0.5), 3)
    assert rows["diagnosis", "sensitivity", "hcm"]["estimate"] == pytest.approx(0.5)
    assert rows["diagnosis", "ppv", "hcm"]["estimate"] == 1.0
    assert rows["diagnosis", "f1", "hcm"]["estimate"] == pytest.approx(2 / 3)
    assert rows["diagnosis", "sensitivity", "myocarditis"]["estimate"] is None
    # HCM 2x2 over the four pairs stating a reference diagnosis: TP 1, FN 1, FP 0, TN 2.
    hcm = {
        measure: rows["hcm_vs_not_hcm", measure, "hcm"]
        for measure in ("sensitivity", "npv", "percent_agreement")
    }
    assert [(row["estimate"], row["n"]) for row in hcm.values()] == [
        (0.5, 2),
        (pytest.approx(2 / 3), 3),
        (0.75, 4),
    ]
    assert all(row["ci_low"] <= row["estimate"] <= row["ci_high"] for row in hcm.values())
    # No reference says anything about obstruction, so that analysis has no rows.
    assert not any(analysis == "obstructive_vs_non_obstructive" for analysis, _, _ in rows)


def test_undefined_kappa_becomes_none_not_nan():
    hcm = "Impression: hypertrophic cardiomyopathy."
    tables = report_metric_tables([ReportPair("1", hcm, hcm, "en"), ReportPair("2", hcm, hcm, "en")])
    (kappa,) = [row for row in tables["diagnostic_agreement"] if row["measure"] == "cohen_kappa"]

    # Both sides say HCM every time: chance agreement is 1 and kappa is undefined.
    assert kappa["estimate"] is None and kappa["ci_low"] is None
    assert kappa["method"].startswith("unweighted Cohen")


def test_text_similarity_has_rows_for_each_language_present_and_no_pooled_row(three_pair_tables):
    rows = {(row["language"], row["metric"]): row for row in three_pair_tables["text_similarity"]}
    english = corpus_text_similarity(
        candidates=[pair.ai_text for pair in THREE_PAIRS[:2]],
        references=[pair.reference_text for pair in THREE_PAIRS[:2]],
        lang="en",
    )

    assert set(rows) == {(lang, m) for lang in ("en", "zh") for m in ("bleu4", "rouge_l_f1", "chrf")}
    assert [rows[lang, "chrf"]["n_pairs"] for lang in ("en", "zh")] == [2, 1]
    assert rows["en", "bleu4"]["score"] == english.bleu4
    assert rows["en", "rouge_l_f1"]["score"] == english.rouge_l_f1
    assert "tokenize=zh" in rows["zh", "bleu4"]["method"]


def test_a_language_without_pairs_and_a_blank_reference_are_skipped():
    tables = report_metric_tables(
        [ReportPair("1", "LVEF 62%.", "LVEF 60%.", "en"), ReportPair("2", "  ", "LVEF 60%.", "en")]
    )

    assert {(row["language"], row["n_pairs"]) for row in tables["text_similarity"]} == {("en", 1)}


def test_a_labelled_report_read_against_itself_agrees_on_every_stated_field():
    labelled = {report["id"]: report for report in load_labelled_reports()}
    pairs = [ReportPair(key, labelled[key]["text"], labelled[key]["text"], "") for key in ("en-01", "zh-01")]

    tables = report_metric_tables(pairs)

    for pair in pairs:
        expected = labelled[pair.case_id]["expected"]
        rows = [row for row in tables["entity_pairs"] if row["case_id"] == pair.case_id]
        stated = {row["field"] for row in rows if row["outcome"] == "correct"}
        assert stated == {field for field, value in expected.items() if value is not None}
        assert all(row["outcome"] == "absent" for row in rows if row["field"] not in stated)
    assert pair_row(tables, "zh-01", "lv_ef_pct")["reference_value"] == 55.0
    assert {row["kind"]: row["count"] for row in tables["critical_errors"]}["any"] == 0
    assert all(math.isclose(row["score"], 1.0) for row in tables["text_similarity"])


def test_an_aha_segment_is_exported_as_text():
    report = "Maximal wall thickness 23 mm (anterior wall, segment 7)."

    row = pair_row(
        report_metric_tables([ReportPair("1", report, report, "en")]), "1", "max_wall_thickness_location"
    )

    assert (row["reference_value"], row["ai_value"], row["outcome"]) == ("7", "7", "correct")
