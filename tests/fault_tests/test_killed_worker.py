"""A task worker killed with SIGKILL in the middle of an import: nothing partial is visible, and
running the job again completes it with no duplicate. The worker is a real `manage.py db_worker`
process on the test database."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cmr_reader.imaging.import_jobs import (
    create_paths_job,
    enqueue_import_job,
    retry_import_job,
    run_import_job,
)
from cmr_reader.imaging.models import ImportJob, Instance

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATA_DIR": str(settings.DATA_DIR),
        "DICOM_STORAGE_ROOT": str(settings.DICOM_STORAGE_ROOT),
        "UPLOAD_STAGING_ROOT": str(settings.UPLOAD_STAGING_ROOT),
        "PSEUDONYM_KEY": settings.PSEUDONYM_KEY,
        "INGEST_WORKERS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", queue, "--interval", "0.1", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def large_study(tmp_path):
    from cmr_reader.domain.synthetic import write_cases

    (folder,) = write_cases(tmp_path / "large", cases=1, seed=11, matrix=128, phases=20)
    return folder


def test_an_import_worker_killed_midway_leaves_nothing_partial_and_a_rerun_completes(
    large_study, private_storage, coordinator, django_capture_on_commit_callbacks
):
    files = sorted(large_study.glob("*.dcm"))
    with django_capture_on_commit_callbacks(execute=True):
        job = create_paths_job(paths=[large_study], user=coordinator)
        enqueue_import_job(job)
    worker = start_worker("imports")
    try:
        deadline = time.monotonic() + 120
        while Instance.objects.count() < 20:
            assert worker.poll() is None, "the worker stopped on its own"
            assert time.monotonic() < deadline, "the worker never started importing"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    job.refresh_from_db()
    stored = list(Instance.objects.all())
    assert job.state == ImportJob.State.RUNNING and 20 <= len(stored) < len(files), (job.state, len(stored))
    on_disk = {
        p.relative_to(private_storage).as_posix(): p for p in private_storage.rglob("*") if p.is_file()
    }
    assert not [name for name in on_disk if name.endswith(".part")]
    for instance in stored:  # every visible instance is complete
        assert on_disk[instance.file_path].stat().st_size == instance.file_size

    # The job stops updating: after the stall window it may be run again.
    job = retry_import_job(job_id=job.pk, now=timezone.now() + timedelta(hours=1))
    run_import_job(job=job)

    assert Instance.objects.count() == len(files)
    assert len(set(Instance.objects.values_list("sop_instance_uid", flat=True))) == len(files)
    for instance in Instance.objects.all():
        assert (private_storage / instance.file_path).stat().st_size == instance.file_size
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
