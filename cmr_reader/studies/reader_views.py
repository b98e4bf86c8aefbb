"""The reading workstation: a reader's studies, and one case with the viewer and reports A and B.

Readers reach assignments by opaque id; anything not theirs (or not open yet) is a 404, never a
403, so the answer does not reveal that it exists. Nothing rendered here names a report or
which slot holds the AI report.
"""

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cmr_reader.accounts import preferences
from cmr_reader.accounts.access_log import Action, record_access
from cmr_reader.accounts.models import READING_SPLIT_MAX, READING_SPLIT_MIN
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import Role
from cmr_reader.reports.normalise import normalise_for_display
from cmr_reader.studies import answers, reading, study_texts
from cmr_reader.studies.models import Assignment
from cmr_reader.studies.questionnaire import ERROR_CATEGORY_LABELS, SLOTS, InvalidAnswer
from cmr_reader.viewer.views import viewer_context

# The lang attribute of a report's text (BCP 47), for fonts and line breaking (static/css/site.css).
REPORT_LANG_TAGS = {"en": "en", "zh": "zh-Hans"}


@role_required(Role.READER)
def reading_home(request: HttpRequest) -> HttpResponse:
    progress = reading.progress_by_study(request.user, now=timezone.now())
    return render(request, "studies/reading_home.html", {"progress": progress})


@role_required(Role.READER)
def continue_study(request: HttpRequest, study_id: int) -> HttpResponse:
    now = timezone.now()
    if not reading.open_assignments(request.user, now=now).filter(study_id=study_id).exists():
        raise Http404
    following = reading.next_assignment(request.user, study_id=study_id, now=now)
    if following is None:
        return render(request, "studies/study_done.html", {})
    return redirect("reading:case", public_id=following.public_id)


def _own_assignment(request: HttpRequest, public_id: str) -> Assignment:
    try:
        return (
            reading.open_assignments(request.user, now=timezone.now())
            .select_related(
                "study", "study_case__case", "study_case__reference_report", "study_case__ai_report"
            )
            .get(public_id=public_id)
        )
    except Assignment.DoesNotExist:
        raise Http404 from None


def _own_assignment_id(request: HttpRequest, public_id: str) -> int:
    """The pk of the reader's open assignment (the autosave's one cheap lookup), else 404."""
    found = reading.open_assignments(request.user, now=timezone.now()).filter(public_id=public_id)
    assignment_id = found.values_list("pk", flat=True).first()
    if assignment_id is None:
        raise Http404
    return assignment_id


@role_required(Role.READER)
def reading_case(request: HttpRequest, public_id: str) -> HttpResponse:
    assignment = _own_assignment(request, public_id)
    now = timezone.now()
    answers.mark_opened(assignment, now=now)
    # The case and the study only: nothing about slots or reports, which stay blinded.
    record_access(
        request,
        action=Action.READING_CASE,
        target=assignment.study_case.case.case_id,
        study=assignment.study_id,
    )
    study = assignment.study
    questionnaire = answers.questionnaire_for(study)
    given = answers.current_answers(assignment)
    # In the reader's language, the same for both slots.
    criteria = [study_texts.criterion_text(c, get_language()) for c in study.criteria.all()]
    # One language for the pair (the reference's; a study pairs only reports in one language), so
    # that both reports get the same section titles and lang attribute.
    language = assignment.study_case.reference_report.language
    texts = {
        slot: normalise_for_display(assignment.report_in_slot(slot).text, language=language) for slot in SLOTS
    }
    slots = [
        {
            "slot": slot,
            "text": texts[slot],
            "lang": REPORT_LANG_TAGS[language],
            "criteria": [
                {"criterion": c, "item": f"{slot}.{c.key}", "value": given.get(f"{slot}.{c.key}")}
                for c in criteria
            ],
            "error": given.get(f"{slot}.error"),
            "error_categories": given.get(f"{slot}.error_categories") or [],
            "error_comment": given.get(f"{slot}.error_comment") or "",
        }
        for slot in SLOTS
    ]
    position = reading.open_assignments(request.user, now=now).filter(study=study)
    context = {
        "assignment": assignment,
        "study": study,
        "instructions": study_texts.instructions_html(study, get_language()),
        "slots": slots,
        "pair": {
            key.split(".", 1)[1]: given.get(key)
            for key in questionnaire.item_keys()
            if key.startswith("pair.")
        },
        "missing": questionnaire.missing(given),
        "error_categories": list(ERROR_CATEGORY_LABELS.items()),
        "locked": assignment.submitted_at is not None and not study.allow_revisit,
        "done_count": position.filter(submitted_at__isnull=False).count(),
        "total_count": position.count(),
        "reading_split": preferences.reading_split_of(request.user),
        "reading_split_bounds": (READING_SPLIT_MIN, READING_SPLIT_MAX),
        **viewer_context(request, case=assignment.study_case.case),
    }
    return render(request, "studies/reading_case.html", context)


@require_POST
@role_required(Role.READER)
def save_answer(request: HttpRequest, public_id: str) -> JsonResponse:
    # The reader's own open assignment is found by the service's locking query (one round trip
    # fewer on every click); anything else is a 404 as on every reading URL.
    try:
        payload = json.loads(request.body)
        item, value = payload["item"], payload.get("value")
    except (ValueError, KeyError, TypeError, RecursionError):
        # RecursionError: JSON nested thousands deep, which only a script sends.
        return JsonResponse({"ok": False, "error": _("Send JSON with an item and a value.")}, status=400)
    if not isinstance(item, str):
        return JsonResponse({"ok": False, "error": _("Send JSON with an item and a value.")}, status=400)
    try:
        saved = answers.save_answer(
            public_id=public_id, user=request.user, item=item, value=value, now=timezone.now()
        )
    except answers.NotOpenToReader:
        raise Http404 from None
    except InvalidAnswer as error:
        return JsonResponse({"ok": False, "error": str(error)}, status=400)
    except answers.SubmittedCaseWouldBeIncomplete as error:
        return JsonResponse({"ok": False, "error": str(error), "missing": error.missing}, status=409)
    except answers.AnswerRejected as error:
        return JsonResponse({"ok": False, "error": str(error)}, status=409)
    return JsonResponse({"ok": True, "version": saved.version, "missing": saved.missing})


@require_POST
@role_required(Role.READER)
def submit_case(request: HttpRequest, public_id: str) -> HttpResponse:
    assignment_id = _own_assignment_id(request, public_id)
    try:
        assignment = answers.submit(assignment_id=assignment_id, user=request.user, now=timezone.now())
    except answers.CaseIncomplete as incomplete:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"ok": False, "missing": incomplete.missing}, status=409)
        messages.error(
            request,
            _("Answer every required item before submitting (%(count)d left).")
            % {"count": len(incomplete.missing)},
        )
        return redirect("reading:case", public_id=public_id)
    except answers.AnswerRejected as error:
        return JsonResponse({"ok": False, "error": str(error)}, status=409)
    # Shown on the next case either way: the reading page goes there itself after a JSON answer.
    messages.success(request, _("Case submitted: your answers are saved."))
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": True, "next": _next_url(assignment)})
    return redirect(_next_url(assignment))


def _next_url(assignment: Assignment) -> str:
    return reverse("reading:continue", args=[assignment.study_id])


@require_POST
@role_required(Role.READER)
def record_activity(request: HttpRequest, public_id: str) -> JsonResponse:
    assignment_id = _own_assignment_id(request, public_id)
    try:
        seconds = json.loads(request.body)["seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return _activity_refused()
        seconds = float(seconds)  # OverflowError for an integer hundreds of digits long
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return _activity_refused()
    try:
        answers.record_activity(
            assignment_id=assignment_id, user=request.user, seconds=seconds, now=timezone.now()
        )
    except answers.InvalidActivity:
        return _activity_refused()
    return JsonResponse({"ok": True})


@require_POST
@role_required(Role.READER)
def save_reading_split(request: HttpRequest) -> JsonResponse:
    """The reader dragged the divider between images and reports: keep it for every case."""
    try:
        split = json.loads(request.body)["split"]
        saved = preferences.save_reading_split(user=request.user, split=split)
    except (ValueError, KeyError, TypeError, RecursionError):
        return JsonResponse(
            {
                "ok": False,
                "error": _("Send JSON with a split between %(low)s and %(high)s.")
                % {"low": READING_SPLIT_MIN, "high": READING_SPLIT_MAX},
            },
            status=400,
        )
    return JsonResponse({"ok": True, "split": saved})


def _activity_refused() -> JsonResponse:
    return JsonResponse(
        {"ok": False, "error": _("Send JSON with a number of seconds, zero or more.")}, status=400
    )
