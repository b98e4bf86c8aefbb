"""Study planning from a pilot, checked against RJafroc's recorded sample-size values."""

from pathlib import Path

import pytest

from cmr_reader.analysis.mrmc.design import crossed_design
from cmr_reader.analysis.mrmc.mrmc_csv import read_mrmc_csv
from cmr_reader.analysis.mrmc.obuchowski_rockette import obuchowski_rockette
from cmr_reader.analysis.mrmc.planning import (
    PilotComponents,
    PlanningError,
    cases_needed,
    power_for_difference,
    power_for_non_inferiority,
)

DATA = Path(__file__).parent / "mrmc_data"


def pilot(name: str) -> PilotComponents:
    readings = read_mrmc_csv(DATA / f"{name}.csv", need_truth=True)
    return PilotComponents.from_result(
        obuchowski_rockette(crossed_design(readings, need_truth=True), figure_of_merit="auc")
    )


def test_power_matches_rjafroc_on_van_dyke():
    # RJafroc SsPowerGivenJK(dataset02, "Wilcoxon", method = "OR", effectSize = -0.043800322, J = 10, K = 165)
    power = power_for_difference(pilot("van_dyke_1993"), readers=10, cases=165, effect=-0.043800322)
    assert power.power == pytest.approx(0.80541995, abs=1e-8)
    assert power.noncentrality == pytest.approx(8.209597, abs=1e-6)
    assert power.ddf == pytest.approx(62.70728, abs=1e-5)
    assert power.critical_value == pytest.approx(3.994095, abs=1e-6)


def test_cases_needed_matches_rjafroc_on_franken():
    # RJafroc SsSampleSizeKGivenJ(dataset03, "Wilcoxon", effectSize = 0.05, J = 6, method = "OR"): K = 121
    plan = cases_needed(
        lambda cases: power_for_difference(pilot("franken_1992"), readers=6, cases=cases, effect=0.05)
    )
    assert plan.cases == 121
    assert plan.power == pytest.approx(0.800447, abs=1e-6)


def test_non_inferiority_power_grows_with_cases_and_the_margin():
    van_dyke = pilot("van_dyke_1993")
    small = power_for_non_inferiority(van_dyke, readers=6, cases=60, margin=0.05)
    more_cases = power_for_non_inferiority(van_dyke, readers=6, cases=240, margin=0.05)
    wider = power_for_non_inferiority(van_dyke, readers=6, cases=60, margin=0.08)
    assert small.power < more_cases.power and small.power < wider.power
    # With no true difference the one-sided test at alpha rejects with probability alpha at margin -> 0.
    assert power_for_non_inferiority(van_dyke, readers=6, cases=60, margin=1e-9).power == pytest.approx(
        0.025, abs=1e-3
    )


def test_cases_needed_says_when_readers_are_the_limit():
    van_dyke = pilot("van_dyke_1993")
    # Reader variance does not shrink with cases: two readers cannot detect 0.01 however many cases.
    assert (
        cases_needed(lambda cases: power_for_difference(van_dyke, readers=2, cases=cases, effect=0.01))
        is None
    )


def test_a_pilot_needs_two_readers_and_two_modalities():
    readings = read_mrmc_csv(DATA / "van_dyke_1993.csv", need_truth=True)
    one_reader = [reading for reading in readings if reading.reader == "1"]
    result = obuchowski_rockette(crossed_design(one_reader, need_truth=True), figure_of_merit="auc")
    with pytest.raises(PlanningError, match="two readers"):
        PilotComponents.from_result(result)
