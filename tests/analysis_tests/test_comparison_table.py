"""The study-wide comparison export: comparison_table, score_distribution_rows, pair_item_rows, and the
reader-fixed mixed model that stands in for the crossed one on large studies."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cmr_reader.analysis.comparison.models import fit_crossed_mixed_model, fit_reader_fixed_mixed_model
from cmr_reader.analysis.comparison.paired import signed_rank_test
from cmr_reader.analysis.comparison.proportions import wilson_proportion
from cmr_reader.analysis.comparison.table import (
    COMPARISON_COLUMNS,
    PAIR_ITEM_COLUMNS,
    SCORE_DISTRIBUTION_COLUMNS,
    CriterionScore,
    comparison_table,
    pair_item_rows,
    score_distribution_rows,
)

ALICE, BOB, CHARLIE = "alice", "bob", "charlie"
# Four cases read by alice and bob. AI minus reference: alice 1, 0, -1, 0; bob 2, 0, 2, -1;
# averaged per case 1.5, 0, 0.5, -0.5.
CLARITY = {
    ALICE: {"ai": [4, 5, 3, 2], "reference": [3, 5, 4, 2]},
    BOB: {"ai": [5, 4, 4, 3], "reference": [3, 4, 2, 4]},
}
CLARITY_POOLED_DIFFERENCES = np.array([1.5, 0.0, 0.5, -0.5])
ANALYSES = ("descriptives", "descriptives", "paired_difference", "wilcoxon", "bootstrap_mean_difference")


def _scores(criterion: str, by_reader: dict) -> list[CriterionScore]:
    return [
        CriterionScore(criterion, f"case{i}", reader, arm, score)
        for reader, arms in by_reader.items()
        for arm, scores in arms.items()
        for i, score in enumerate(scores)
    ]


def _study() -> list[CriterionScore]:
    """clarity as above, and completeness, on which the reference report scores higher."""
    completeness = {
        ALICE: {"ai": [2, 4, 4, 3], "reference": [4, 5, 4, 3]},
        BOB: {"ai": [3, 3, 5, 2], "reference": [4, 4, 5, 4]},
    }
    return _scores("clarity", CLARITY) + _scores("completeness", completeness)


@pytest.fixture(scope="module")
def study_table() -> list[dict]:
    # Module scope: each table fits two crossed mixed models, a fraction of a second apiece.
    return comparison_table(rows=_study(), bootstrap=200)


@pytest.fixture(scope="module")
def margin_table() -> list[dict]:
    return comparison_table(rows=_study(), margin=-0.5, bootstrap=200)


def _one(table: list[dict], **labels) -> dict:
    (found,) = [row for row in table if all(row[key] == value for key, value in labels.items())]
    return found


def _simulate(*, n_cases: int, readers: tuple, effect: float, seed: int, rounded: bool) -> list[tuple]:
    """score = 3 + u_case + v_reader + effect * ai + e, sd(u) = 0.5, sd(v) = 0.3, sd(e) = 0.5;
    rounded to the 1..5 scale when asked."""
    rng = np.random.default_rng(seed)
    case_effect, reader_effect = rng.normal(0, 0.5, n_cases), rng.normal(0, 0.3, len(readers))
    rows = []
    for case in range(n_cases):
        for r, reader in enumerate(readers):
            for arm, is_ai in (("ai", 1), ("reference", 0)):
                score = 3 + case_effect[case] + reader_effect[r] + effect * is_ai + rng.normal(0, 0.5)
                rows.append((case, reader, arm, float(np.clip(np.rint(score), 1, 5)) if rounded else score))
    return rows


def test_every_row_has_the_same_columns_and_the_rows_follow_the_fixed_order(margin_table):
    with_margin = (*ANALYSES, "non_inferiority")
    expected = [
        *[("pooled", "", analysis) for analysis in (*with_margin, "mixed_model", "ordinal_gee")],
        *[("reader", ALICE, analysis) for analysis in with_margin],
        *[("reader", BOB, analysis) for analysis in with_margin],
    ]
    per_criterion = len(expected)

    assert all(tuple(row) == COMPARISON_COLUMNS for row in margin_table)
    assert [(row["scope"], row["reader_id"], row["analysis"]) for row in margin_table] == expected * 2
    criteria = [row["criterion"] for row in margin_table]
    assert criteria == ["clarity"] * per_criterion + ["completeness"] * per_criterion
    assert [row["arm"] for row in margin_table[:3]] == ["ai", "reference", ""]


def test_pooled_descriptives_match_a_hand_computation(study_table):
    # AI clarity over both readers, sorted: 2 3 3 4 4 4 5 5. Mean 30/8; squared deviations sum to
    # 3.0625 + 2 * 0.5625 + 3 * 0.0625 + 2 * 1.5625 = 7.5, sd = sqrt(7.5 / 7). Type-7 positions
    # 1 + 7p: q1 at 2.75 -> 3, median at 4.5 -> 4, q3 at 6.25 -> 4 + 0.25 * (5 - 4) = 4.25.
    row = _one(study_table, criterion="clarity", scope="pooled", analysis="descriptives", arm="ai")

    assert (row["n"], row["n_cases"]) == (8, 4)
    assert row["mean"] == 3.75
    assert row["sd"] == pytest.approx((7.5 / 7) ** 0.5, abs=1e-12)
    assert (row["q1"], row["median"], row["q3"]) == (3.0, 4.0, 4.25)
    assert row["estimate"] is None and row["p_value"] is None


def test_win_tie_loss_counts_cases_per_reader_and_after_averaging_readers(study_table):
    def counts(**labels):
        row = _one(study_table, criterion="clarity", analysis="paired_difference", **labels)
        return row["wins"], row["ties"], row["losses"]

    assert counts(reader_id=ALICE) == (1, 2, 1)
    assert counts(reader_id=BOB) == (2, 1, 1)
    assert counts(scope="pooled") == (2, 1, 1)
    pooled = _one(study_table, criterion="clarity", scope="pooled", analysis="paired_difference")
    assert pooled["estimate"] == pytest.approx(0.375)
    assert pooled["median"] == pytest.approx(0.25)
    assert (pooled["n"], pooled["n_cases"], pooled["win_share"]) == (8, 4, 0.5)


def test_pooled_wilcoxon_tests_the_reader_averaged_case_differences(study_table):
    expected = signed_rank_test(differences=CLARITY_POOLED_DIFFERENCES)

    row = _one(study_table, criterion="clarity", scope="pooled", analysis="wilcoxon")

    assert (row["statistic"], row["p_value"]) == (expected.statistic, expected.p_value)
    assert row["statistic"] == 4.5  # zero dropped; |d| ranks 3, 1.5, 1.5 for 1.5, 0.5, -0.5: V = 3 + 1.5


def test_holm_adjusts_each_family_across_criteria_like_multipletests():
    rows = _study() + [
        CriterionScore("accuracy", case, reader, arm, score)
        for case, reader, arm, score in _simulate(
            n_cases=30, readers=(ALICE, BOB), effect=-0.4, seed=5, rounded=True
        )
    ]
    table = comparison_table(rows=rows, bootstrap=200)

    families = {
        (row["analysis"], row["scope"], row["reader_id"]) for row in table if row["p_holm"] is not None
    }
    assert {family[0] for family in families} == {"wilcoxon", "mixed_model", "ordinal_gee"}
    for analysis, scope, reader_id in families:
        members = [
            row
            for row in table
            if (row["analysis"], row["scope"], row["reader_id"]) == (analysis, scope, reader_id)
        ]
        # The ordinal GEE abstains on the two small criteria (fewer than 10 cases): no p there.
        members = [row for row in members if row["p_value"] is not None]
        assert len(members) == (1 if analysis == "ordinal_gee" else 3)
        expected = multipletests([row["p_value"] for row in members], method="holm")[1]
        assert [row["p_holm"] for row in members] == pytest.approx(list(expected), abs=1e-12)
    assert all(row["p_holm"] is None for row in table if row["analysis"] == "descriptives")


def test_non_inferiority_rows_appear_only_with_a_margin_and_use_the_bootstrap_interval(
    study_table, margin_table
):
    assert not [row for row in study_table if row["analysis"] == "non_inferiority"]
    decisions = [row for row in margin_table if row["analysis"] == "non_inferiority"]
    assert len(decisions) == 6  # 2 criteria x (pooled, alice, bob)
    for row in decisions:
        interval = _one(
            margin_table,
            criterion=row["criterion"],
            reader_id=row["reader_id"],
            analysis="bootstrap_mean_difference",
        )
        assert (row["ci_low"], row["ci_high"], row["margin"]) == (
            interval["ci_low"],
            interval["ci_high"],
            -0.5,
        )
        # Four cases: below the stated minimum, every decision abstains and says why (issue 22).
        assert row["conclusion"] == f"undecided: {row['n_cases']} paired cases, fewer than 10"


def test_bootstrap_rows_name_replicates_and_seed_and_repeat_exactly(study_table):
    again = comparison_table(rows=_scores("clarity", CLARITY), bootstrap=200)

    row = _one(study_table, criterion="clarity", scope="pooled", analysis="bootstrap_mean_difference")
    assert "B=200, seed=0" in row["method"]
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    # Every bootstrap restarts from the seed, so leaving out the other criterion changes nothing.
    assert [item for item in again if item["analysis"] == "bootstrap_mean_difference"] == [
        item
        for item in study_table
        if item["criterion"] == "clarity" and item["analysis"] == "bootstrap_mean_difference"
    ]


def test_missing_scores_are_excluded_everywhere(study_table):
    unscored_case = [
        CriterionScore("clarity", "case9", reader, arm, None)
        for reader in (ALICE, BOB)
        for arm in ("ai", "reference")
    ]
    one_armed = [
        CriterionScore("clarity", "case8", ALICE, "ai", 5),
        CriterionScore("clarity", "case8", ALICE, "reference", float("nan")),
    ]

    assert comparison_table(rows=_study() + unscored_case, bootstrap=200) == study_table
    table = comparison_table(rows=_study() + one_armed, bootstrap=200)
    descriptives = _one(table, criterion="clarity", scope="pooled", analysis="descriptives", arm="ai")
    assert (descriptives["n"], descriptives["n_cases"]) == (9, 5)
    paired = _one(table, criterion="clarity", scope="pooled", analysis="paired_difference")
    assert paired == _one(study_table, criterion="clarity", scope="pooled", analysis="paired_difference")


def test_mixed_model_switches_to_the_reader_fixed_model_above_the_case_limit():
    crossed = comparison_table(rows=_scores("clarity", CLARITY), bootstrap=200, mixed_model_max_cases=4)
    fallback = comparison_table(rows=_scores("clarity", CLARITY), bootstrap=200, mixed_model_max_cases=3)

    crossed_row = _one(crossed, criterion="clarity", analysis="mixed_model")
    fallback_row = _one(fallback, criterion="clarity", analysis="mixed_model")
    assert "(1|reader)" in crossed_row["method"] and "C(reader)" not in crossed_row["method"]
    assert fallback_row["method"].startswith("LMM score ~ ai + C(reader) + (1|case)")
    assert "4 cases > mixed_model_max_cases=3" in fallback_row["method"]
    # Every reader scored both arms of every case, so both models estimate the same contrast.
    assert fallback_row["estimate"] == pytest.approx(crossed_row["estimate"], abs=1e-3)


def test_reader_fixed_mixed_model_recovers_a_known_arm_effect():
    rows = _simulate(n_cases=300, readers=(ALICE, BOB, CHARLIE), effect=-0.4, seed=11, rounded=False)

    result = fit_reader_fixed_mixed_model(rows=rows)

    assert result.effect == pytest.approx(-0.4, abs=0.1)
    assert result.ci_low < -0.4 < result.ci_high
    assert (result.n_scores, result.n_cases, result.n_readers, result.converged) == (1800, 300, 3, True)
    assert "C(reader)" in result.method


def test_reader_fixed_and_crossed_models_agree_on_a_complete_design():
    rows = _simulate(n_cases=60, readers=(ALICE, BOB, CHARLIE), effect=-0.4, seed=12, rounded=False)

    fixed, crossed = fit_reader_fixed_mixed_model(rows=rows), fit_crossed_mixed_model(rows=rows)

    assert fixed.effect == pytest.approx(crossed.effect, abs=1e-4)
    assert fixed.se == pytest.approx(crossed.se, rel=0.05)


def test_reader_fixed_mixed_model_abstains_on_a_single_case():
    result = fit_reader_fixed_mixed_model(
        rows=[("case0", ALICE, "ai", 3.0), ("case0", ALICE, "reference", 4.0)]
    )

    assert result.effect is None and result.converged is False
    assert "not estimable" in result.method


def test_simulated_study_shows_the_ai_deficit_in_every_pooled_estimate():
    rows = [
        CriterionScore("clarity", case, reader, arm, score)
        for case, reader, arm, score in _simulate(
            n_cases=300, readers=(ALICE, BOB, CHARLIE), effect=-0.4, seed=13, rounded=True
        )
    ]

    table = comparison_table(rows=rows, margin=-0.5, bootstrap=500, mixed_model_max_cases=100)

    pooled = {row["analysis"]: row for row in table if row["scope"] == "pooled" and row["arm"] == ""}
    assert pooled["bootstrap_mean_difference"]["estimate"] == pytest.approx(-0.4, abs=0.1)
    assert pooled["mixed_model"]["estimate"] == pytest.approx(-0.4, abs=0.1)
    assert "300 cases > mixed_model_max_cases=100" in pooled["mixed_model"]["method"]
    assert pooled["mixed_model"]["converged"] is True
    assert pooled["wilcoxon"]["p_value"] < 1e-6 and pooled["ordinal_gee"]["estimate"] < 0
    assert pooled["paired_difference"]["losses"] > pooled["paired_difference"]["wins"]


def test_score_distribution_keeps_every_scale_point_per_arm_and_reader():
    rows = _study() + [CriterionScore("clarity", "case5", CHARLIE, "ai", None)]

    table = score_distribution_rows(rows=rows)

    assert all(tuple(row) == SCORE_DISTRIBUTION_COLUMNS for row in table)
    assert len(table) == 5 * 2 * 4 + 5 * 2 * 3  # clarity has charlie too; completeness does not
    pooled_ai = [
        row
        for row in table
        if row["criterion"] == "clarity" and row["arm"] == "ai" and row["reader_id"] == ""
    ]
    assert [row["count"] for row in pooled_ai] == [0, 1, 2, 3, 2]
    assert [row["proportion"] for row in pooled_ai] == [0, 1 / 8, 2 / 8, 3 / 8, 2 / 8]
    charlie = [row for row in table if row["reader_id"] == CHARLIE and row["arm"] == "ai"]
    assert [row["count"] for row in charlie] == [0] * 5
    assert all(row["proportion"] is None for row in charlie)


def test_pair_items_count_preferences_guesses_and_errors():
    preferences = [
        (ALICE, "ai"),
        (ALICE, "ai"),
        (ALICE, "equal"),
        (ALICE, None),
        (BOB, "reference"),
        (BOB, "ai"),
    ]
    guesses = [(ALICE, "correct")] * 9 + [(BOB, "correct")] * 5 + [(BOB, "wrong")] * 6 + [(BOB, "unsure")] * 3
    error_reports = [
        ("report1", "ai", ["laterality"]),
        ("report2", "ai", []),
        ("report3", "reference", ["omission", "laterality"]),
        ("report4", "reference", ["omission"]),
    ]

    table = pair_item_rows(
        preferences=preferences,
        guesses=guesses + [(ALICE, None)],
        error_reports=error_reports,
        categories=("laterality", "omission", "measurement"),
    )

    assert all(tuple(row) == PAIR_ITEM_COLUMNS for row in table)
    preferred = _one(table, item="preference", scope="pooled", category="ai")
    assert (preferred["count"], preferred["n"]) == (3, 5)
    assert preferred["ci_low"] == wilson_proportion(count=3, n=5).ci_low
    assert _one(table, item="preference", reader_id=BOB, category="reference")["count"] == 1
    # 14 correct of 20 decided guesses: scipy.stats.binomtest(14, 20) two-sided p = 0.1153.
    accuracy = _one(table, item="ai_guess", scope="pooled", category="correct")
    assert (accuracy["count"], accuracy["n"], accuracy["estimate"]) == (14, 20, 0.7)
    assert accuracy["p_value"] == pytest.approx(0.1153, abs=5e-5)
    assert accuracy["p_value"] == pytest.approx(stats.binomtest(14, 20).pvalue, abs=1e-12)
    unsure = _one(table, item="ai_guess", scope="pooled", category="unsure")
    assert (unsure["count"], unsure["n"]) == (3, 23)
    assert _one(table, item="ai_guess", reader_id=ALICE, category="correct")["n"] == 9
    any_ai = _one(table, item="ai_errors", category="any_error")
    assert (any_ai["count"], any_ai["n"], any_ai["estimate"]) == (1, 2, 0.5)
    by_category = {row["category"]: row["count"] for row in table if row["item"] == "reference_errors"}
    assert by_category == {"any_error": 2, "laterality": 1, "omission": 2, "measurement": 0}


def test_pair_items_reject_an_error_category_that_was_not_declared():
    with pytest.raises(ValueError, match="typo"):
        pair_item_rows(
            preferences=[], guesses=[], error_reports=[("report1", "ai", ["typo"])], categories=("omission",)
        )


def test_without_bootstrap_replicates_the_interval_rows_stay_but_claim_nothing(margin_table):
    table = comparison_table(rows=_study(), margin=-0.5, bootstrap=0)

    def rows_of(source, analysis):
        return [row for row in source if row["analysis"] == analysis]

    assert [r["criterion"] for r in table] == [r["criterion"] for r in margin_table]
    for without, with_replicates in zip(
        rows_of(table, "bootstrap_mean_difference"),
        rows_of(margin_table, "bootstrap_mean_difference"),
        strict=True,
    ):
        assert without["estimate"] == pytest.approx(with_replicates["estimate"])
        assert without["ci_low"] is None and "B = 0" in without["method"]
    assert all(r["conclusion"].startswith("not assessed") for r in rows_of(table, "non_inferiority"))
    with pytest.raises(ValueError, match="bootstrap"):
        comparison_table(rows=_study(), bootstrap=-1)
