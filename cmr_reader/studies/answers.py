"""Saving a reader's answers, submitting a case, and the audit history. Every write locks the
assignment row first, so two tabs or a double-clicked submit serialise instead of racing.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from cmr_reader.studies.models import Answer, AnswerChange, Assignment, ReaderStudy
from cmr_reader.studies.questionnaire import Questionnaire

# One activity report adds at most this much: a tab left open overnight is not reading time.
MAX_ACTIVITY_SECONDS = 120.0


class AnswerRejected(Exception):
    """The answer cannot be saved now (submitted case, not yet available, invalid value)."""


class CaseIncomplete(Exception):
    def __init__(self, missing: list[str]):
        super().__init__(_("Answer every required item first."))
        self.missing = missing


def questionnaire_for(study: ReaderStudy) -> Questionnaire:
    return Questionnaire(
        criteria=tuple(study.criteria.values_list("key", flat=True)),
        ask_preference=study.ask_preference,
        ask_ai_guess=study.ask_ai_guess,
        ask_error_flags=study.ask_error_flags,
        ask_comment=study.ask_comment,
    )


def current_answers(assignment: Assignment) -> dict[str, object]:
    return dict(assignment.answers.values_list("item", "value"))


def save_answer(*, assignment_id: int, user, item: str, value, now: datetime) -> "SavedAnswer":
    """Store one answer (idempotent: the same value again changes nothing) and audit the change;
    returns the answer's version and the required items still missing.

    Raises ``InvalidAnswer`` for a value that does not fit the item and ``AnswerRejected`` when
    the case is not open for changes. One lock, one read of the case's answers, at most one
    write of each kind: this runs on every click of every reader.
    """
    with transaction.atomic():
        assignment = _locked(assignment_id, user=user)
        _check_open(assignment, now=now)
        questionnaire = questionnaire_for(assignment.study)
        cleaned = questionnaire.clean(item, value)
        stored = {answer.item: answer for answer in Answer.objects.filter(assignment=assignment)}
        answer = stored.get(item)
        old = answer.value if answer else None
        if not (answer is None and cleaned is None) and not (answer is not None and answer.value == cleaned):
            if answer is None:
                answer = Answer.objects.create(assignment=assignment, item=item, value=cleaned, updated_at=now)
                stored[item] = answer
            else:
                answer.value, answer.version, answer.updated_at = cleaned, answer.version + 1, now
                answer.save(update_fields=["value", "version", "updated_at"])
            AnswerChange.objects.create(
                assignment=assignment,
                item=item,
                old_value=old,
                new_value=cleaned,
                changed_by=user,
                changed_at=now,
                after_submit=assignment.submitted_at is not None,
            )
            if assignment.opened_at is None:
                Assignment.objects.filter(pk=assignment.pk).update(opened_at=now)
        missing = questionnaire.missing({key: a.value for key, a in stored.items()})
        return SavedAnswer(version=answer.version if answer else 0, missing=missing)


@dataclass(frozen=True)
class SavedAnswer:
    version: int  # 0 when the item has no answer
    missing: list[str]


def submit(*, assignment_id: int, user, now: datetime) -> Assignment:
    """Mark the case done once every required item is answered; a second submit changes nothing."""
    with transaction.atomic():
        assignment = _locked(assignment_id, user=user)
        if assignment.submitted_at is not None:
            return assignment
        _check_open(assignment, now=now)
        missing = questionnaire_for(assignment.study).missing(current_answers(assignment))
        if missing:
            raise CaseIncomplete(missing)
        assignment.submitted_at = now
        assignment.opened_at = assignment.opened_at or now
        assignment.save(update_fields=["submitted_at", "opened_at"])
        return assignment


def mark_opened(assignment: Assignment, *, now: datetime) -> None:
    Assignment.objects.filter(pk=assignment.pk, opened_at__isnull=True).update(opened_at=now)


def record_activity(*, assignment_id: int, user, seconds: float) -> None:
    """Add client-measured active time (page visible and used) to the assignment."""
    seconds = max(0.0, min(float(seconds), MAX_ACTIVITY_SECONDS))
    with transaction.atomic():
        assignment = _locked(assignment_id, user=user)
        assignment.active_seconds += seconds
        assignment.save(update_fields=["active_seconds"])


def _locked(assignment_id: int, *, user) -> Assignment:
    return Assignment.objects.select_for_update().select_related("study").get(pk=assignment_id, reader=user)


def _check_open(assignment: Assignment, *, now: datetime) -> None:
    if assignment.study.state != ReaderStudy.State.ASSIGNED:
        raise AnswerRejected(_("This study is not open for reading."))
    if assignment.available_from > now:
        raise AnswerRejected(_("This case is not available yet."))
    if assignment.submitted_at is not None and not assignment.study.allow_revisit:
        raise AnswerRejected(_("This case was submitted and can no longer be changed."))
