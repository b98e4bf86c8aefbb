"""Generation runs for coordinators: progress, failures and provenance."""

import json
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from cmr_reader.accounts.access_log import Action, record_access
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES
from cmr_reader.reports.models import GenerationRun


@role_required(*STAFF_ROLES)
def run_list(request: HttpRequest) -> HttpResponse:
    runs = GenerationRun.objects.order_by("-id")[:200]
    return render(request, "reports/run_list.html", {"runs": runs})


def chunk_rows(run: GenerationRun, *, now) -> list[dict]:
    """The run's chunks for its page, each with whether its worker has gone silent and the
    workers that stopped on it (who, when, why; oldest first)."""
    return [
        {
            "chunk": chunk,
            "cases": len(chunk.case_ids),
            "stalled": chunk.is_stalled(now=now),
            "stops": [
                {"worker": stop["worker"], "at": datetime.fromisoformat(stop["at"]), "reason": stop["reason"]}
                for stop in chunk.stopped_workers
            ],
        }
        for chunk in run.chunks.order_by("id")[:500]
    ]


@role_required(*STAFF_ROLES)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(GenerationRun, pk=run_id)
    record_access(request, action=Action.GENERATION_RUN, target=run.pk)
    sample = run.reports.order_by("id").first()
    context = {
        "run": run,
        "failures": run.failures.select_related("case").order_by("case__case_id")[:500],
        "chunks": chunk_rows(run, now=timezone.now()),
        "max_failures_in_a_row": settings.GENERATION_MAX_FAILURES_IN_A_ROW,
        "max_workers_stopped": settings.GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK,
        "parameters": json.dumps(run.generation_parameters, indent=2, ensure_ascii=False),
        "inputs": json.dumps(run.input_settings, indent=2, ensure_ascii=False),
        "environment": json.dumps(run.environment, indent=2, ensure_ascii=False),
        "sample_provenance": json.dumps(sample.provenance, indent=2, ensure_ascii=False) if sample else "",
    }
    return render(request, "reports/run_detail.html", context)
