"""The dashboard's comparison rows say what a reader of the table must know: n as cases (and
readings), an unconverged fit, and why an estimate is missing (issue 22)."""

import pytest
from django.utils import translation

from cmr_reader.analysis.dashboard_tables import comparison_counts, comparison_warning


@pytest.fixture(autouse=True)
def english():
    """The sentences are compared in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


def test_n_is_shown_as_cases_with_the_readings_beside_them():
    assert comparison_counts({"n": 24, "n_cases": 12}) == "12 cases (24 readings)"
    assert comparison_counts({"n": 12, "n_cases": 12}) == "12 cases"
    assert comparison_counts({"n": 7, "n_cases": None}) == "7"
    assert comparison_counts({"n": None, "n_cases": None}) == ""


def test_an_unconverged_fit_with_a_p_value_carries_a_warning():
    row = {"analysis": "mixed_model", "estimate": -0.2, "p_value": 0.211, "converged": False, "method": "LMM"}

    assert comparison_warning(row).startswith("Not at the optimum")
    assert comparison_warning({**row, "converged": True}) == ""


def test_an_empty_estimate_says_why():
    row = {
        "analysis": "ordinal_gee",
        "estimate": None,
        "converged": False,
        "method": "ordinal GEE, cumulative logit, clustered by case; at least 10 cases needed",
    }

    assert comparison_warning(row) == "No estimate: at least 10 cases needed"


def test_descriptive_rows_have_no_warning():
    assert comparison_warning({"analysis": "descriptives", "estimate": None, "converged": None}) == ""


def test_a_wilcoxon_row_abstains_only_without_a_p_value():
    row = {
        "analysis": "wilcoxon",
        "estimate": None,
        "statistic": 19.5,
        "p_value": 0.53,
        "method": "Wilcoxon signed-rank; unit: this reader's per-case differences",
    }

    assert comparison_warning(row) == ""
    abstained = {
        **row,
        "statistic": None,
        "p_value": None,
        "method": "Wilcoxon signed-rank; none: all differences are zero; unit: this reader's per-case differences",
    }
    assert comparison_warning(abstained) == "No estimate: none: all differences are zero"
