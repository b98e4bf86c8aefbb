import pytest
from django.db import OperationalError

from cmr_reader.imaging.import_jobs import run_import_job_task

pytestmark = pytest.mark.django_db


def test_health_is_ok_without_login(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": True,
        "storage_writable": True,
        "tasks": {"ready": 0, "oldest_ready_age_seconds": None},
    }


def test_health_counts_tasks_waiting_for_a_worker(client):
    run_import_job_task.enqueue(job_id="00000000-0000-0000-0000-000000000000")

    tasks = client.get("/health/").json()["tasks"]

    assert tasks["ready"] == 1
    assert 0 <= tasks["oldest_ready_age_seconds"] < 60


def test_health_is_degraded_when_storage_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the DICOM store should be")
    settings.DICOM_STORAGE_ROOT = blocker / "dicom"

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["storage_writable"] is False


def test_health_answers_503_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("cmr_reader.health.connection.cursor", refuse)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] is False


def test_health_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health/").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
