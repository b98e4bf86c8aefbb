"""Synthetic report texts state their case's ground truth, vary in style, and plant only named errors."""

import json
import re
from collections import Counter

import pytest

from cmr_reader.domain.entities import extract_entities
from cmr_reader.domain.synthetic import CASE_TYPES, GROUND_TRUTH_FILE, write_cases
from cmr_reader.domain.synthetic.reports import SEGMENTS, ai_report, reference_report
from cmr_reader.reports.scrub import scrub_report_text

SEEDS = range(5)
# The extractor's record has no value for a linear mid-wall stripe; it reads as patchy mid-wall.
RECORDED_LGE_PATTERN = {"midwall_septal": "patchy_midwall"}
# Rounding to whole numbers (or 1 mm for thickness written in cm) moves a value by at most 0.5.
ROUNDING = 0.51
STATED_MEASURES = (
    "lv_edv_ml",
    "lv_esv_ml",
    "lv_ef_pct",
    "lv_mass_g",
    "lv_edv_index_ml_m2",
    "lv_mass_index_g_m2",
    "max_wall_thickness_mm",
)
# The identifiers the scrubber is documented for: names, IDs, accession number, UIDs.
SCRUBBED_IDENTIFIERS = (
    "patient_name",
    "patient_name_text",
    "patient_id",
    "other_patient_ids",
    "accession_number",
    "referring_physician",
    "performing_physician",
    "operators_name",
    "study_id",
    "study_instance_uid",
)
# The fields each kind of planted error changes; every other field must still read as the truth.
CHANGED_BY = {
    "ef_off_by": {"lv_ef_pct"},
    "thickness_off_by": {"max_wall_thickness_mm"},
    "wrong_segment": {"max_wall_thickness_location"},
    "lge_missed": {"lge", "lge_pattern", "lge_extent_pct"},
    "lge_hallucinated": {"lge", "lge_pattern", "lge_extent_pct"},
    "wrong_diagnosis": {"diagnosis"},
}


@pytest.fixture(scope="module")
def truths(tmp_path_factory) -> list[dict]:
    folders = write_cases(tmp_path_factory.mktemp("cases"), cases=12, seed=1, matrix=32, phases=6)
    return [json.loads((folder / GROUND_TRUTH_FILE).read_text()) for folder in folders]


def _kind(tag: str) -> str:
    return tag.rsplit("_", 1)[0] if "_off_by_" in tag else tag


def _amount(tag: str) -> int:
    return int(tag.rsplit("_", 1)[1])


def _region(location) -> str:
    return SEGMENTS[location][2] if isinstance(location, int) else location


def _disagreements(truth: dict, text: str, *, ignore: set[str] = frozenset()) -> list[tuple]:
    """(field, extracted, truth) for each field the report should state as the truth but does not."""
    extracted = extract_entities(text, lang="en")
    wrong = []
    for field in STATED_MEASURES:
        got = extracted[field]
        if field not in ignore and (got is None or abs(got - truth[field]) > ROUNDING):
            wrong.append((field, got, truth[field]))
    location = extracted["max_wall_thickness_location"]
    # A report naming the AHA segment is read as that number; one naming only the wall as the region.
    expected = {truth["max_wall_thickness_aha_segment"], truth["max_wall_thickness_location"]}
    if "max_wall_thickness_location" not in ignore and location not in expected:
        wrong.append(("max_wall_thickness_location", location, expected))
    lge_present = truth["lge"] == "present"
    categorical = {
        "hypertrophy_pattern": truth["hypertrophy_pattern"],
        "lge": truth["lge"],
        "lge_pattern": RECORDED_LGE_PATTERN.get(truth["lge_pattern"], truth["lge_pattern"]),
        "diagnosis": truth["diagnosis"],
        "pericardial_effusion": "none",
    }
    for field, value in categorical.items():
        if field not in ignore and extracted[field] != value:
            wrong.append((field, extracted[field], value))
    extent = extracted["lge_extent_pct"]
    if (
        "lge_extent_pct" not in ignore
        and lge_present
        and (extent is None or abs(extent - truth["lge_extent_pct"]) > ROUNDING)
    ):
        wrong.append(("lge_extent_pct", extent, truth["lge_extent_pct"]))
    # Nothing the truth does not hold is claimed: no SAM, obstruction, aneurysm or RV EF.
    for field in ("sam", "lvot_obstruction", "apical_aneurysm", "rv_ef_pct", "hcm_obstruction"):
        if extracted[field] is not None:
            wrong.append((field, extracted[field], None))
    return wrong


def test_cases_cover_every_case_type_and_both_lge_states(truths):
    assert {truth["case_type"] for truth in truths} == set(CASE_TYPES)
    assert {truth["lge"] for truth in truths} == {"present", "absent"}


def test_same_truth_and_seed_give_the_same_report(truths):
    for truth in truths:
        assert reference_report(truth, seed=7) == reference_report(truth, seed=7)
        assert ai_report(truth, seed=7, error_rate=0.5) == ai_report(truth, seed=7, error_rate=0.5)


def test_phrasing_varies_with_the_seed(truths):
    for truth in truths:
        assert len({reference_report(truth, seed=seed).text for seed in SEEDS}) == len(SEEDS)
        assert len({ai_report(truth, seed=seed, error_rate=0).text for seed in SEEDS}) == len(SEEDS)


def test_cases_reported_with_one_seed_do_not_share_one_template(truths):
    openings = {" ".join(reference_report(truth, seed=0).text.split()[:3]) for truth in truths}
    assert len(openings) >= 4


def test_ai_voice_differs_from_the_reference_voice(truths):
    for truth in truths:
        references = {reference_report(truth, seed=seed).text for seed in SEEDS}
        assert not references & {ai_report(truth, seed=seed, error_rate=0).text for seed in SEEDS}


def test_reports_hold_no_identifier_date_heading_or_signature(truths):
    for truth in truths:
        planted = [value for value in truth["planted_identifiers"].values() if value]
        for seed in SEEDS:
            for report in (reference_report(truth, seed=seed), ai_report(truth, seed=seed, error_rate=1.0)):
                lowered = report.text.lower()
                assert not [value for value in planted if value.lower() in lowered], report.text
                # The project's own scrubber finds nothing to remove: no name, ID, date, phone,
                # "Dr X" or "Reported by" line. (Not given the department, "Cardiac Imaging Unit
                # N": its word "Cardiac" would be removed wherever it stands.)
                names_and_ids = [truth["planted_identifiers"][key] for key in SCRUBBED_IDENTIFIERS]
                assert scrub_report_text(report.text, identifiers=names_and_ids) == report.text
                assert not lowered.startswith(("cmr", "cardiac mri", "report")), report.text


def test_reference_reports_read_back_as_the_ground_truth(truths):
    for truth in truths:
        for seed in SEEDS:
            report = reference_report(truth, seed=seed)
            assert report.language == "en"
            assert report.introduced_errors == ()
            assert _disagreements(truth, report.text) == [], report.text


def test_ai_reports_without_errors_read_back_as_the_ground_truth(truths):
    for truth in truths:
        for seed in SEEDS:
            report = ai_report(truth, seed=seed, error_rate=0.0)
            assert report.introduced_errors == ()
            assert _disagreements(truth, report.text) == [], report.text


def test_every_planted_error_shows_in_the_extracted_entities(truths):
    seen = Counter()
    for truth in truths:
        for seed in SEEDS:
            report = ai_report(truth, seed=seed, error_rate=1.0)
            assert 1 <= len(report.introduced_errors) <= 2
            extracted = extract_entities(report.text, lang="en")
            for tag in report.introduced_errors:
                kind = _kind(tag)
                seen[kind] += 1
                if kind == "ef_off_by":
                    assert 8 <= abs(_amount(tag)) <= 15
                    misstated = extracted["lv_ef_pct"] - truth["lv_ef_pct"]
                    assert misstated == pytest.approx(_amount(tag), abs=ROUNDING), report.text
                elif kind == "thickness_off_by":
                    assert 4 <= abs(_amount(tag)) <= 6
                    misstated = extracted["max_wall_thickness_mm"] - truth["max_wall_thickness_mm"]
                    assert misstated == pytest.approx(_amount(tag), abs=ROUNDING), report.text
                elif kind == "lge_missed":
                    assert (truth["lge"], extracted["lge"]) == ("present", "absent"), report.text
                elif kind == "lge_hallucinated":
                    assert (truth["lge"], extracted["lge"]) == ("absent", "present"), report.text
                elif kind == "wrong_segment":
                    location = extracted["max_wall_thickness_location"]
                    assert _region(location) != truth["max_wall_thickness_location"], report.text
                else:
                    assert kind == "wrong_diagnosis"
                    assert extracted["diagnosis"] not in (None, truth["diagnosis"]), report.text
            changed = set().union(*(CHANGED_BY[_kind(tag)] for tag in report.introduced_errors))
            assert _disagreements(truth, report.text, ignore=changed) == [], report.text
    assert set(seen) == set(CHANGED_BY)


def test_error_rate_sets_the_share_of_reports_with_errors(truths):
    reports = [ai_report(truth, seed=seed, error_rate=0.3) for truth in truths for seed in range(10)]
    share = sum(bool(report.introduced_errors) for report in reports) / len(reports)
    assert 0.15 <= share <= 0.45


def test_planting_an_error_leaves_the_wording_alone(truths):
    # Style and errors come from separate random streams, so an erroneous report is the correct
    # one with facts changed: a reader cannot spot the errors by a change of style.
    pairs = [
        (ai_report(truth, seed=seed, error_rate=0.0), ai_report(truth, seed=seed, error_rate=1.0))
        for truth in truths
        for seed in SEEDS
    ]
    numeric_only = [(clean, wrong) for clean, wrong in pairs if _kinds(wrong) == {"thickness_off_by"}]
    assert numeric_only
    for clean, wrong in numeric_only:
        assert _without_numbers(clean.text) == _without_numbers(wrong.text)
        assert clean.text != wrong.text


def _kinds(report) -> set[str]:
    return {_kind(tag) for tag in report.introduced_errors}


def _without_numbers(text: str) -> str:
    return re.sub(r"\d+(?:\.\d+)?", "#", text)


def test_error_rate_outside_zero_to_one_is_refused(truths):
    with pytest.raises(ValueError):
        ai_report(truths[0], seed=0, error_rate=1.5)
