"""On PostgreSQL several db_worker processes share one queue, and each import runs once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from cmr_reader.imaging.import_jobs import create_upload_job, enqueue_import_job
from cmr_reader.imaging.models import ImportJob, Instance

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def worker_environment(settings) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DATA_DIR": str(settings.DATA_DIR),
        "DICOM_STORAGE_ROOT": str(settings.DICOM_STORAGE_ROOT),
        "UPLOAD_STAGING_ROOT": str(settings.UPLOAD_STAGING_ROOT),
        "PSEUDONYM_KEY": settings.PSEUDONYM_KEY,
        "LOG_LEVEL": "WARNING",
    }


def test_two_workers_share_the_queue_and_run_each_import_once(coordinator, synthetic_case_dir, settings):
    if connection.vendor != "postgresql":
        pytest.skip("several workers sharing one queue is the PostgreSQL deployment (SQLite has one writer)")
    files = sorted(synthetic_case_dir.glob("*.dcm"))
    groups = [files[i::6] for i in range(6)]
    jobs = []
    for group in groups:
        uploads = [SimpleUploadedFile(p.name, p.read_bytes()) for p in group]
        job = create_upload_job(files=uploads, user=coordinator)
        enqueue_import_job(job)
        jobs.append(job)

    command = [
        sys.executable,
        str(REPO / "manage.py"),
        "db_worker",
        "--batch",
        "--queue-name",
        "*",
        "--no-startup-delay",
        "--no-reload",
        "-v",
        "0",
    ]
    workers = [subprocess.Popen(command, cwd=REPO, env=worker_environment(settings)) for _ in range(2)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]

    states = {job.pk: job.state for job in ImportJob.objects.all()}
    assert set(states.values()) == {ImportJob.State.DONE}, states
    assert sum(ImportJob.objects.values_list("instances_imported", flat=True)) == len(files)
    assert sum(ImportJob.objects.values_list("duplicates_skipped", flat=True)) == 0, "no import ran twice"
    assert Instance.objects.count() == len(files)
