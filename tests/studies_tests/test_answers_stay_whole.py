"""Answers stay whole: taking an answer back before submitting is a change like any other, a
submitted case never becomes incomplete, and no JSON a client can send gives a 500."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from cmr_reader.studies import answers
from cmr_reader.studies.models import Answer, AnswerChange, Assignment
from cmr_reader.studies.questionnaire import InvalidAnswer
from tests.studies_tests.conftest import NOW, build_study
from tests.studies_tests.test_answers import answer_everything, first_assignment

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(minutes=10)


def save(assignment: Assignment, user, item: str, value, *, now=NOW) -> answers.SavedAnswer:
    return answers.save_answer(assignment_id=assignment.pk, user=user, item=item, value=value, now=now)


def stored(assignment: Assignment) -> dict:
    return dict(Answer.objects.filter(assignment=assignment).values_list("item", "value"))


def submitted_case(user) -> Assignment:
    assignment = first_assignment(user)
    answer_everything(assignment, user)
    answers.submit(assignment_id=assignment.pk, user=user, now=NOW)
    return assignment


def still_complete(assignment: Assignment) -> bool:
    return answers.questionnaire_for(assignment.study).missing(stored(assignment)) == []


def answer_url(assignment: Assignment) -> str:
    return f"/reading/cases/{assignment.public_id}/answer/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_reader_can_take_an_answer_back_before_submitting_and_the_audit_keeps_it(assigned_study, reader):
    assignment = first_assignment(reader)
    save(assignment, reader, "A.correctness", 3)

    saved = save(assignment, reader, "A.correctness", None, now=LATER)

    assert saved.version == 0 and "A.correctness" in saved.missing
    assert "A.correctness" not in stored(assignment)
    change = AnswerChange.objects.filter(assignment=assignment).latest("id")
    assert (change.item, change.old_value, change.new_value, change.changed_at) == (
        "A.correctness",
        3,
        None,
        LATER,
    )


def test_blank_text_and_no_ticked_category_take_an_answer_back(assigned_study, reader):
    assignment = first_assignment(reader)
    save(assignment, reader, "pair.comment", "seen")
    save(assignment, reader, "A.error_categories", ["other"])

    save(assignment, reader, "pair.comment", "   ")
    save(assignment, reader, "A.error_categories", [])

    assert stored(assignment) == {}
    assert AnswerChange.objects.filter(assignment=assignment, new_value__isnull=True).count() == 2


def test_clearing_what_was_never_answered_changes_nothing(assigned_study, reader):
    assignment = first_assignment(reader)
    save(assignment, reader, "A.correctness", None)
    save(assignment, reader, "A.correctness", "")
    assert not AnswerChange.objects.exists()


def test_clearing_an_answer_over_http_is_saved_not_a_server_error(assigned_study, reader):
    assignment = first_assignment(reader)
    client = client_for(reader)
    client.post(
        answer_url(assignment), {"item": "A.correctness", "value": 3}, content_type="application/json"
    )
    client.post(
        answer_url(assignment), {"item": "pair.comment", "value": "seen"}, content_type="application/json"
    )

    cleared = client.post(
        answer_url(assignment), {"item": "A.correctness", "value": None}, content_type="application/json"
    )
    blanked = client.post(
        answer_url(assignment), {"item": "pair.comment", "value": ""}, content_type="application/json"
    )

    assert cleared.status_code == 200 and cleared.json()["version"] == 0
    assert "A.correctness" in cleared.json()["missing"]
    assert blanked.status_code == 200
    assert stored(assignment) == {}


def test_a_submitted_case_refuses_to_lose_a_required_answer_and_keeps_the_old_one(assigned_study, reader):
    assignment = submitted_case(reader)
    changes = AnswerChange.objects.count()

    with pytest.raises(answers.SubmittedCaseWouldBeIncomplete) as refused:
        save(assignment, reader, "A.correctness", None, now=LATER)

    assert refused.value.missing == ["A.correctness"]
    assert stored(assignment)["A.correctness"] == 4
    assert still_complete(assignment)
    assert AnswerChange.objects.count() == changes


def test_over_http_the_refusal_is_a_409_that_says_what_would_be_missing(assigned_study, reader):
    assignment = submitted_case(reader)

    response = client_for(reader).post(
        answer_url(assignment), {"item": "B.error", "value": ""}, content_type="application/json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["ok"] is False and body["missing"] == ["B.error"]
    assert "B.error" in body["error"]
    assert stored(assignment)["B.error"] is False


def test_an_error_flag_turned_to_yes_after_submitting_needs_its_categories_and_comment_first(
    assigned_study, reader
):
    assignment = submitted_case(reader)

    with pytest.raises(answers.SubmittedCaseWouldBeIncomplete) as refused:
        save(assignment, reader, "A.error", True, now=LATER)
    assert refused.value.missing == ["A.error_categories", "A.error_comment"]
    assert stored(assignment)["A.error"] is False

    # What the reading page does: the details first (allowed while the flag is no), then the flag.
    save(assignment, reader, "A.error_categories", ["missed_finding"], now=LATER)
    save(assignment, reader, "A.error_comment", "Missed the effusion", now=LATER)
    save(assignment, reader, "A.error", True, now=LATER)
    assert still_complete(assignment)

    # And once flagged, its comment cannot be taken back.
    with pytest.raises(answers.SubmittedCaseWouldBeIncomplete):
        save(assignment, reader, "A.error_comment", "  ", now=LATER)
    assert stored(assignment)["A.error_comment"] == "Missed the effusion"


def test_a_guess_changed_from_unsure_after_submitting_needs_a_confidence(assigned_study, reader):
    assignment = submitted_case(reader)
    with pytest.raises(answers.SubmittedCaseWouldBeIncomplete) as refused:
        save(assignment, reader, "pair.ai_guess", "A", now=LATER)
    assert refused.value.missing == ["pair.ai_confidence"]
    assert stored(assignment)["pair.ai_guess"] == "unsure"


def test_ordinary_changes_after_submitting_are_still_allowed_and_audited(assigned_study, reader):
    assignment = submitted_case(reader)

    save(assignment, reader, "B.readability", 2, now=LATER)
    save(assignment, reader, "pair.comment", "second look", now=LATER)
    save(assignment, reader, "pair.comment", None, now=LATER)  # optional: it may go
    save(assignment, reader, "B.error", False, now=LATER)  # the same again: nothing new

    assert stored(assignment)["B.readability"] == 2 and "pair.comment" not in stored(assignment)
    assert still_complete(assignment)
    after = AnswerChange.objects.filter(assignment=assignment, after_submit=True)
    assert list(after.values_list("item", "new_value")) == [
        ("B.readability", 2),
        ("pair.comment", "second look"),
        ("pair.comment", None),
    ]


def test_a_case_stored_incomplete_before_this_rule_can_still_be_mended(assigned_study, reader):
    assignment = submitted_case(reader)
    Answer.objects.filter(assignment=assignment, item="A.correctness").delete()

    save(assignment, reader, "B.readability", 3, now=LATER)  # leaves nothing newly missing
    save(assignment, reader, "A.correctness", 5, now=LATER)

    assert still_complete(assignment)


def test_without_revisits_even_a_clear_is_refused_as_closed(reader, other_reader):
    build_study(readers=[reader, other_reader], allow_revisit=False)
    assignment = submitted_case(reader)
    with pytest.raises(answers.AnswerRejected) as refused:
        save(assignment, reader, "A.correctness", None, now=LATER)
    assert not isinstance(refused.value, answers.SubmittedCaseWouldBeIncomplete)
    assert still_complete(assignment)


def test_text_that_postgresql_cannot_store_is_refused(assigned_study, reader):
    assignment = first_assignment(reader)
    for text in ("a\x00b", "lone \ud800 surrogate"):
        with pytest.raises(InvalidAnswer):
            save(assignment, reader, "pair.comment", text)
    assert stored(assignment) == {}


# Every kind of item, and what a script might send for it.
ITEMS = [
    "A.correctness",
    "B.readability",
    "A.error",
    "A.error_categories",
    "A.error_comment",
    "pair.preference",
    "pair.ai_guess",
    "pair.ai_confidence",
    "pair.comment",
    "C.correctness",
    "correctness",
    "",
]
VALUES = [
    None,
    "",
    "   ",
    [],
    {},
    [[[[]]]],
    {"a": {"b": [1, None]}},
    True,
    False,
    0,
    -1,
    3,
    3.0,
    2.5,
    "3",
    "٣",
    10**400,
    1e308,
    "A",
    "equal",
    ["other"],
    ["other", "made_up"],
    [["other"]],
    "x" * 100_000,
    "a\x00b",
    "\ud800",
]
# Bodies the encoder above would not write.
RAW_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"A.correctness"',
    b"{}",
    b'{"value": 3}',
    b'{"item": null, "value": 3}',
    b'{"item": ["A.correctness"], "value": 3}',
    b'{"item": {"x": 1}, "value": 3}',
    b'{"item": "A.correctness", "value": NaN}',
    b'{"item": "A.correctness", "value": Infinity}',
    b'{"item": "A.correctness", "value": -Infinity}',
    b'{"item": "A.correctness", "value": 1' + b"0" * 5000 + b"}",
    b'{"item": "pair.comment", "value": "\\u0000"}',
    b'{"item": "A.correctness", "value": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b"\xff\xfe not utf-8",
    b"{not json",
]


@pytest.mark.parametrize("submitted", [False, True], ids=["open", "submitted"])
@pytest.mark.parametrize("item", ITEMS)
def test_no_json_value_for_any_item_is_a_server_error(item, submitted, reader, other_reader):
    build_study(readers=[reader, other_reader])
    assignment = submitted_case(reader) if submitted else first_assignment(reader)
    client = client_for(reader)
    for value in VALUES:
        # Each value, then taking it back: clearing what was just saved was the 500.
        for sent in (value, None):
            body = json.dumps({"item": item, "value": sent})
            response = client.post(answer_url(assignment), body, content_type="application/json")
            assert response.status_code < 500, (item, repr(value)[:40], sent)
            assert "ok" in response.json()
    if submitted:
        assert still_complete(assignment)


def test_no_malformed_body_is_a_server_error(assigned_study, reader):
    assignment = first_assignment(reader)
    client = client_for(reader)
    for body in RAW_BODIES:
        response = client.post(answer_url(assignment), body, content_type="application/json")
        assert response.status_code == 400, body[:40]
    assert stored(assignment) == {}
