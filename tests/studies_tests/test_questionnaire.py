"""Questionnaire items, validation and completeness."""

import pytest

from cmr_reader.studies.questionnaire import InvalidAnswer, Questionnaire

Q = Questionnaire(criteria=("correctness", "completeness", "readability"))


def full_answers() -> dict:
    answers = {f"{s}.{c}": 4 for s in "AB" for c in Q.criteria}
    answers.update(
        {"A.error": False, "B.error": False, "pair.preference": "equal", "pair.ai_guess": "unsure"}
    )
    return answers


def test_likert_items_take_1_to_5_and_nothing_else():
    assert Q.clean("A.correctness", 3) == 3
    assert Q.clean("B.readability", "5") == 5
    for bad in (0, 6, 2.5, "x", True, {}, [3], "03", "+3"):
        with pytest.raises(InvalidAnswer):
            Q.clean("A.correctness", bad)


def test_choices_flags_categories_and_comments_are_checked():
    assert Q.clean("pair.preference", "equal") == "equal"
    assert Q.clean("pair.ai_guess", "B") == "B"
    assert Q.clean("A.error", True) is True
    assert Q.clean("A.error_categories", ["other", "missed_finding", "other"]) == ["missed_finding", "other"]
    assert Q.clean("pair.comment", "  fine  ") == "fine"
    with pytest.raises(InvalidAnswer):
        Q.clean("pair.preference", "C")
    with pytest.raises(InvalidAnswer):
        Q.clean("A.error", "yes")
    with pytest.raises(InvalidAnswer):
        Q.clean("A.error_categories", ["made_up"])
    with pytest.raises(InvalidAnswer):
        Q.clean("pair.comment", "x" * 5000)
    with pytest.raises(InvalidAnswer):
        Q.clean("C.correctness", 3)
    # Blank values take an answer back (answers.save_answer decides whether the case may lose it).
    for blank in (None, "", "  ", []):
        assert Q.clean("A.correctness", blank) is None
        assert Q.clean("A.error_categories", blank) is None
        assert Q.clean("pair.comment", blank) is None


def test_missing_lists_required_items_and_flagged_errors_need_categories_and_a_comment():
    assert len(Q.missing({})) == 6 + 2 + 2
    answers = full_answers()
    assert Q.missing(answers) == []
    answers["B.error"] = True
    assert Q.missing(answers) == ["B.error_categories", "B.error_comment"]
    answers.update({"B.error_categories": ["wrong_measurement"], "B.error_comment": "EF overstated"})
    answers["pair.ai_guess"] = "A"
    assert Q.missing(answers) == ["pair.ai_confidence"]


def test_optional_items_disappear_when_the_study_does_not_ask_them():
    bare = Questionnaire(
        criteria=("correctness",),
        ask_preference=False,
        ask_ai_guess=False,
        ask_error_flags=False,
        ask_comment=False,
    )
    assert bare.item_keys() == ["A.correctness", "B.correctness"]
    with pytest.raises(InvalidAnswer):
        bare.clean("pair.preference", "A")
    assert bare.missing({"A.correctness": 1, "B.correctness": 2}) == []
