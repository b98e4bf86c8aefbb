"""The disk fills up while DICOM is being stored: the import stops with a clear reason, nothing
half-written is kept, and a retry after space is freed completes it without duplicates."""

import errno
import os

import pytest

from cmr_reader.imaging import storage
from cmr_reader.imaging.import_jobs import create_paths_job, retry_import_job, run_import_job
from cmr_reader.imaging.models import ImportJob, Instance

pytestmark = pytest.mark.django_db


class FillingDisk:
    """os.fdopen whose files accept ``budget`` more bytes in all, then fail with ENOSPC mid-write."""

    def __init__(self, budget: int):
        self.budget = budget
        self.real = os.fdopen

    def __call__(self, fd, mode="r", *args, **kwargs):
        handle = self.real(fd, mode, *args, **kwargs)
        disk = self

        class Limited:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()
                return False

            def write(self, data):
                if len(data) > disk.budget:
                    handle.write(bytes(data[: disk.budget]))  # a partial write, as a real full disk gives
                    disk.budget = 0
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                disk.budget -= len(data)
                return handle.write(data)

        return Limited()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_stops_the_import_cleanly_and_a_retry_completes_it(
    workers, synthetic_case_dir, private_storage, monkeypatch, coordinator, settings
):
    settings.INGEST_WORKERS = workers
    files = sorted(synthetic_case_dir.glob("*.dcm"))
    job = create_paths_job(paths=[synthetic_case_dir], user=coordinator)
    # Room for a few files, then the disk is full in the middle of one.
    monkeypatch.setattr(storage.os, "fdopen", FillingDisk(budget=int(files[0].stat().st_size * 4.5)))

    with pytest.raises(OSError):
        run_import_job(job=job)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "disk holding the DICOM storage is full" in job.error
    stored = list(Instance.objects.all())
    assert len(stored) < len(files)
    on_disk = {
        p.relative_to(private_storage).as_posix(): p for p in private_storage.rglob("*") if p.is_file()
    }
    assert not [name for name in on_disk if name.endswith(".part")]
    # Every indexed instance's file is complete. With one process, the files on disk are exactly
    # the indexed ones. With workers, a chunk in flight may have written complete files whose rows
    # were never inserted: invisible to every reader, and taken over by the retry.
    for instance in stored:
        assert on_disk[instance.file_path].stat().st_size == instance.file_size
    if workers == 1:
        assert 0 < len(stored) and sorted(on_disk) == sorted(i.file_path for i in stored)

    monkeypatch.undo()  # space freed
    job = retry_import_job(job_id=job.pk, now=job.updated_at)
    summary = run_import_job(job=job)
    assert summary.instances_imported == len(files) - len(stored)
    assert Instance.objects.count() == len(files)
    for instance in Instance.objects.all():
        assert (private_storage / instance.file_path).stat().st_size == instance.file_size
    assert len({i.sop_instance_uid for i in Instance.objects.all()}) == len(files)
