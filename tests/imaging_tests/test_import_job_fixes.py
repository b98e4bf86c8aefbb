"""The import job page after issue 21: the cases an import reached, damaged archives said in words,
empty uploads refused, and progress that refreshes while the job runs.

Uploads go through the view; the job is then run here, in the test's process, the way the task
runs it (``run_import_job``), so no worker is needed.
"""

import io
import struct
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pydicom.uid import generate_uid

from cmr_reader.imaging.import_jobs import run_import_job
from cmr_reader.imaging.models import Case, ImportJob
from tests.support.dicom_factory import ORIGINAL_ROOT, make_mr, to_bytes

pytestmark = pytest.mark.django_db

DAMAGED = "the archive is damaged or incomplete: re-export it"
REFRESH = '<meta http-equiv="refresh"'


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.INGEST_WORKERS = 1


@pytest.fixture
def study():
    """Two series of one examination, three instances each, as {series name: [file bytes]}."""
    study_uid = generate_uid(prefix=ORIGINAL_ROOT)
    return {
        name: [
            to_bytes(make_mr(study_uid=study_uid, series_uid=series_uid, instance_number=number))
            for number in (1, 2, 3)
        ]
        for name, series_uid in (
            ("cine", generate_uid(prefix=ORIGINAL_ROOT)),
            ("lge", generate_uid(prefix=ORIGINAL_ROOT)),
        )
    }


def zipped(files: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for number, data in enumerate(files, start=1):
            zf.writestr(f"export/IM_{number:04d}.dcm", data)
    return buffer.getvalue()


def upload_and_import(client, files: list[tuple[str, bytes]]) -> ImportJob:
    response = client.post(
        reverse("imaging:upload"), {"files": [SimpleUploadedFile(name, data) for name, data in files]}
    )
    assert response.status_code == 302, response.content.decode()
    job = ImportJob.objects.latest("created_at")
    run_import_job(job=job)
    job.refresh_from_db()
    return job


def job_page(client, job: ImportJob) -> str:
    return client.get(reverse("imaging:import_job", kwargs={"job_id": job.pk})).content.decode()


def dicom_files(datasets: list[bytes], prefix: str = "IM") -> list[tuple[str, bytes]]:
    return [(f"{prefix}_{number:04d}.dcm", data) for number, data in enumerate(datasets, start=1)]


# A damaged archive says so.


def test_a_truncated_zip_is_rejected_as_a_damaged_archive(client, coordinator, study):
    client.force_login(coordinator)
    archive = zipped(study["cine"] + study["lge"])

    job = upload_and_import(client, [("export.zip", archive[: len(archive) // 2])])

    assert (job.state, job.instances_imported) == (ImportJob.State.DONE, 0)
    assert job.rejected == [{"file": "#1 export.zip", "reason": DAMAGED}]
    assert DAMAGED in job_page(client, job)


def test_a_truncated_zip_that_lost_its_zip_name_is_still_a_damaged_archive(client, coordinator, study):
    client.force_login(coordinator)
    archive = zipped(study["cine"])

    # What a browser leaves of a download that stopped: "export.zip.part", cut short.
    job = upload_and_import(client, [("export.zip.part", archive[: len(archive) // 2])])

    assert [item["reason"] for item in job.rejected] == [DAMAGED]
    assert "not a DICOM file" not in job_page(client, job)


def test_a_whole_zip_without_its_zip_name_is_opened_as_an_archive(client, coordinator, study):
    client.force_login(coordinator)

    job = upload_and_import(client, [("export", zipped(study["cine"]))])

    assert (job.instances_imported, job.rejected) == (3, [])


def test_the_good_members_of_a_partly_damaged_zip_are_imported_and_the_case_listed(
    client, coordinator, study
):
    client.force_login(coordinator)
    archive = bytearray(zipped(study["cine"]))
    name_length, extra_length = struct.unpack_from("<HH", archive, 26)  # the first local header
    archive[30 + name_length + extra_length + 50] ^= 0xFF  # inside the first member's data

    job = upload_and_import(client, [("export.zip", bytes(archive))])

    assert job.instances_imported == 2
    assert [item["file"] for item in job.rejected] == ["#1 export.zip:IM_0001.dcm"]
    case = Case.objects.get()
    assert reverse("viewer:case_viewer", args=[case.case_id]) in job_page(client, job)


# An empty upload is refused.


def test_an_upload_of_no_files_is_refused_and_creates_no_job(client, coordinator):
    client.force_login(coordinator)

    # What a browser sends when nothing was chosen: the CSRF token, and no file.
    response = client.post(reverse("imaging:upload"), {"csrfmiddlewaretoken": "token"})

    assert response.status_code == 200
    assert "Choose the files, folder or .zip archive to upload." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_upload_of_only_empty_files_is_refused_and_creates_no_job(client, coordinator):
    client.force_login(coordinator)

    response = client.post(
        reverse("imaging:upload"),
        {"files": [SimpleUploadedFile("IM_0001.dcm", b""), SimpleUploadedFile("IM_0002.dcm", b"")]},
    )

    assert response.status_code == 200
    assert "Every file chosen is empty (0 bytes): there is nothing to import." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_empty_file_beside_others_is_rejected_and_the_others_imported(client, coordinator, study):
    client.force_login(coordinator)

    job = upload_and_import(client, dicom_files(study["cine"]) + [("IM_0099.dcm", b"")])

    assert job.instances_imported == 3
    assert job.rejected == [{"file": "#4 IM_0099.dcm", "reason": "the file is empty (0 bytes)"}]


# The finished import links to the cases it created or updated.


def test_the_finished_import_lists_the_case_it_created_with_a_link_to_its_viewer(client, coordinator, study):
    client.force_login(coordinator)

    job = upload_and_import(client, dicom_files(study["cine"] + study["lge"]))

    case = Case.objects.get()
    assert job.summary["cases"] == [
        {
            "case_id": case.case_id,
            "created": True,
            "series_added": 2,
            "instances_added": 6,
            "duplicates_skipped": 0,
        }
    ]
    page = job_page(client, job)
    link = f'<a href="{reverse("viewer:case_viewer", args=[case.case_id])}">{case.case_id}</a>'
    assert link in page
    assert "New case" in page


def test_a_second_import_of_the_same_examination_lists_the_case_as_updated(client, coordinator, study):
    client.force_login(coordinator)
    upload_and_import(client, dicom_files(study["cine"]))

    job = upload_and_import(client, dicom_files(study["cine"] + study["lge"]))

    case = Case.objects.get()
    assert job.summary["cases"] == [
        {
            "case_id": case.case_id,
            "created": False,
            "series_added": 1,
            "instances_added": 3,
            "duplicates_skipped": 3,
        }
    ]
    page = job_page(client, job)
    assert f'href="{reverse("viewer:case_viewer", args=[case.case_id])}"' in page
    assert "Added to an existing case" in page and "New case" not in page


def test_importing_the_same_files_again_lists_the_case_as_already_imported(client, coordinator, study):
    client.force_login(coordinator)
    upload_and_import(client, dicom_files(study["cine"]))

    job = upload_and_import(client, dicom_files(study["cine"]))

    assert [(entry["created"], entry["instances_added"]) for entry in job.summary["cases"]] == [(False, 0)]
    assert "Already imported: nothing added" in job_page(client, job)


def test_a_job_finished_before_cases_were_recorded_still_links_its_cases(client, coordinator, study):
    client.force_login(coordinator)
    upload_and_import(client, dicom_files(study["cine"]))
    case = Case.objects.get()
    older = ImportJob.objects.create(
        source=ImportJob.Source.UPLOAD,
        state=ImportJob.State.DONE,
        summary={"case_ids": [case.case_id, "GONE0001"]},
    )

    page = job_page(client, older)

    assert f'href="{reverse("viewer:case_viewer", args=[case.case_id])}"' in page
    assert "GONE0001 (deleted since)" in page


# Progress on the job page.


def test_a_running_import_page_shows_its_progress_and_refreshes(client, coordinator):
    client.force_login(coordinator)
    job = ImportJob.objects.create(
        source=ImportJob.Source.UPLOAD,
        state=ImportJob.State.RUNNING,
        lease_expires_at=timezone.now() + timedelta(minutes=5),
        total_files=12,
        processed_files=3,
    )

    page = job_page(client, job)

    assert REFRESH in page
    assert '<span id="job-counts">3 / 12</span>' in page
    assert '<span id="job-percent">25%</span>' in page


def test_a_queued_import_page_refreshes(client, coordinator):
    client.force_login(coordinator)
    job = ImportJob.objects.create(source=ImportJob.Source.UPLOAD, total_files=4)

    assert REFRESH in job_page(client, job)


@pytest.mark.parametrize(
    ("state", "lease_left"),
    [
        (ImportJob.State.DONE, None),
        (ImportJob.State.FAILED, None),
        (ImportJob.State.RUNNING, timedelta(minutes=-10)),  # stalled: refreshing would change nothing
    ],
)
def test_an_import_page_that_will_not_change_by_itself_does_not_refresh(
    client, coordinator, state, lease_left
):
    client.force_login(coordinator)
    job = ImportJob.objects.create(
        source=ImportJob.Source.UPLOAD,
        state=state,
        lease_expires_at=timezone.now() + lease_left if lease_left else None,
    )

    assert REFRESH not in job_page(client, job)
