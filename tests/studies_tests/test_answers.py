"""Autosave, submit, revisits and the audit history; two tabs and double submits."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from cmr_reader.studies import answers
from cmr_reader.studies.models import Answer, AnswerChange, Assignment
from cmr_reader.studies.questionnaire import InvalidAnswer
from tests.studies_tests.conftest import NOW, build_study

pytestmark = pytest.mark.django_db


def first_assignment(user) -> Assignment:
    return Assignment.objects.filter(reader=user, is_repeat=False).order_by("position").first()


def answer_everything(assignment: Assignment, user, *, now=NOW) -> None:
    for slot in "AB":
        for criterion in ("correctness", "completeness", "readability"):
            answers.save_answer(
                assignment_id=assignment.pk, user=user, item=f"{slot}.{criterion}", value=4, now=now
            )
        answers.save_answer(
            assignment_id=assignment.pk, user=user, item=f"{slot}.error", value=False, now=now
        )
    answers.save_answer(assignment_id=assignment.pk, user=user, item="pair.preference", value="A", now=now)
    answers.save_answer(assignment_id=assignment.pk, user=user, item="pair.ai_guess", value="unsure", now=now)


def test_an_answer_is_saved_once_and_every_change_is_audited(assigned_study, reader):
    assignment = first_assignment(reader)
    save = dict(assignment_id=assignment.pk, user=reader, item="A.correctness", now=NOW)

    answers.save_answer(value=3, **save)
    answers.save_answer(value=3, **save)  # the same value again (a retry): nothing new
    answers.save_answer(value=5, **save)

    answer = Answer.objects.get(assignment=assignment, item="A.correctness")
    assert (answer.value, answer.version) == (5, 2)
    history = list(
        AnswerChange.objects.filter(assignment=assignment).values_list("old_value", "new_value", "changed_by")
    )
    assert history == [(None, 3, reader.pk), (3, 5, reader.pk)]
    assignment.refresh_from_db()
    assert assignment.opened_at == NOW


def test_invalid_values_are_refused_and_nothing_is_stored(assigned_study, reader):
    assignment = first_assignment(reader)
    with pytest.raises(InvalidAnswer):
        answers.save_answer(assignment_id=assignment.pk, user=reader, item="A.correctness", value=9, now=NOW)
    assert not Answer.objects.exists() and not AnswerChange.objects.exists()


def test_submit_needs_every_required_answer_and_a_second_submit_changes_nothing(assigned_study, reader):
    assignment = first_assignment(reader)
    with pytest.raises(answers.CaseIncomplete) as incomplete:
        answers.submit(assignment_id=assignment.pk, user=reader, now=NOW)
    assert "A.correctness" in incomplete.value.missing

    answer_everything(assignment, reader)
    answers.submit(assignment_id=assignment.pk, user=reader, now=NOW)
    answers.submit(assignment_id=assignment.pk, user=reader, now=NOW + timedelta(minutes=5))

    assignment.refresh_from_db()
    assert assignment.submitted_at == NOW


def test_revisits_are_recorded_as_changes_after_submission(assigned_study, reader):
    assignment = first_assignment(reader)
    answer_everything(assignment, reader)
    answers.submit(assignment_id=assignment.pk, user=reader, now=NOW)

    later = NOW + timedelta(hours=1)
    answers.save_answer(assignment_id=assignment.pk, user=reader, item="B.readability", value=2, now=later)

    change = AnswerChange.objects.filter(item="B.readability").latest("id")
    assert (change.old_value, change.new_value, change.after_submit, change.changed_at) == (4, 2, True, later)


def test_without_revisits_a_submitted_case_is_closed(reader, other_reader):
    build_study(readers=[reader, other_reader], allow_revisit=False)
    assignment = first_assignment(reader)
    answer_everything(assignment, reader)
    answers.submit(assignment_id=assignment.pk, user=reader, now=NOW)
    with pytest.raises(answers.AnswerRejected):
        answers.save_answer(assignment_id=assignment.pk, user=reader, item="A.correctness", value=1, now=NOW)
    assert Answer.objects.get(assignment=assignment, item="A.correctness").value == 4


def test_a_reader_cannot_write_into_another_readers_assignment(assigned_study, reader, other_reader):
    theirs = first_assignment(other_reader)
    with pytest.raises(Assignment.DoesNotExist):
        answers.save_answer(assignment_id=theirs.pk, user=reader, item="A.correctness", value=1, now=NOW)


def test_repeat_reads_open_only_after_the_washout(reader, other_reader):
    build_study(readers=[reader, other_reader], washout_fraction=0.5, washout_days=14)
    repeat = Assignment.objects.filter(reader=reader, is_repeat=True).first()
    assert repeat.available_from == NOW + timedelta(days=14)
    with pytest.raises(answers.AnswerRejected):
        answers.save_answer(assignment_id=repeat.pk, user=reader, item="A.correctness", value=3, now=NOW)
    answers.save_answer(
        assignment_id=repeat.pk, user=reader, item="A.correctness", value=3, now=NOW + timedelta(days=14)
    )


@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_and_submitting_at_once_keep_one_submission_and_every_answer(reader, other_reader):
    build_study(readers=[reader, other_reader])
    assignment = first_assignment(reader)
    answer_everything(assignment, reader)
    errors = []
    barrier = threading.Barrier(4)

    def work(action):
        try:
            barrier.wait()
            action()
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    actions = [
        lambda: answers.submit(assignment_id=assignment.pk, user=reader, now=NOW),
        lambda: answers.submit(assignment_id=assignment.pk, user=reader, now=NOW + timedelta(seconds=1)),
        lambda: answers.save_answer(
            assignment_id=assignment.pk, user=reader, item="pair.comment", value="tab 1", now=NOW
        ),
        lambda: answers.save_answer(
            assignment_id=assignment.pk, user=reader, item="A.readability", value=1, now=NOW
        ),
    ]
    threads = [threading.Thread(target=work, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assignment.refresh_from_db()
    assert assignment.submitted_at in (NOW, NOW + timedelta(seconds=1))
    stored = dict(Answer.objects.filter(assignment=assignment).values_list("item", "value"))
    assert stored["pair.comment"] == "tab 1" and stored["A.readability"] == 1
    assert AnswerChange.objects.filter(assignment=assignment, item="A.readability").count() == 2
    # In row order (the order the lock let the writes in), each item's history ends with its value.
    for item, value in stored.items():
        assert (
            list(
                AnswerChange.objects.filter(assignment=assignment, item=item).values_list(
                    "new_value", flat=True
                )
            )[-1]
            == value
        )
