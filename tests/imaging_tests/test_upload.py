"""Web upload: a coordinator uploads files or a zip, a real task worker imports them."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cmr_reader.imaging.models import Case, ImportJob, Instance

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker():
    call_command(
        "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0
    )


def uploads_of(paths):
    return [SimpleUploadedFile(p.name, p.read_bytes(), content_type="application/dicom") for p in paths]


def test_coordinator_uploads_files_and_the_worker_imports_them(
    client, coordinator, synthetic_case_dir, settings
):
    client.force_login(coordinator)
    files = sorted(synthetic_case_dir.glob("*.dcm"))[:6]

    response = client.post(
        reverse("imaging:upload"), {"files": uploads_of(files) + [SimpleUploadedFile("notes.txt", b"hello")]}
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imaging:import_job", kwargs={"job_id": job.pk})
    assert job.state == ImportJob.State.QUEUED
    assert job.total_files == 7

    run_worker()

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.instances_imported == 6
    assert [r["reason"] for r in job.rejected] == ["not a DICOM file"]
    assert Instance.objects.count() == 6
    assert not (settings.UPLOAD_STAGING_ROOT / str(job.pk)).exists(), "staged uploads are deleted"
    progress = client.get(reverse("import-job-detail", kwargs={"pk": job.pk})).json()
    assert (progress["state"], progress["percent_done"], progress["instances_imported"]) == ("done", 100, 6)
    page = client.get(reverse("imaging:import_job", kwargs={"job_id": job.pk}))
    assert "#7 ….txt" in page.content.decode()  # notes.txt: the name's words are not kept


def test_coordinator_uploads_a_zip_archive(client, coordinator, synthetic_case_dir):
    client.force_login(coordinator)
    files = sorted(synthetic_case_dir.glob("*.dcm"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in files:
            zf.write(path, f"export/{path.name}")

    client.post(reverse("imaging:upload"), {"files": [SimpleUploadedFile("export.zip", buffer.getvalue())]})
    run_worker()

    job = ImportJob.objects.get()
    assert (job.state, job.instances_imported, job.rejected) == (ImportJob.State.DONE, len(files), [])
    assert Case.objects.count() == 1
    assert Instance.objects.count() == len(files)


def test_upload_file_names_cannot_escape_the_staging_folder(client, coordinator, settings):
    client.force_login(coordinator)

    client.post(reverse("imaging:upload"), {"files": [SimpleUploadedFile("../../evil.dcm", b"x")]})

    job = ImportJob.objects.get()
    staging = settings.UPLOAD_STAGING_ROOT / str(job.pk)
    staged = [p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()]
    assert staged == ["000000/….dcm"]


def test_reader_cannot_upload(client, reader):
    client.force_login(reader)

    assert client.get(reverse("imaging:upload")).status_code == 403
    assert (
        client.post(reverse("imaging:upload"), {"files": [SimpleUploadedFile("a.dcm", b"x")]}).status_code
        == 403
    )
    assert ImportJob.objects.count() == 0


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("imaging:upload"))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_reader_cannot_see_import_progress(client, reader, coordinator):
    job = ImportJob.objects.create(source=ImportJob.Source.UPLOAD, created_by=coordinator)
    client.force_login(reader)

    assert client.get(reverse("import-job-detail", kwargs={"pk": job.pk})).status_code == 403
    assert client.get(reverse("imaging:import_job", kwargs={"job_id": job.pk})).status_code == 403


def test_a_folder_of_hundreds_of_files_can_be_uploaded(client, coordinator):
    client.force_login(coordinator)
    files = [SimpleUploadedFile(f"IM_{i:04d}.dcm", b"not really DICOM") for i in range(300)]

    response = client.post(reverse("imaging:upload"), {"files": files})

    assert response.status_code == 302
    assert ImportJob.objects.get().total_files == 300


def test_a_stalled_upload_import_can_be_run_again_and_completes(client, coordinator, synthetic_case_dir):
    client.force_login(coordinator)
    files = sorted(synthetic_case_dir.glob("*.dcm"))[:5]
    client.post(reverse("imaging:upload"), {"files": uploads_of(files)})
    job = ImportJob.objects.get()
    # What a worker killed mid-import leaves behind: "running", and silence past its lease.
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING,
        lease_owner="gone:1",
        lease_expires_at=timezone.now() - timedelta(minutes=25),
    )
    page = client.get(reverse("imaging:import_job", kwargs={"job_id": job.pk})).content.decode()
    assert "no progress for several minutes" in page

    response = client.post(reverse("imaging:import_job_retry", kwargs={"job_id": job.pk}))
    run_worker()

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.instances_imported) == (ImportJob.State.DONE, 5)


def test_a_healthy_running_import_cannot_be_started_twice(client, coordinator):
    client.force_login(coordinator)
    job = ImportJob.objects.create(source=ImportJob.Source.UPLOAD, state=ImportJob.State.RUNNING)

    client.post(reverse("imaging:import_job_retry", kwargs={"job_id": job.pk}))

    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING
    assert (
        b"Run this import again"
        not in client.get(reverse("imaging:import_job", kwargs={"job_id": job.pk})).content
    )


def test_reader_cannot_retry_an_import(client, reader):
    job = ImportJob.objects.create(source=ImportJob.Source.UPLOAD, state=ImportJob.State.FAILED)
    client.force_login(reader)

    assert client.post(reverse("imaging:import_job_retry", kwargs={"job_id": job.pk})).status_code == 403
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED


def test_patient_names_in_uploaded_file_names_are_not_kept(client, coordinator, settings):
    client.force_login(coordinator)

    client.post(
        reverse("imaging:upload"), {"files": [SimpleUploadedFile("Doe_Johnathan_2024-03-15.dcm", b"x")]}
    )
    run_worker()

    job = ImportJob.objects.get()
    kept = f"{job.label} {job.rejected} {job.summary}"
    assert "Doe" not in kept and "Johnathan" not in kept and "2024" not in kept
    assert job.rejected == [{"file": "#1 ….dcm", "reason": "not a DICOM file"}]
