"""Holm adjustment across criteria against the step-down definition of Holm (1979)."""

import math

import pytest

from cmr_reader.analysis.comparison.multiplicity import holm_adjust


def test_holm_adjustment_follows_the_step_down_definition():
    # Holm (1979), Scand J Statist 6:65-70, as written in R's ?p.adjust:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.06.
    result = holm_adjust(
        p_values={"correctness": 0.01, "completeness": 0.04, "readability": 0.03, "style": 0.005}
    )

    assert result.adjusted == pytest.approx(
        {"correctness": 0.03, "completeness": 0.06, "readability": 0.06, "style": 0.02}
    )
    assert result.rejected == {
        "correctness": True,
        "completeness": False,
        "readability": False,
        "style": True,
    }
    assert result.family_size == 4


def test_holm_caps_adjusted_p_values_at_one():
    result = holm_adjust(p_values={"a": 0.6, "b": 0.7})

    assert result.adjusted == pytest.approx({"a": 1.0, "b": 1.0})


def test_missing_p_values_stay_missing_and_shrink_the_family():
    # Two tested criteria, so the smaller p is multiplied by 2, not 3.
    result = holm_adjust(p_values={"a": 0.01, "b": None, "c": math.nan, "d": 0.2})

    assert result.adjusted["a"] == pytest.approx(0.02)
    assert result.adjusted["b"] is None and result.rejected["c"] is None
    assert result.family_size == 2
