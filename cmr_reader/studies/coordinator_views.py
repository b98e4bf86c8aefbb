"""Coordinator pages: create a study, add cases and readers, preview the design, confirm and
assign, watch progress, and export the unblinding key. Statisticians may look and export, not
change. Building the case list by filter or sample is ``case_list_views``."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cmr_reader import spreadsheet_csv
from cmr_reader.accounts.access_log import Action, record_access
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES, Role, has_role
from cmr_reader.analysis.study_data import collect_study
from cmr_reader.analysis.study_exports import ratings_csv_rows
from cmr_reader.studies import assign as assigning
from cmr_reader.studies import blinding, case_list, study_texts
from cmr_reader.studies.blinding_labels import WITHHELD_LABELS, feature_label
from cmr_reader.studies.design import DesignError
from cmr_reader.studies.exports import answer_rows, audit_rows, unblinding_rows
from cmr_reader.studies.forms import (
    DESIGN_FIELDS,
    AssignConfirmForm,
    CriterionFormSet,
    ReadersForm,
    StudyForm,
)
from cmr_reader.studies.models import ReaderStudy, StudyCase
from cmr_reader.studies.pairs import pairing
from cmr_reader.studies.selection_labels import history_rows

SHOWN_MISMATCHES = 50
DISPLAY_PAGE_SIZE = 20


@role_required(*STAFF_ROLES)
def study_list(request: HttpRequest) -> HttpResponse:
    studies = ReaderStudy.objects.annotate(
        case_count=Count("study_cases", distinct=True), reader_count=Count("study_readers", distinct=True)
    )
    return render(request, "studies/study_list.html", {"studies": studies})


@role_required(Role.COORDINATOR)
def study_create(request: HttpRequest) -> HttpResponse:
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        study = form.save(commit=False)
        study.created_by = request.user
        study.save()
        assigning.add_default_criteria(study)
        messages.success(request, _("Study created with the default criteria."))
        return redirect("studies:detail", study_id=study.pk)
    return render(request, "studies/study_form.html", {"form": form})


@role_required(*STAFF_ROLES)
def study_detail(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(ReaderStudy, pk=study_id)
    cases = pairing()
    context = {
        "study": study,
        "criteria": study.criteria.all(),
        "eligible": len(cases.pairs),
        "mismatches": cases.mismatches[:SHOWN_MISMATCHES],
        "mismatch_count": len(cases.mismatches),
    }
    context.update(_audit_context(blinding.latest_audit(study)))
    if study.state == ReaderStudy.State.DRAFT:
        try:
            summary = assigning.preview(study)
        except DesignError as error:
            context["design_error"] = design_error_text(error)
        else:
            names = dict(study.study_readers.values_list("reader_id", "reader__username"))
            context["summary"] = summary
            context["preview_rows"] = [
                (names.get(rid, rid), counts) for rid, counts in summary.readers.items()
            ]
        context["readers_form"] = ReadersForm(
            initial={"readers": [r.reader_id for r in study.study_readers.all()]}
        )
        context["form"] = StudyForm(instance=study)
    else:
        context["reader_progress"] = (
            study.assignments.values("reader__username")
            .annotate(
                done=Count("id", filter=Q(submitted_at__isnull=False)),
                total=Count("id"),
                repeats=Count("id", filter=Q(is_repeat=True)),
            )
            .order_by("reader__username")
        )
        context["case_progress"] = (
            study.study_cases.values("case__case_id")
            .annotate(
                done=Count("assignments", filter=Q(assignments__submitted_at__isnull=False)),
                total=Count("assignments"),
            )
            .order_by("case__case_id")
        )
    context["readers"] = study.study_readers.select_related("reader")
    if study.state == ReaderStudy.State.ASSIGNED:
        # Once reading has started readers can only be added: the form offers the others alone.
        context["readers_form"] = ReadersForm(
            exclude=[r.reader_id for r in context["readers"]], label=_("Readers to add")
        )
    # Statisticians see the study as coordinators do, without what changes it.
    context["can_change"] = has_role(request.user, Role.COORDINATOR)
    if not context["can_change"] and "form" in context:
        for field in context["form"].fields.values():
            field.disabled = True
    context["case_count"] = study.study_cases.count()
    context["history"] = history_rows(study)
    return render(request, "studies/study_detail.html", context)


@require_POST
@role_required(Role.COORDINATOR)
def study_update(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(ReaderStudy, pk=study_id)
    if study.is_design_locked:
        messages.error(request, _("The design is locked once reading has started."))
        return redirect("studies:detail", study_id=study.pk)
    form = StudyForm(request.POST, instance=study)
    if form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
    else:
        messages.error(
            request,
            _("Not saved: %(errors)s")
            % {"errors": "; ".join(e for errs in form.errors.values() for e in errs)},
        )
    return redirect("studies:detail", study_id=study.pk)


@role_required(Role.COORDINATOR)
def study_criteria(request: HttpRequest, study_id: int) -> HttpResponse:
    """Edit the criteria and the wording of their points, until the study is assigned."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    if study.is_design_locked:
        messages.error(request, _("The design is locked once reading has started."))
        return redirect("studies:detail", study_id=study.pk)
    formset = CriterionFormSet(request.POST or None, instance=study)
    if request.method == "POST":
        if formset.is_valid():
            formset.save()
            messages.success(request, _("Criteria saved."))
            return redirect("studies:detail", study_id=study.pk)
        # The errors are shown beside their fields, which may be far down the page.
        problems = sum(1 for errors in formset.errors if errors)
        messages.error(
            request,
            ngettext(
                "Not saved: %(count)d criterion has a problem, marked below in red.",
                "Not saved: %(count)d criteria have problems, marked below in red.",
                problems,
            )
            % {"count": problems}
            if problems
            else _("Not saved: see the problem above the criteria."),
        )
    return render(request, "studies/criteria_form.html", {"study": study, "formset": formset})


@require_POST
@role_required(Role.COORDINATOR)
def study_add_cases(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(ReaderStudy, pk=study_id)
    if study.state == ReaderStudy.State.CLOSED:
        messages.error(request, _("A closed study takes no more cases."))
        return redirect("studies:detail", study_id=study.pk)
    if study.state == ReaderStudy.State.ASSIGNED and request.POST.get("confirm") != "on":
        # Cases given to readers cannot be taken back: the coordinator says so first.
        messages.error(
            request, _("Nothing added: tick the box to confirm that the cases are added for good.")
        )
        return redirect("studies:detail", study_id=study.pk)
    added = case_list.add_selection(
        study=study,
        filters={},
        sample_size=None,
        seed=None,
        stratify_by="",
        allocation="",
        user=request.user,
        now=timezone.now(),
    ).case_count
    messages.success(request, _("%(count)d case(s) added.") % {"count": added})
    _extend_if_reading(request, study)
    return redirect("studies:detail", study_id=study.pk)


def _extend_if_reading(request: HttpRequest, study: ReaderStudy) -> None:
    """A study being read gives new cases and readers their readings at once."""
    if study.state == ReaderStudy.State.ASSIGNED:
        created = assigning.extend(study, now=timezone.now())
        messages.success(request, _("%(count)d new reading(s) assigned.") % {"count": created})


@require_POST
@role_required(Role.COORDINATOR)
def study_set_readers(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(ReaderStudy, pk=study_id)
    form = ReadersForm(request.POST)
    if study.state == ReaderStudy.State.CLOSED:
        messages.error(request, _("A closed study takes no more readers."))
    elif form.is_valid():
        if study.state == ReaderStudy.State.DRAFT:
            study.study_readers.exclude(reader__in=form.cleaned_data["readers"]).delete()
        # Once reading has started readers can only be added: their readings are kept.
        assigning.add_readers(study, form.cleaned_data["readers"])
        messages.success(request, _("Readers saved."))
        _extend_if_reading(request, study)
    else:
        messages.error(request, _("Readers not saved: tick one or more readers from the list."))
    return redirect("studies:detail", study_id=study.pk)


@require_POST
@role_required(Role.COORDINATOR)
def study_blinding_audit(request: HttpRequest, study_id: int) -> HttpResponse:
    """Run the blinding audit over the study's pairs as readers will see them."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    audit = blinding.run_blinding_audit(study=study, user=request.user, now=timezone.now())
    _say_audit(request, audit)
    return redirect(f"{reverse('studies:detail', args=[study.pk])}#blinding")


def _audit_context(audit) -> dict:
    """The latest audit with its keys in words, for the study page."""
    if audit is None:
        return {"audit": None}
    result = audit.result
    features = [
        {**row, "label": feature_label(row["feature"]), "larger_in_ai": row["weight"] > 0}
        for row in result["features"]
    ]
    withheld = [
        {
            "label": WITHHELD_LABELS[reason],
            "reference": result["withheld"]["reference"][reason],
            "ai": result["withheld"]["ai"][reason],
        }
        for reason in WITHHELD_LABELS
    ]
    percents = {}
    if audit.accuracy is not None:
        percents = {key: f"{result[key]:.0%}" for key in ("accuracy", "ci_low", "ci_high")}
        percents["threshold"] = f"{audit.threshold:.0%}"
    return {
        "audit": audit,
        "audit_features": features,
        "audit_withheld": withheld,
        "audit_percents": percents,
    }


def _say_audit(request: HttpRequest, audit) -> None:
    if audit.accuracy is None:
        messages.warning(
            request, _("Blinding audit: too few pairs to audit (%(count)d).") % {"count": audit.pair_count}
        )
    elif audit.exceeds_threshold:
        messages.error(
            request,
            _(
                "Blinding audit: the AI report can be told by its form in %(accuracy)s of pairs, above the study's threshold of %(threshold)s."
            )
            % {"accuracy": f"{audit.accuracy:.0%}", "threshold": f"{audit.threshold:.0%}"},
        )
    else:
        messages.success(
            request,
            _(
                "Blinding audit: %(accuracy)s of pairs told apart by form, within the study's threshold of %(threshold)s."
            )
            % {"accuracy": f"{audit.accuracy:.0%}", "threshold": f"{audit.threshold:.0%}"},
        )


@role_required(*STAFF_ROLES)
def study_display(request: HttpRequest, study_id: int) -> HttpResponse:
    """Per case, what readers will see of both reports and what was withheld, and why."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    study_cases = StudyCase.objects.filter(study=study)
    query = request.GET.get("case", "").strip()
    if query:
        study_cases = study_cases.filter(case__case_id__icontains=query)
    page = Paginator(
        study_cases.order_by("case__case_id", "id").values_list("pk", flat=True), DISPLAY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    pairs = blinding.displayed_pairs(StudyCase.objects.filter(pk__in=list(page.object_list)))
    context = {
        "study": study,
        "pairs": pairs,
        "page": page,
        "query": query,
        # Both languages as written: each reader sees one of them (studies/study_texts.py).
        "instructions_en": study_texts.instructions_html(study, study_texts.ENGLISH, fallback=False),
        "instructions_zh": study_texts.instructions_html(study, study_texts.CHINESE, fallback=False),
    }
    return render(request, "studies/study_display.html", context)


@role_required(Role.COORDINATOR)
def study_confirm_assign(request: HttpRequest, study_id: int) -> HttpResponse:
    """What assigning will lock, stated before the coordinator confirms it."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    if study.state != ReaderStudy.State.DRAFT:
        messages.error(request, _("This study has already been assigned."))
        return redirect("studies:detail", study_id=study.pk)
    try:
        summary = assigning.preview(study)
    except DesignError as error:
        messages.error(request, design_error_text(error))
        return redirect("studies:detail", study_id=study.pk)
    audit = blinding.latest_audit(study)
    context = {
        "study": study,
        "summary": summary,
        "case_count": study.study_cases.count(),
        "readers": study.study_readers.select_related("reader").order_by("reader__username"),
        "criteria": study.criteria.all(),
        "parameters": _design_parameters(study),
        "audit": audit,
        "audit_current": _audit_covers(study, audit),
        "form": AssignConfirmForm(initial={"design": assigning.design_fingerprint(study)}),
    }
    return render(request, "studies/confirm_assign.html", context)


def _design_parameters(study: ReaderStudy) -> list[tuple[str, str]]:
    """The design as it will be locked, as (label, value) rows."""
    rows = []
    for name in (*DESIGN_FIELDS, "seed"):
        value = getattr(study, name)
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif value is None:
            value = _("none")
        rows.append((str(ReaderStudy._meta.get_field(name).verbose_name), str(value)))
    rows.append(
        (str(ReaderStudy._meta.get_field("side_scheme").verbose_name), study.get_side_scheme_display())
    )
    return rows


def _audit_covers(study: ReaderStudy, audit) -> bool:
    """Whether ``audit`` was made over the study's pairs as they are now."""
    return (
        audit is not None
        and audit.pair_count == study.study_cases.count()
        and not case_list.changed_since(study, audit.created_at)
    )


@require_POST
@role_required(Role.COORDINATOR)
def study_assign(request: HttpRequest, study_id: int) -> HttpResponse:
    """Lock the design and open reading, only with the confirmation page's ticked box."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    form = AssignConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Not assigned: confirm on this page that the design, criteria and cases are to be locked."),
        )
        if study.state == ReaderStudy.State.DRAFT:
            return redirect("studies:confirm_assign", study_id=study.pk)
        return redirect("studies:detail", study_id=study.pk)
    if study.state == ReaderStudy.State.DRAFT and not _audit_covers(study, blinding.latest_audit(study)):
        # The paper reports an audit of the pairs as assigned: make one unless the latest covers them.
        _say_audit(request, blinding.run_blinding_audit(study=study, user=request.user, now=timezone.now()))
    try:
        count = assigning.assign(study, now=timezone.now(), expected_design=form.cleaned_data["design"])
    except assigning.DesignChanged as error:
        messages.error(request, str(error))
        return redirect("studies:confirm_assign", study_id=study.pk)
    except DesignError as error:
        messages.error(request, design_error_text(error))
    except assigning.StudyLocked as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(count)d readings assigned. Reading is open.") % {"count": count})
    return redirect("studies:detail", study_id=study.pk)


def design_error_text(error: DesignError) -> str:
    """Why no design can be made, in the page's language (design.py keeps the messages English)."""
    reasons = "; ".join(_(reason.message) % dict(reason.values) for reason in error.reasons)
    return _("No design can be made: %(reasons)s.") % {"reasons": reasons}


def _csv_response(rows, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    spreadsheet_csv.write_rows(rows, response)
    return response


@role_required(*STAFF_ROLES)
def unblinding_key(request: HttpRequest, study_id: int) -> HttpResponse:
    """Which slot held the AI report in every assignment: for analysis after reading ends."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    record_access(request, action=Action.EXPORT_UNBLINDING, target=study.pk, study=study.pk)
    return _csv_response(unblinding_rows(study), filename=f"study-{study.pk}-unblinding.csv")


@role_required(*STAFF_ROLES)
def ratings_export(request: HttpRequest, study_id: int) -> HttpResponse:
    """The 1-5 criteria of the readings the statistics use, unblinded (arm reference / ai): the
    input of ``manage.py agreement``, which gives the dashboard's agreement table from it."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    record_access(request, action=Action.EXPORT_RATINGS, target=study.pk, study=study.pk)
    return _csv_response(ratings_csv_rows(collect_study(study)), filename=f"study-{study.pk}-ratings.csv")


@role_required(*STAFF_ROLES)
def answers_export(request: HttpRequest, study_id: int) -> HttpResponse:
    """Every answer (criteria, error flags, preference, AI guess, comments), unblinded."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    record_access(request, action=Action.EXPORT_ANSWERS, target=study.pk, study=study.pk)
    return _csv_response(answer_rows(study), filename=f"study-{study.pk}-answers.csv")


@role_required(*STAFF_ROLES)
def audit_export(request: HttpRequest, study_id: int) -> HttpResponse:
    """The audit history: every change of every answer."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    record_access(request, action=Action.EXPORT_AUDIT, target=study.pk, study=study.pk)
    return _csv_response(audit_rows(study), filename=f"study-{study.pk}-audit.csv")
