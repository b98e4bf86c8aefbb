"""`import_dicomweb` against a real Orthanc on loopback: pulls, de-identifies, and fails clearly."""

import io
import json
import logging
from pathlib import Path

import pydicom
import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db.models import Count

from cmr_reader.imaging import pacs_import
from cmr_reader.imaging.models import Case, ImportJob, Instance, Series
from tests.conftest import SHARED_REAL_CINE
from tests.support.orthanc_server import free_loopback_port

pytestmark = [pytest.mark.orthanc, pytest.mark.django_db]

ORIGINAL_UID_KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")


@pytest.fixture(scope="module")
def uploaded(orthanc, tmp_path_factory) -> dict:
    """The real cine series and two small synthetic cases, uploaded once per module.

    Returns the files per original Study Instance UID, and every original UID they carry.
    """
    if not SHARED_REAL_CINE.is_dir():
        pytest.skip(f"real CMR cine not available at {SHARED_REAL_CINE} (../shared/data is absent)")
    from cmr_reader.domain.synthetic import write_cases

    synthetic_dir = tmp_path_factory.mktemp("synthetic")
    write_cases(synthetic_dir, cases=2, seed=11, matrix=64, phases=4)  # 134 small files
    files = sorted(SHARED_REAL_CINE.glob("*.dcm")) + sorted(synthetic_dir.rglob("*.dcm"))
    orthanc.upload(files)
    by_study: dict[str, list[Path]] = {}
    original_uids: set[str] = set()
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        by_study.setdefault(str(ds.StudyInstanceUID), []).append(path)
        original_uids.update(str(ds.get(keyword)) for keyword in ORIGINAL_UID_KEYWORDS if keyword in ds)
    return {"by_study": by_study, "original_uids": original_uids, "files": files}


def pull(orthanc, *extra: str, password: str | None = None) -> dict:
    out = io.StringIO()
    call_command(
        "import_dicomweb",
        "--url",
        orthanc.dicomweb_url,
        "--user",
        orthanc.username,
        "--password",
        orthanc.password if password is None else password,
        "--json",
        *extra,
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_it_imports_every_study_on_the_pacs(orthanc, uploaded):
    summary = pull(orthanc)

    by_study = uploaded["by_study"]
    assert summary["rejected"] == []
    assert summary["instances_imported"] == len(uploaded["files"])
    assert summary["studies"] == len(by_study) == Case.objects.count()
    assert sorted(Case.objects.values_list("case_id", flat=True)) == summary["case_ids"]
    counts = sorted(Case.objects.annotate(n=Count("series__instances")).values_list("n", flat=True))
    assert counts == sorted(len(paths) for paths in by_study.values())


def test_it_records_a_dicomweb_job_labelled_without_credentials(orthanc, uploaded):
    pull(orthanc)

    job = ImportJob.objects.get()
    assert job.source == ImportJob.Source.DICOMWEB
    assert job.state == ImportJob.State.DONE
    assert job.label == orthanc.dicomweb_url
    assert orthanc.password not in json.dumps([job.label, job.summary, job.rejected])
    assert job.total_files == job.processed_files == job.instances_imported == len(uploaded["files"])


def test_it_keeps_no_original_uid_in_the_database_stored_files_or_logs(
    orthanc, uploaded, private_storage, caplog
):
    # INFO is the site's default level. At DEBUG, urllib3 logs every request URL, UIDs included.
    caplog.set_level(logging.INFO)
    pull(orthanc)

    every_row = [
        *Case.objects.all(),
        *Series.objects.all(),
        *Instance.objects.all(),
        *ImportJob.objects.all(),
    ]
    rows = serializers.serialize("json", every_row)
    stored = b"".join(path.read_bytes() for path in private_storage.rglob("*.dcm"))
    assert Instance.objects.count() == len(uploaded["files"])
    assert stored, "nothing was stored"
    assert len(uploaded["original_uids"]) > len(uploaded["files"])  # SOP UIDs plus study, series ...
    leaked = [uid for uid in uploaded["original_uids"] if uid in rows or uid.encode() in stored]
    assert leaked == []
    logged = [uid for uid in uploaded["original_uids"] if uid in caplog.text]
    assert logged == []


def test_a_second_pull_imports_nothing_new(orthanc, uploaded):
    pull(orthanc)
    again = pull(orthanc)

    assert again["instances_imported"] == 0
    assert again["duplicates_skipped"] == len(uploaded["files"])
    assert Instance.objects.count() == len(uploaded["files"])


def test_study_option_restricts_the_pull_to_that_study(orthanc, uploaded):
    first_real_file = sorted(SHARED_REAL_CINE.glob("*.dcm"))[0]
    real_study_uid = str(pydicom.dcmread(first_real_file, stop_before_pixels=True).StudyInstanceUID)

    summary = pull(orthanc, "--study", real_study_uid)

    assert summary["studies"] == 1
    assert (
        summary["instances_imported"] == len(uploaded["by_study"][real_study_uid]) == Instance.objects.count()
    )
    assert Case.objects.count() == 1


def test_a_requested_study_the_pacs_lacks_is_rejected_by_position(orthanc, uploaded):
    absent_uid = "1.2.826.0.1.3680043.8.498.99999999999999999999"

    summary = pull(orthanc, "--study", absent_uid)

    assert summary["instances_imported"] == 0
    assert [r["file"] for r in summary["rejected"]] == ["#1 requested study 1"]
    assert "no study" in summary["rejected"][0]["reason"]
    assert absent_uid not in json.dumps(list(ImportJob.objects.values("label", "summary", "rejected")))


def test_pulling_pages_through_search_results(orthanc, uploaded, monkeypatch):
    # One result per QIDO page: studies, series and instances all need offset paging.
    monkeypatch.setattr(pacs_import, "QIDO_PAGE_SIZE", 1)

    summary = pull(orthanc)

    assert summary["instances_imported"] == len(uploaded["files"])


def test_a_wrong_password_is_a_clear_error_and_stores_nothing(orthanc, uploaded):
    with pytest.raises(CommandError, match="refused the user name or password"):
        pull(orthanc, password="not-the-password")

    assert (Case.objects.count(), Instance.objects.count(), ImportJob.objects.count()) == (0, 0, 0)


def test_an_unreachable_pacs_is_a_clear_error(db):
    closed_port = free_loopback_port()  # nothing listens there once the probe socket is closed

    with pytest.raises(CommandError, match="Could not connect to the PACS at http://127.0.0.1"):
        call_command(
            "import_dicomweb", "--url", f"http://127.0.0.1:{closed_port}/dicom-web", stdout=io.StringIO()
        )

    assert ImportJob.objects.count() == 0


def test_an_invalid_study_uid_is_refused_before_connecting(db):
    with pytest.raises(CommandError, match="Not a valid Study Instance UID"):
        call_command("import_dicomweb", "--url", "http://127.0.0.1:9/dicom-web", "--study", "not-a-uid")


def test_the_password_can_come_from_the_environment(orthanc, uploaded, monkeypatch):
    monkeypatch.setenv("PACS_PASSWORD", orthanc.password)
    out = io.StringIO()

    call_command("import_dicomweb", "--url", orthanc.dicomweb_url, "--user", orthanc.username, stdout=out)

    assert out.getvalue().startswith(f"Imported {len(uploaded['files'])} instances")
