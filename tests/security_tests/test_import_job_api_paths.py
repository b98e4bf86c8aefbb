"""The import-job API gives a folder import's files by cleaned name, never by path (ADR 0005).

A folder import keeps its paths while it can still run (a failed one can be retried); the row
holds them, the API does not give them, whether the job finished or failed, and neither does the
job's error, its rejections or the log.
"""

import json
import logging
from pathlib import Path

import pytest
from django.urls import reverse

from cmr_reader.imaging import import_jobs, ingest
from cmr_reader.imaging.import_jobs import create_paths_job, retry_import_job, run_import_job
from cmr_reader.imaging.models import ImportJob
from tests.support.dicom_factory import make_mr, to_bytes

pytestmark = pytest.mark.django_db

IDENTIFYING = ("ZHANG", "110101199003077777", "张伟", "王芳", "19900307", "incoming")


@pytest.fixture
def patient_folder(tmp_path) -> Path:
    """An export named the way they arrive: after the patient, their ID and birth date."""
    folder = tmp_path / "incoming" / "ZHANG_WEI_110101199003077777" / "张伟_19900307"
    folder.mkdir(parents=True)
    (folder / "IM_0001.dcm").write_bytes(to_bytes(make_mr()))
    (folder / "王芳_19900307.txt").write_text("not an image")
    return folder


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def api_text(client, job: ImportJob) -> str:
    detail = client.get(reverse("import-job-detail", args=[job.pk]), HTTP_ACCEPT="application/json")
    listing = client.get(reverse("import-job-list"), HTTP_ACCEPT="application/json")
    assert detail.status_code == listing.status_code == 200
    assert str(job.pk) in {str(item["id"]) for item in listing.json()}
    return json.dumps([detail.json(), listing.json()], ensure_ascii=False)


def assert_names_no_one(text: str, tmp_path: Path) -> None:
    for piece in (*IDENTIFYING, str(tmp_path)):
        assert piece not in text


@pytest.mark.parametrize("workers", [1, 2])
def test_a_finished_folder_import_is_given_by_cleaned_names(
    workers, patient_folder, tmp_path, settings, coordinator_client, caplog
):
    settings.INGEST_WORKERS = workers
    gone = patient_folder / "ZHANG_WEI_110101199003077777.dcm"  # named, then moved away
    job = create_paths_job(paths=[patient_folder.parent, gone])
    caplog.set_level(logging.DEBUG)

    run_import_job(job=job)

    job.refresh_from_db()
    data = json.loads(api_text(coordinator_client, job))[0]
    assert (data["state"], data["instances_imported"]) == ("done", 1)
    assert data["label"] == "…, ….dcm"
    assert data["rejected"] == [
        {"file": "#2 ….txt", "reason": "not a DICOM file"},
        {"file": "#3 ….dcm", "reason": "could not be read ([Errno 2] No such file or directory)"},
    ]
    assert "paths" not in data["summary"] and "sources" not in data["summary"]
    assert "paths" not in job.summary  # dropped from the row once done
    assert_names_no_one(api_text(coordinator_client, job) + caplog.text, tmp_path)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (lambda path: PermissionError(13, "Permission denied", str(path)), "[Errno 13] Permission denied"),
        (lambda path: RuntimeError(f"cannot classify '{path}'"), "cannot classify …"),
        (lambda path: RuntimeError(f"cannot classify {path}"), "cannot classify …"),
    ],
    ids=["os-error", "quoted", "bare"],
)
def test_a_failed_folder_import_is_given_by_cleaned_names_and_can_still_be_retried(
    failure, error, patient_folder, tmp_path, settings, coordinator_client, caplog, monkeypatch
):
    settings.INGEST_WORKERS = 1
    job = create_paths_job(paths=[patient_folder])

    def failing_classifier(series, **kwargs):
        raise failure(patient_folder / "IM_0001.dcm")

    monkeypatch.setattr(ingest, "reclassify_series", failing_classifier)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(Exception) as raised:
        run_import_job(job=job)

    job.refresh_from_db()
    data = json.loads(api_text(coordinator_client, job))[0]
    assert (data["state"], data["error"]) == ("failed", error)
    assert data["label"] == "…"
    assert data["summary"] == {"sources": ["…"]}
    assert_names_no_one(api_text(coordinator_client, job) + caplog.text + str(raised.value), tmp_path)
    # The row keeps the path, so that the coordinator can run the import again.
    assert job.summary["paths"] == [str(patient_folder)]
    monkeypatch.undo()
    retried = retry_import_job(job_id=job.pk, now=job.updated_at)
    assert run_import_job(job=retried).instances_imported == 0  # the instance was stored the first time
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE


def test_a_folder_that_cannot_be_listed_fails_the_job_instead_of_leaving_it_running(
    patient_folder, tmp_path, coordinator_client, caplog, monkeypatch
):
    job = create_paths_job(paths=[patient_folder])

    def unlistable(paths):
        raise PermissionError(13, "Permission denied", str(patient_folder))
        yield  # a generator, like the real one

    monkeypatch.setattr(import_jobs, "iter_path_sources", unlistable)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PermissionError) as raised:
        run_import_job(job=job)

    job.refresh_from_db()
    assert (job.state, job.error) == (ImportJob.State.FAILED, "[Errno 13] Permission denied")
    assert raised.value.filename is None
    assert_names_no_one(api_text(coordinator_client, job) + caplog.text + str(raised.value), tmp_path)
