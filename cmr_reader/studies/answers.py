"""Saving a reader's answers, submitting a case, reading time, and the audit history. Every
write locks the assignment row first, so two tabs or a double-clicked submit serialise instead
of racing.

Answers stay whole: before submitting, a reader may take any answer back (audited like any
change); once a case is submitted, no change may leave a required item unanswered.
"""

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from cmr_reader.studies import answer_statements
from cmr_reader.studies.models import Assignment, Criterion, ReaderStudy
from cmr_reader.studies.questionnaire import Questionnaire

# The reading page reports its active time every 30 s (static/js/reading.js) and adds a report
# that failed to the next one.
ACTIVITY_REPORT_SECONDS = 30.0
# One report counts at most a few missed reports: a tab left open overnight is not reading time.
MAX_ACTIVITY_SECONDS = 4 * ACTIVITY_REPORT_SECONDS
# How far counted time may run ahead of the server's clock, so that a report arriving a little
# early (the previous one was delayed on the network) still counts whole.
ACTIVITY_SLACK_SECONDS = 1.0


class AnswerRejected(Exception):
    """The answer cannot be saved now (submitted case, not yet available, invalid value)."""


class SubmittedCaseWouldBeIncomplete(AnswerRejected):
    """A change to a submitted case that would leave required items unanswered; nothing changed."""

    def __init__(self, missing: list[str]):
        super().__init__(
            _("A submitted case must stay complete. This change would leave unanswered: %(items)s.")
            % {"items": ", ".join(missing)}
        )
        self.missing = missing


class CaseIncomplete(Exception):
    def __init__(self, missing: list[str]):
        super().__init__(_("Answer every required item first."))
        self.missing = missing


class NotOpenToReader(Exception):
    """No open assignment of this reader has that id (unknown, someone else's, or not open yet)."""


class InvalidActivity(ValueError):
    """An activity report that is not a finite number of seconds, zero or more."""


def questionnaire_for(study: ReaderStudy) -> Questionnaire:
    criteria = (
        _criteria_of_locked_design(study.pk, study.created_at)
        if study.is_design_locked
        else _criteria_keys(study.pk)
    )
    return Questionnaire(
        criteria=criteria,
        ask_preference=study.ask_preference,
        ask_ai_guess=study.ask_ai_guess,
        ask_error_flags=study.ask_error_flags,
        ask_comment=study.ask_comment,
    )


def _criteria_keys(study_id: int) -> tuple[str, ...]:
    return tuple(
        Criterion.objects.filter(study_id=study_id).order_by("order", "id").values_list("key", flat=True)
    )


@functools.lru_cache(maxsize=1024)
def _criteria_of_locked_design(study_id: int, created_at: datetime) -> tuple[str, ...]:
    """A study's criteria once its design is locked (assigned): they never change again, so each
    process reads them once instead of on every save. Keyed by the creation time as well, so a
    study id reused (a test database rolled back) is never served another study's criteria."""
    return _criteria_keys(study_id)


def current_answers(assignment: Assignment) -> dict[str, object]:
    return dict(assignment.answers.values_list("item", "value"))


def save_answer(
    *, assignment_id: int | None = None, public_id: str | None = None, user, item: str, value, now: datetime
) -> "SavedAnswer":
    """Store one answer (idempotent: the same value again changes nothing) and audit the change;
    returns the answer's version and the required items still missing. A blank value (null, "",
    []) takes the answer back: its row goes, and the audit keeps the old value.

    Raises ``InvalidAnswer`` for a value that does not fit the item, ``AnswerRejected`` when the
    case is not open for changes, and ``SubmittedCaseWouldBeIncomplete`` when a submitted case
    would lose a required answer (a cleared score, or an error flag turned to yes without its
    categories and comment); the stored value is then kept. One lock, one read of the case's
    answers, at most one write of each kind: this runs on every click of every reader.

    By ``public_id`` (the reading page's autosave), the lock's own query finds the reader's open
    assignment and raises ``NotOpenToReader`` when there is none, so that a save takes no
    separate lookup.
    """
    with transaction.atomic():
        # Written-out SQL (answer_statements, decision 0031): this runs on every click.
        if public_id is not None:
            case = answer_statements.lock_open(public_id, reader_id=user.pk, now=now)
            if case is None:
                raise NotOpenToReader
            _check_revisable(submitted=case.submitted, study=case.study)
        else:
            assert assignment_id is not None, "save_answer needs an assignment_id or a public_id"
            assignment = _locked(assignment_id, user=user)
            _check_open(assignment, now=now)
            case = answer_statements.LockedCase(
                assignment_id=assignment.pk,
                submitted=assignment.submitted_at is not None,
                opened=assignment.opened_at is not None,
                study=assignment.study,
            )
        questionnaire = questionnaire_for(case.study)
        cleaned = questionnaire.clean(item, value)
        stored = answer_statements.answers_of(case.assignment_id)
        before = {key: answer.value for key, answer in stored.items()}
        after = {key: v for key, v in before.items() if key != item}
        if cleaned is not None:
            after[item] = cleaned
        missing = questionnaire.missing(after)
        if case.submitted:
            # Only what this change would newly leave missing: a case stored incomplete before
            # this rule existed can still be mended one answer at a time.
            was_missing = set(questionnaire.missing(before))
            newly_missing = [key for key in missing if key not in was_missing]
            if newly_missing:
                raise SubmittedCaseWouldBeIncomplete(newly_missing)
        answer = stored.get(item)
        if (item in before and before[item] == cleaned) or (item not in before and cleaned is None):
            return SavedAnswer(version=answer.version if answer else 0, missing=missing)
        version = answer_statements.write_change(
            answer_statements.Change(
                assignment_id=case.assignment_id,
                item=item,
                before=answer,
                value=cleaned,
                user_id=user.pk,
                now=now,
                after_submit=case.submitted,
                first_opening=not case.opened,
            )
        )
        return SavedAnswer(version=version, missing=missing)


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


def record_activity(*, assignment_id: int, user, seconds: float, now: datetime) -> float:
    """Add client-measured active time (page visible and used) to the assignment; returns the
    seconds counted.

    The client's word is capped by the clock: a report counts at most the time since the time
    already counted ends (the previous report, or opening the case), plus a second of slack,
    and at most ``MAX_ACTIVITY_SECONDS``. Repeated or parallel reports therefore add no more
    than the time that really passed. Raises ``InvalidActivity`` for a negative or non-finite
    number.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidActivity(_("Send JSON with a number of seconds, zero or more."))
    with transaction.atomic():
        assignment = _locked(assignment_id, user=user)
        counted_to = assignment.last_activity_at or assignment.opened_at or now
        since = max(counted_to, now - timedelta(seconds=MAX_ACTIVITY_SECONDS))
        room = (now - since).total_seconds() + ACTIVITY_SLACK_SECONDS
        counted = max(0.0, min(seconds, MAX_ACTIVITY_SECONDS, room))
        assignment.active_seconds += counted
        # Never moves back: a request that started earlier but got the lock later counts nothing.
        assignment.last_activity_at = max(counted_to, now, since + timedelta(seconds=counted))
        assignment.save(update_fields=["active_seconds", "last_activity_at"])
        return counted


def _locked(assignment_id: int, *, user) -> Assignment:
    # of=("self",): the assignment row only. A plain FOR UPDATE over the join would lock the
    # study's row too, and every save of every reader of a study would queue on it.
    locking = Assignment.objects.select_for_update(of=("self",)).select_related("study")
    return locking.get(pk=assignment_id, reader=user)


def _check_open(assignment: Assignment, *, now: datetime) -> None:
    if assignment.study.state != ReaderStudy.State.ASSIGNED:
        raise AnswerRejected(_("This study is not open for reading."))
    if assignment.available_from > now:
        raise AnswerRejected(_("This case is not available yet."))
    _check_revisable(submitted=assignment.submitted_at is not None, study=assignment.study)


def _check_revisable(*, submitted: bool, study: ReaderStudy) -> None:
    if submitted and not study.allow_revisit:
        raise AnswerRejected(_("This case was submitted and can no longer be changed."))
