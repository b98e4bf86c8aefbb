"""The extractor meets precision and recall of 0.95 on every field of the hand-labelled reports."""

import copy

import pytest

from cmr_reader.domain.entities.record import FIELDS, is_allowed_value
from cmr_reader.domain.entities.scoring import (
    HOLDOUT_REPORTS,
    LABELLED_REPORTS,
    load_labelled_reports,
    score_reports,
)

THRESHOLD = 0.95


@pytest.fixture(scope="module")
def labelled_reports() -> list[dict]:
    return load_labelled_reports(LABELLED_REPORTS)


def test_labelled_set_has_sixty_reports_in_both_languages(labelled_reports):
    languages = [report["lang"] for report in labelled_reports]
    assert len(labelled_reports) >= 60
    assert 0.4 <= languages.count("zh") / len(languages) <= 0.6


def test_labelled_expectations_use_only_allowed_values(labelled_reports):
    for report in labelled_reports + load_labelled_reports(HOLDOUT_REPORTS):
        for field, value in report["expected"].items():
            assert is_allowed_value(field=field, value=value), (report["id"], field, value)


def test_every_field_is_labelled_somewhere(labelled_reports):
    for field in FIELDS:
        assert any(report["expected"][field] is not None for report in labelled_reports), field


@pytest.mark.parametrize("field", FIELDS)
def test_field_meets_precision_and_recall_on_the_labelled_set(labelled_reports, field):
    score = score_reports(labelled_reports)[field]
    assert score.precision is not None and score.precision >= THRESHOLD, score.errors
    assert score.recall is not None and score.recall >= THRESHOLD, score.errors


def test_held_out_reports_meet_the_same_bar_overall():
    scores = score_reports(load_labelled_reports(HOLDOUT_REPORTS))
    true_positives = sum(s.true_positives for s in scores.values())
    assert true_positives / (true_positives + sum(s.false_positives for s in scores.values())) >= THRESHOLD
    assert true_positives / (true_positives + sum(s.false_negatives for s in scores.values())) >= THRESHOLD


def test_scoring_counts_a_wrong_value_against_precision_and_recall(labelled_reports):
    # The gate above must be able to fail: mislabel every EF and the field collapses.
    wrong = copy.deepcopy(labelled_reports)
    for report in wrong:
        if report["expected"]["lv_ef_pct"] is not None:
            report["expected"]["lv_ef_pct"] += 5.0
    score = score_reports(wrong)["lv_ef_pct"]
    assert score.true_positives == 0
    assert score.precision == 0.0 and score.recall == 0.0


def test_scoring_counts_an_unexpected_value_as_a_false_positive(labelled_reports):
    silent = copy.deepcopy(labelled_reports)
    for report in silent:
        report["expected"]["lge"] = None
    score = score_reports(silent)["lge"]
    assert score.false_positives > 0 and score.recall is None
