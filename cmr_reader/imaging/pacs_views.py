"""The coordinator's PACS page: search the configured PACS, pick studies, pull them as a job."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import Role
from cmr_reader.imaging.forms import PacsSearchForm
from cmr_reader.imaging.import_jobs import enqueue_import_job
from cmr_reader.imaging.pacs_browse import (
    SEARCH_LIMIT,
    PullRefused,
    configured_pacs,
    pacs_is_configured,
    search_studies,
    start_pull,
)
from cmr_reader.imaging.pacs_import import PacsError


@role_required(Role.COORDINATOR)
def pacs_search(request: HttpRequest) -> HttpResponse:
    form = PacsSearchForm(request.GET or None)
    context: dict = {"form": form, "configured": pacs_is_configured(), "limit": SEARCH_LIMIT}
    if context["configured"] and form.is_bound and form.is_valid():
        try:
            pacs = configured_pacs()
            with pacs.session:
                context["studies"], context["more"] = search_studies(pacs=pacs, **form.cleaned_data)
            context["pacs"] = pacs.label
        except PacsError as error:
            context["error"] = str(error)
    return render(request, "imaging/pacs_search.html", context)


@require_POST
@role_required(Role.COORDINATOR)
def pacs_pull(request: HttpRequest) -> HttpResponse:
    try:
        job = start_pull(tokens=request.POST.getlist("study"), user=request.user)
    except PullRefused as refused:
        messages.error(request, str(refused))
        return redirect("imaging:pacs")
    enqueue_import_job(job)
    return redirect("imaging:import_job", job_id=job.pk)
