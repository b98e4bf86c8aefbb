"""Coordinator pages that build a study's case list: add by the Cases page's filters or a seeded
sample (preview, then add), and list, search and remove the study's cases before assignment."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES, Role, has_role
from cmr_reader.imaging.case_search import CaseFilterForm
from cmr_reader.studies import case_list
from cmr_reader.studies.assign import StudyLocked
from cmr_reader.studies.forms import CaseSampleForm, RemoveCasesForm, StudyCaseSearchForm
from cmr_reader.studies.models import ReaderStudy
from cmr_reader.studies.selection_labels import selection_numbers, stratum_label, stratum_rows

CASE_PAGE_SIZE = 50


@role_required(Role.COORDINATOR)
def study_select_cases(request: HttpRequest, study_id: int) -> HttpResponse:
    """GET: the filters and the sample, with what they would add; POST: add it."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    if study.state != ReaderStudy.State.DRAFT:
        messages.error(
            request,
            _(
                "Cases are chosen by filter or sample only while the study is a draft; a study being read takes every eligible case from its page."
            ),
        )
        return redirect("studies:detail", study_id=study.pk)
    data = request.POST if request.method == "POST" else (request.GET or None)
    filter_form, sample_form = CaseFilterForm(data), CaseSampleForm(data)
    context = {"study": study, "filter_form": filter_form, "sample_form": sample_form}
    if data is not None and filter_form.is_valid() and sample_form.is_valid():
        sample = sample_form.cleaned_data
        if request.method == "POST":
            selection = case_list.add_selection(
                study=study,
                filters=filter_form.cleaned_data,
                sample_size=sample["sample_size"],
                seed=sample["seed"],
                stratify_by=sample["stratify_by"],
                allocation=sample["allocation"],
                user=request.user,
                now=timezone.now(),
            )
            messages.success(
                request,
                ngettext("%(count)d case added.", "%(count)d cases added.", selection.case_count)
                % {"count": selection.case_count},
            )
            return redirect(f"{reverse('studies:detail', args=[study.pk])}#case-selections")
        candidates = case_list.find_candidates(
            study=study, filters=filter_form.cleaned_data, stratify_by=sample["stratify_by"]
        )
        plan = case_list.plan_selection(
            candidates, sample_size=sample["sample_size"], allocation=sample["allocation"]
        )
        context.update(
            # The previewed choice, posted back as it was given (without the GET form's ids).
            carried=[
                (name, value)
                for form in (filter_form, sample_form)
                for name in form.fields
                if name != "sort"
                for value in data.getlist(name)
            ],
            candidates=candidates,
            to_add=sum(draw.chosen for draw in plan),
            strata=stratum_rows(sample["stratify_by"], plan) if sample["stratify_by"] else [],
        )
    return render(request, "studies/select_cases.html", context)


@role_required(*STAFF_ROLES)
def study_cases(request: HttpRequest, study_id: int) -> HttpResponse:
    """The study's cases, a page at a time, with a search; coordinators may remove them in a draft."""
    study = get_object_or_404(ReaderStudy, pk=study_id)
    form = StudyCaseSearchForm(request.GET or None)
    search = form.cleaned_data if form.is_bound and form.is_valid() else {}
    study_cases = (
        case_list.study_cases_matching(study, search)
        .select_related("case", "reference_report")
        .order_by("case__case_id", "id")
    )
    page = Paginator(study_cases, CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    numbers = selection_numbers(study)
    rows = [
        {
            "study_case": study_case,
            "diagnosis": stratum_label(
                "diagnosis", study_case.reference_report.diagnosis or case_list.UNSTATED
            ),
            "selection": numbers.get(study_case.selection_id),
        }
        for study_case in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "study": study,
        "form": form,
        "carried": [(name, value) for name, value in search.items() if value],
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "searched": any(search.values()),
        "can_remove": study.state == ReaderStudy.State.DRAFT and has_role(request.user, Role.COORDINATOR),
    }
    return render(request, "studies/study_cases.html", context)


@require_POST
@role_required(Role.COORDINATOR)
def study_remove_cases(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(ReaderStudy, pk=study_id)
    form = RemoveCasesForm(request.POST)
    back = reverse("studies:cases", args=[study.pk])
    if study.is_design_locked:
        messages.error(request, str(case_list.CasesLocked()))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Nothing was removed."))
        return redirect(back)
    search = {key: form.cleaned_data[key] for key in StudyCaseSearchForm.base_fields}
    ticked = form.cleaned_data["scope"] == "ticked"
    try:
        removal = case_list.remove_cases(
            study=study,
            study_case_ids=form.cleaned_data["study_case"] if ticked else None,
            search=None if ticked else search,
            user=request.user,
            now=timezone.now(),
        )
    except StudyLocked as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext("%(count)d case removed.", "%(count)d cases removed.", removal.case_count)
            % {"count": removal.case_count},
        )
    kept = {key: value for key, value in search.items() if value}
    return redirect(f"{back}?{urlencode(kept)}" if kept else back)
