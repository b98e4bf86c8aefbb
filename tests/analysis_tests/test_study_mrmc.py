"""The study's MRMC rows: the crossed block they use, their reasons, and the "which is AI?" AUC."""

import numpy as np
import pytest

from cmr_reader.analysis.mrmc.design import Reading as MrmcReading
from cmr_reader.analysis.mrmc.design import crossed_design
from cmr_reader.analysis.mrmc.obuchowski_rockette import obuchowski_rockette
from cmr_reader.analysis.study_data import CriterionInfo, Reading, StudyData
from cmr_reader.analysis.study_mrmc import (
    MIN_MRMC_CASES,
    TOO_FEW_CROSSED,
    blinding_auc_row,
    crossed_block,
    likert_mrmc_rows,
)
from cmr_reader.analysis.study_planning import crossed_cases


def study(answers_by_reading: dict[tuple[str, str], dict], *, margin=None, ask_ai_guess=True) -> StudyData:
    readings = tuple(
        Reading(
            assignment=f"{reader}-{case}",
            reader_id=reader,
            case_id=case,
            position=0,
            ai_slot="A",
            is_overlap=False,
            is_repeat=False,
            opened_at=None,
            submitted_at=None if answers is None else "2026-12-07",  # type: ignore[arg-type]
            active_seconds=60.0,
            answers=answers or {},
        )
        for (reader, case), answers in answers_by_reading.items()
    )
    return StudyData(
        study_id=1,
        name="MRMC",
        criteria=(CriterionInfo("correctness", "Correctness", "", ()),),
        design={},
        questionnaire={"ask_ai_guess": ask_ai_guess},
        non_inferiority_margin=margin,
        cases=(),
        readings=readings,
    )


def likert(rng, readers, cases, ai_shift=0):
    return {
        (reader, f"case-{case:02d}"): {
            "ai.correctness": int(np.clip(rng.integers(2, 6) - ai_shift, 1, 5)),
            "reference.correctness": int(rng.integers(2, 6)),
        }
        for reader in readers
        for case in cases
    }


def test_the_crossed_block_drops_the_reader_who_read_too_little():
    read = {"alice": set(range(12)), "bob": set(range(12)), "carol": {0, 1, 2, 3}}
    assert crossed_block(read) == (["alice", "bob"], list(range(12)))
    # Enough cases in common: every reader stays.
    read["carol"] = set(range(10))
    assert crossed_block(read) == (["alice", "bob", "carol"], list(range(10)))


def test_likert_rows_analyse_the_block_as_manage_py_mrmc_would():
    rng = np.random.default_rng(5)
    answers = likert(rng, ("alice", "bob", "carol"), range(14))
    answers.update(likert(rng, ("alice",), range(14, 30)))  # alice's own cases: outside the block
    (row,) = likert_mrmc_rows(study(answers, margin=1.0))
    assert (row["readers"], row["cases"], row["cases_left_out"]) == (3, 14, 16)
    expected = obuchowski_rockette(
        crossed_design(
            (
                MrmcReading(reader, arm, case, answer[f"{arm}.correctness"])
                for (reader, case), answer in answers.items()
                if case < "case-14"
                for arm in ("ai", "reference")
            ),
            need_truth=False,
        ),
        figure_of_merit="mean",
    ).random_readers_random_cases.differences[0]
    assert row["estimate"] == pytest.approx(expected.estimate)
    assert (row["ci_low"], row["ci_high"], row["ddf"]) == pytest.approx(
        (expected.ci_low, expected.ci_high, expected.df)
    )
    assert row["non_inferior"] == (expected.ci_low > -1.0)
    assert row["components"]["n_cases"] == 14


def test_a_study_without_enough_crossed_cases_abstains_with_the_reason():
    rng = np.random.default_rng(1)
    answers = likert(rng, ("alice", "bob"), range(MIN_MRMC_CASES - 1))
    (row,) = likert_mrmc_rows(study(answers))
    assert row["estimate"] is None and row["reason"] == TOO_FEW_CROSSED


def test_drafts_do_not_enter_the_block():
    rng = np.random.default_rng(2)
    answers = likert(rng, ("alice", "bob"), range(MIN_MRMC_CASES))
    answers[("bob", "case-00")] = None  # a draft: not submitted
    (row,) = likert_mrmc_rows(study(answers))
    assert row["reason"] == TOO_FEW_CROSSED


def guesses(readers, cases, guess_of):
    return {
        (reader, f"case-{case:02d}"): {
            "pair.ai_guess": guess_of(reader, case),
            "pair.ai_confidence": 1 + case % 5,
        }
        for reader in readers
        for case in cases
    }


def test_readers_who_always_spot_the_ai_report_have_an_auc_of_one():
    row = blinding_auc_row(study(guesses(("alice", "bob"), range(12), lambda reader, case: "correct")))
    assert row["estimate"] == 1.0 and row["cases"] == 12


def test_readers_who_cannot_tell_have_an_interval_around_chance():
    rng = np.random.default_rng(11)
    choices = ("correct", "wrong", "unsure")
    row = blinding_auc_row(
        study(guesses(("alice", "bob", "carol"), range(40), lambda reader, case: choices[rng.integers(0, 3)]))
    )
    assert row["ci_low"] < 0.5 < row["ci_high"]
    assert row["p_value"] > 0.05


def test_no_auc_when_the_study_does_not_ask():
    row = blinding_auc_row(study({}, ask_ai_guess=False))
    assert row["estimate"] is None and "does not ask" in row["reason"]


def test_a_design_crosses_every_case_only_when_each_goes_to_every_reader():
    assert crossed_cases(readers=3, cases=200, readers_per_case=3, overlap=20) == 200
    assert crossed_cases(readers=6, cases=200, readers_per_case=2, overlap=20) == 20
