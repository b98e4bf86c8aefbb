"""Background tasks of the imaging app. Tasks take ids and call one service; no logic here."""

from django_tasks import task

from cmr_reader.imaging.import_jobs import claim_import_job, run_import_job


@task(queue_name="imports")
def run_import_job_task(*, job_id: str) -> dict:
    job = claim_import_job(job_id=job_id)
    if job is None:
        # A job runs once: a duplicate delivery must not import (or delete staged files) twice.
        return {"skipped": True}
    return run_import_job(job=job).as_dict()
