"""MRMC analysis checked against OR-DBM MRMC 2.51's printed output on two public datasets.

Each published figure is compared at the precision it was printed with (see mrmc_data/README.md).
"""

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from cmr_reader.analysis.mrmc.design import MrmcInputError, Reading, crossed_design
from cmr_reader.analysis.mrmc.figures_of_merit import empirical_auc, mean_score
from cmr_reader.analysis.mrmc.mrmc_csv import read_mrmc_csv
from cmr_reader.analysis.mrmc.obuchowski_rockette import obuchowski_rockette

DATA = Path(__file__).parent / "mrmc_data"

# Figures as printed by OR-DBM MRMC 2.51 (strings keep their printed precision).
PUBLISHED = {
    "van_dyke_1993": {
        "modality_means": ("0.89703704", "0.94083736"),
        "ms_t": "0.00479617",
        "ms_r": "0.00383620",
        "ms_tr": "0.00055103",
        "ms_r_per_modality": ("0.00308263", "0.00130460"),
        "var_r": "0.00153500",
        "var_tr": "0.00020040",
        "cov1": "0.00034661",
        "cov2": "0.00034407",
        "cov3": "0.00023903",
        "var_error": "0.00080229",
        "rrrc": {
            "f": "4.46",
            "ddf": "15.26",
            "p": "0.0517",
            "error_term": "0.00107626",
            "difference": "-0.04380",
            "se": "0.02075",
            "ci": ("-0.08796", "0.00036"),
            "single_se": ("0.03317360", "0.02156637"),
            "single_df": ("12.74", "12.71"),
            "single_ci": (("0.82522360", "0.96885048"), ("0.89413783", "0.98753689")),
        },
        "frrc": {
            "x2": "5.47595",
            "p": "0.0193",
            "se": "0.01872",
            "ci": ("-0.08049", "-0.00711"),
            "single_se": ("0.02428971", "0.01677632"),
            "single_ci": (("0.84943008", "0.94464399"), ("0.90795637", "0.97371835")),
            "reader_differences": ("-0.02818", "-0.04654", "-0.01787", "-0.02625", "-0.10016"),
            "reader_se": ("0.02551", "0.02630", "0.03121", "0.01729", "0.04406"),
            "reader_p": ("0.2693", "0.0768", "0.5668", "0.1290", "0.0230"),
        },
        "rrfc": {
            "f": "8.70",
            "p": "0.0420",
            "se": "0.01485",
            "ci": ("-0.08502", "-0.00258"),
            "single_se": ("0.02482994", "0.01615303"),
            "single_ci": (("0.82809808", "0.96597599"), ("0.89598936", "0.98568536")),
        },
    },
    "franken_1992": {
        "modality_means": ("0.84774989", "0.83689507"),
        "ms_t": "0.00023565",
        "ms_r": "0.00068406",
        "ms_tr": "0.00005020",
        "ms_r_per_modality": ("0.00049266", "0.00024160"),
        "var_r": "0.00003776",
        "var_tr": "-0.00071276",
        "cov1": "0.00079168",
        "cov2": "0.00048364",
        "cov3": "0.00051251",
        "var_error": "0.00152578",
        "rrrc": {
            "f": "4.69",
            "ddf": "3.00",
            "p": "0.1188",
            "error_term": "0.00005020",
            "difference": "0.01085",
            "se": "0.00501",
            "ci": ("-0.00509", "0.02680"),
            "single_se": ("0.02440215", "0.02356642"),
            "single_df": ("70.12", "253.64"),
            "single_ci": (("0.79908282", "0.89641696"), ("0.79048429", "0.88330585")),
        },
        "frrc": {
            "x2": "0.32101",
            "p": "0.5710",
            "se": "0.01916",
            "ci": ("-0.02670", "0.04840"),
            "single_se": ("0.02710939", "0.02744860"),
            "single_ci": (("0.79461647", "0.90088331"), ("0.78309680", "0.89069334")),
            "reader_differences": ("0.00384", "0.02148", "0.01719", "0.00090"),
            "reader_se": ("0.04279", "0.04007", "0.03499", "0.03481"),
            "reader_p": ("0.9284", "0.5919", "0.6233", "0.9793"),
        },
        "rrfc": {
            "f": "4.69",
            "p": "0.1188",
            "se": "0.00501",
            "ci": ("-0.00509", "0.02680"),
            "single_se": ("0.01109801", "0.00777173"),
            "single_ci": (("0.81243106", "0.88306871"), ("0.81216196", "0.86162818")),
        },
    },
}


def assert_printed(value, printed: str):
    """value rounded to the printed number of decimals equals the printed figure."""
    decimals = -Decimal(printed).as_tuple().exponent
    assert round(value, decimals) == pytest.approx(float(printed), abs=10 ** -(decimals + 3)), (
        value,
        printed,
    )


def analyse(name: str, figure_of_merit: str = "auc"):
    readings = read_mrmc_csv(DATA / f"{name}.csv", need_truth=figure_of_merit == "auc")
    return obuchowski_rockette(
        crossed_design(readings, need_truth=figure_of_merit == "auc"), figure_of_merit=figure_of_merit
    )


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_variance_components_match_or_dbm_mrmc(name):
    published, result = PUBLISHED[name], analyse(name)
    for value, printed in zip(result.modality_means, published["modality_means"], strict=True):
        assert_printed(value, printed)
    assert_printed(result.anova.ms_t, published["ms_t"])
    assert_printed(result.anova.ms_r, published["ms_r"])
    assert_printed(result.anova.ms_tr, published["ms_tr"])
    for value, printed in zip(result.anova.ms_r_per_modality, published["ms_r_per_modality"], strict=True):
        assert_printed(value, printed)
    for field in ("var_error", "cov1", "cov2", "cov3"):
        assert_printed(getattr(result.covariances, field), published[field])
    assert_printed(result.components.var_r, published["var_r"])
    assert_printed(result.components.var_tr, published["var_tr"])


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_random_readers_random_cases_match_or_dbm_mrmc(name):
    published, analysis = PUBLISHED[name]["rrrc"], analyse(name).random_readers_random_cases
    test = analysis.global_test
    assert_printed(test.statistic, published["f"])
    assert_printed(test.df2, published["ddf"])
    assert_printed(test.p_value, published["p"])
    assert_printed(test.error_term, published["error_term"])
    (difference,) = analysis.differences
    assert_printed(difference.estimate, published["difference"])
    assert_printed(difference.se, published["se"])
    assert_printed(difference.df, published["ddf"])
    assert_printed(difference.p_value, published["p"])
    assert_printed(difference.ci_low, published["ci"][0])
    assert_printed(difference.ci_high, published["ci"][1])
    for interval, se, df, (low, high) in zip(
        analysis.modalities,
        published["single_se"],
        published["single_df"],
        published["single_ci"],
        strict=True,
    ):
        assert_printed(interval.se, se)
        assert_printed(interval.df, df)
        assert_printed(interval.ci_low, low)
        assert_printed(interval.ci_high, high)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_fixed_readers_random_cases_match_or_dbm_mrmc(name):
    published, analysis = PUBLISHED[name]["frrc"], analyse(name).fixed_readers_random_cases
    assert_printed(analysis.global_test.statistic, published["x2"])
    assert_printed(analysis.global_test.p_value, published["p"])
    (difference,) = analysis.differences
    assert_printed(difference.se, published["se"])
    assert_printed(difference.ci_low, published["ci"][0])
    assert_printed(difference.ci_high, published["ci"][1])
    for interval, se, (low, high) in zip(
        analysis.modalities, published["single_se"], published["single_ci"], strict=True
    ):
        assert interval.df is None
        assert_printed(interval.se, se)
        assert_printed(interval.ci_low, low)
        assert_printed(interval.ci_high, high)
    for reader_difference, estimate, se, p in zip(
        analysis.reader_differences,
        published["reader_differences"],
        published["reader_se"],
        published["reader_p"],
        strict=True,
    ):
        assert_printed(reader_difference.estimate, estimate)
        assert_printed(reader_difference.se, se)
        assert_printed(reader_difference.p_value, p)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_random_readers_fixed_cases_match_or_dbm_mrmc(name):
    published, analysis = PUBLISHED[name]["rrfc"], analyse(name).random_readers_fixed_cases
    assert_printed(analysis.global_test.statistic, published["f"])
    assert_printed(analysis.global_test.p_value, published["p"])
    (difference,) = analysis.differences
    assert_printed(difference.se, published["se"])
    assert_printed(difference.ci_low, published["ci"][0])
    assert_printed(difference.ci_high, published["ci"][1])
    for interval, se, (low, high) in zip(
        analysis.modalities, published["single_se"], published["single_ci"], strict=True
    ):
        assert_printed(interval.se, se)
        assert_printed(interval.ci_low, low)
        assert_printed(interval.ci_high, high)


def brute_force_auc(x, truth):
    abnormal, normal = x[truth == 1], x[truth == 0]
    return ((abnormal[:, None] > normal[None, :]) + 0.5 * (abnormal[:, None] == normal[None, :])).mean()


def test_closed_form_jackknife_matches_refitting_without_each_unit():
    # Pairs of cases (one of each truth) form the jackknife units, as the AI-or-reference AUC uses.
    rng = np.random.default_rng(7)
    readings = []
    for pair in range(12):
        for truth in (0, 1):
            for reader in ("alice", "bob"):
                for modality in ("blinded", "open"):
                    score = int(rng.integers(-3, 4)) + truth
                    readings.append(
                        Reading(reader, modality, f"{pair}-{truth}", score, truth, unit=str(pair))
                    )
    design = crossed_design(readings, need_truth=True)
    auc, mean = empirical_auc(design), mean_score(design)
    for unit in range(design.n_units):
        kept = design.units != unit
        for t in range(2):
            for r in range(2):
                x = design.scores[t, r]
                assert auc.leave_one_out[unit, t, r] == pytest.approx(
                    brute_force_auc(x[kept], design.truth[kept])
                )
                assert mean.leave_one_out[unit, t, r] == pytest.approx(x[kept].mean())
                assert auc.fom[t, r] == pytest.approx(brute_force_auc(x, design.truth))


def test_mean_score_analysis_of_a_likert_study():
    # The mean-score figure of merit ignores truth; with identical arms every difference is zero.
    readings = [
        Reading(reader, arm, str(case), float(1 + (case * 7 + ord(reader[0])) % 5))
        for reader in ("alice", "bob", "carol")
        for arm in ("ai", "reference")
        for case in range(20)
    ]
    result = obuchowski_rockette(crossed_design(readings, need_truth=False), figure_of_merit="mean")
    (difference,) = result.random_readers_random_cases.differences
    assert difference.estimate == 0
    assert result.random_readers_random_cases.global_test.statistic is None  # no variation between arms


def test_one_reader_keeps_the_fixed_reader_analysis_and_says_why_the_others_are_missing():
    readings = [
        Reading("alice", arm, str(case), float((case + (arm == "ai")) % 5), case % 2)
        for arm in ("ai", "reference")
        for case in range(30)
    ]
    result = obuchowski_rockette(crossed_design(readings, need_truth=True), figure_of_merit="auc")
    assert result.random_readers_random_cases.notes == ("needs two readers or more",)
    assert result.random_readers_fixed_cases.global_test is None
    assert result.fixed_readers_random_cases.global_test.p_value is not None
    assert result.components is None


def test_a_single_modality_gets_its_interval_and_no_comparison():
    rng = np.random.default_rng(3)
    readings = [
        Reading(reader, "blinded", str(case), float(rng.integers(0, 4) + case % 2), case % 2)
        for reader in ("alice", "bob", "carol")
        for case in range(40)
    ]
    analysis = obuchowski_rockette(
        crossed_design(readings, need_truth=True), figure_of_merit="auc"
    ).random_readers_random_cases
    assert analysis.global_test is None and analysis.differences == ()
    (interval,) = analysis.modalities
    assert interval.ci_low < interval.estimate < interval.ci_high


def test_a_missing_score_is_named():
    readings = [
        Reading(r, m, str(c), 1.0, c % 2) for r in ("alice", "bob") for m in ("a", "b") for c in range(4)
    ]
    with pytest.raises(MrmcInputError, match="1 missing scores \\(reader bob, case 3, modality b\\)"):
        crossed_design(readings[:-1], need_truth=True)


def test_a_second_score_and_a_changing_truth_are_refused():
    first = Reading("alice", "a", "case-1", 3.0, 1, line=2)
    with pytest.raises(MrmcInputError, match="line 3: a second score from reader alice"):
        crossed_design([first, Reading("alice", "a", "case-1", 4.0, 1, line=3)], need_truth=True)
    with pytest.raises(MrmcInputError, match="line 3: case case-1 has two different truths"):
        crossed_design([first, Reading("bob", "a", "case-1", 4.0, 0, line=3)], need_truth=True)


def test_csv_errors_name_the_line():
    with pytest.raises(MrmcInputError, match="missing column\\(s\\) truth"):
        read_mrmc_csv("reader,modality,case,score\n1,1,1,3\n", need_truth=True)
    with pytest.raises(MrmcInputError, match="line 3: score 'high' is not a number"):
        read_mrmc_csv("reader,modality,case,truth,score\n1,1,1,0,3\n1,1,2,1,high\n", need_truth=True)
    with pytest.raises(MrmcInputError, match="line 2: truth '2' must be 0 or 1"):
        read_mrmc_csv("reader,modality,case,truth,score\n1,1,1,2,3\n", need_truth=True)
