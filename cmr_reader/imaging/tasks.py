"""Background tasks of the imaging app. Tasks take ids and call one service; no logic here."""

from django_tasks import task

from cmr_reader.imaging.import_jobs import run_import_job
from cmr_reader.imaging.models import ImportJob


@task(queue_name="imports")
def run_import_job_task(*, job_id: str) -> dict:
    job = ImportJob.objects.get(pk=job_id)
    if job.state != ImportJob.State.QUEUED:
        # A job runs once; a duplicate delivery must not import (or delete staged files) twice.
        return {"skipped": True, "state": job.state}
    return run_import_job(job=job).as_dict()
