"""Generation runs for coordinators: progress, failures and provenance."""

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cmr_reader.accounts.access_log import Action, record_access
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import Role
from cmr_reader.reports.models import GenerationRun

STAFF = (Role.COORDINATOR, Role.STATISTICIAN)


@role_required(*STAFF)
def run_list(request: HttpRequest) -> HttpResponse:
    runs = GenerationRun.objects.order_by("-id")[:200]
    return render(request, "reports/run_list.html", {"runs": runs})


@role_required(*STAFF)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(GenerationRun, pk=run_id)
    record_access(request, action=Action.GENERATION_RUN, target=run.pk)
    sample = run.reports.order_by("id").first()
    context = {
        "run": run,
        "failures": run.failures.select_related("case").order_by("case__case_id")[:500],
        "parameters": json.dumps(run.generation_parameters, indent=2, ensure_ascii=False),
        "inputs": json.dumps(run.input_settings, indent=2, ensure_ascii=False),
        "environment": json.dumps(run.environment, indent=2, ensure_ascii=False),
        "sample_provenance": json.dumps(sample.provenance, indent=2, ensure_ascii=False) if sample else "",
    }
    return render(request, "reports/run_detail.html", context)
