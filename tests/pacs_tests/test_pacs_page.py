"""The coordinator's PACS page against a real Orthanc: search, pick, pull as a job with progress,
and no original UID or patient name on the page or left in the database (decision 0025)."""

import re
from datetime import date, timedelta

import pydicom
import pytest
from django.core import serializers
from django.core.management import call_command
from django.urls import reverse

from cmr_reader.imaging.models import Case, ImportJob

pytestmark = [pytest.mark.orthanc, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def studies(orthanc, tmp_path_factory) -> list[dict]:
    """Two synthetic CMR studies on the PACS: each one's original UID, accession, date, patient."""
    from cmr_reader.domain.synthetic import write_cases

    folder = tmp_path_factory.mktemp("synthetic")
    write_cases(folder, cases=2, seed=11, matrix=64, phases=4)
    files = sorted(folder.rglob("*.dcm"))
    orthanc.upload(files)
    found: dict[str, dict] = {}
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        found.setdefault(
            str(ds.StudyInstanceUID),
            {
                "uid": str(ds.StudyInstanceUID),
                "accession": str(ds.AccessionNumber),
                "date": date(int(ds.StudyDate[:4]), int(ds.StudyDate[4:6]), int(ds.StudyDate[6:8])),
                "patient": str(ds.PatientName).split("^")[0],
                "files": 0,
            },
        )["files"] += 1
    return sorted(found.values(), key=lambda study: study["accession"])


@pytest.fixture
def pacs_settings(orthanc, settings, monkeypatch):
    settings.PACS_DICOMWEB_URL = orthanc.dicomweb_url
    settings.PACS_USERNAME = orthanc.username
    monkeypatch.setenv("PACS_PASSWORD", orthanc.password)
    return settings


@pytest.fixture
def carol(client, coordinator):
    client.force_login(coordinator)
    return client


def search(client, **params) -> str:
    response = client.get(reverse("imaging:pacs"), params)
    assert response.status_code == 200
    return response.content.decode()


def tokens(page: str) -> list[str]:
    return re.findall(r'name="study" value="([^"]+)"', page)


def run_worker():
    call_command(
        "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0
    )


def test_the_search_filters_by_accession_date_and_modality_and_shows_no_identifier(
    carol, pacs_settings, studies
):
    everything = search(carol, modality="MR")
    assert len(tokens(everything)) == len(studies) == 2
    for study in studies:
        assert study["uid"] not in everything and study["patient"] not in everything

    first = studies[0]
    assert len(tokens(search(carol, accession=first["accession"]))) == 1
    day = first["date"]
    on_the_day = search(carol, date_from=day.isoformat(), date_to=day.isoformat())
    assert len(tokens(on_the_day)) == sum(study["date"] == day for study in studies)
    assert "No study on the PACS matches." in search(carol, date_to=(day - timedelta(days=3650)).isoformat())
    assert tokens(search(carol, modality="CT")) == []


def test_pulling_ticked_studies_imports_them_as_a_job_that_forgets_the_uids(carol, pacs_settings, studies):
    first = studies[0]
    [token] = tokens(search(carol, accession=first["accession"]))

    response = carol.post(reverse("imaging:pacs_pull"), {"study": [token]})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imaging:import_job", args=[job.pk])
    assert (
        job.source == ImportJob.Source.DICOMWEB and job.pacs_request and first["uid"] not in job.pacs_request
    )
    run_worker()

    job.refresh_from_db()
    assert (job.state, job.instances_imported, job.pacs_request) == ("done", first["files"], "")
    assert Case.objects.count() == 1
    dump = serializers.serialize("json", [*Case.objects.all(), *ImportJob.objects.all()])
    assert not any(study["uid"] in dump for study in studies)
    # Searched again, the study says it is on the site already and is not ticked.
    page = search(carol, accession=first["accession"])
    assert "already imported" in page and "checked" not in page.split('name="study"')[1].split(">")[0]


def test_a_token_this_site_did_not_make_is_refused_and_nothing_is_recorded(carol, pacs_settings, studies):
    response = carol.post(reverse("imaging:pacs_pull"), {"study": ["not-a-token"]}, follow=True)

    assert "A chosen study is not one this site found" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_wrong_password_is_said_on_the_page(carol, pacs_settings, studies, monkeypatch):
    monkeypatch.setenv("PACS_PASSWORD", "wrong")

    assert "refused the user name or password" in search(carol, modality="MR")


def test_without_a_configured_pacs_the_page_says_what_the_operator_sets(carol, settings):
    settings.PACS_DICOMWEB_URL = ""

    page = search(carol)
    assert "No PACS is configured on this site" in page and 'name="study"' not in page


def test_a_pull_that_failed_keeps_its_studies_until_it_is_run_again(carol, pacs_settings, studies, orthanc):
    from tests.support.orthanc_server import free_loopback_port

    second = studies[1]
    [token] = tokens(search(carol, accession=second["accession"]))
    carol.post(reverse("imaging:pacs_pull"), {"study": [token]})
    pacs_settings.PACS_DICOMWEB_URL = f"http://127.0.0.1:{free_loopback_port()}/dicom-web"  # gone
    run_worker()  # the worker logs the task's failure and goes on
    job = ImportJob.objects.get()
    assert job.state == "failed" and "Could not connect to the PACS" in job.error and job.pacs_request

    pacs_settings.PACS_DICOMWEB_URL = orthanc.dicomweb_url
    response = carol.post(reverse("imaging:import_job_retry", args=[job.pk]))
    run_worker()

    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.state, job.instances_imported, job.pacs_request) == ("done", second["files"], "")
