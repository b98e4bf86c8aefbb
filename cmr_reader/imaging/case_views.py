"""The Cases page: one page of the search, with filters, sort and status columns."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES
from cmr_reader.imaging.case_search import (
    PAGE_SIZE,
    CaseFilterForm,
    cases_for_page,
    diagnosis_label,
    likely_page,
    ordered_ids,
)
from cmr_reader.imaging.models import Case, Series


@role_required(*STAFF_ROLES)
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    likely = likely_page(request.GET.get("page"), page_size=PAGE_SIZE)
    page = Paginator(ordered_ids(filters, likely=likely), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = cases_for_page(
        list(page.object_list), series=Series.objects.only("case_id", "kind", "description", "series_number")
    )
    for case in page.object_list:
        case.reference_diagnosis_label = diagnosis_label(case.reference_diagnosis)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filtered": bool(filters) and any(filters.values()),
        "any_cases": Case.objects.exists(),
    }
    return render(request, "imaging/case_list.html", context)
