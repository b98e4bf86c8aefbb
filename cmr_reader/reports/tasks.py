"""Background tasks of the reports app. Tasks take ids and call one service; no logic here."""

from django_tasks import task

from cmr_reader.imaging.models import Case
from cmr_reader.reports.generation import cases_lacking_report, run_generation
from cmr_reader.reports.models import GenerationRun


@task(queue_name="inference")
def generate_reports_task(*, run_id: int, case_ids: list[str], device: str = "auto") -> dict:
    """One chunk of a run on whichever GPU worker takes it; cases done meanwhile are skipped."""
    run = GenerationRun.objects.get(pk=run_id)
    cases = list(cases_lacking_report(run, Case.objects.filter(case_id__in=case_ids)))
    if cases:
        run = run_generation(run, cases=cases, device=device)
    return {"run": run.pk, "cases": len(cases)}
