"""Background tasks of the analysis app. Tasks take ids and call one service; no logic here."""

from django_tasks import task

from cmr_reader.analysis.runs import claim_run, run_analysis


@task(queue_name="default")
def run_analysis_task(*, run_id: str) -> dict:
    run = claim_run(run_id=run_id)
    if run is None:
        return {"skipped": True}
    run = run_analysis(run)
    return {"state": run.state}
