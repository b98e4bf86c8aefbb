"""Uploads previewed but left uncommitted hold the RIS export as it came (names, accession
numbers): after REPORT_UPLOAD_MAX_AGE_HOURS they go, staged file and all."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cmr_reader.reports.models import ReportImportJob
from cmr_reader.reports.report_uploads import discard_stale_uploads, staged_path
from tests.reports_tests.upload_support import REFERENCE_HEADER, csv_bytes, reference_row, uploaded_job

pytestmark = pytest.mark.django_db

FILE = csv_bytes(REFERENCE_HEADER, [reference_row(0, "LVEF 55%.", patient_name="Doe^Jane")])


@pytest.fixture
def carol(client, coordinator):
    client.force_login(coordinator)
    return client


def aged(job: ReportImportJob, hours: float) -> ReportImportJob:
    ReportImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    return ReportImportJob.objects.get(pk=job.pk)


def test_an_upload_left_uncommitted_for_a_day_is_discarded_with_its_staged_file(
    carol, linked_cases, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_UPLOAD_MAX_AGE_HOURS = 24
    old, fresh = uploaded_job(carol, "old.csv", FILE), uploaded_job(carol, "fresh.csv", FILE)
    old, fresh = aged(old, hours=25), aged(fresh, hours=23)
    old_file, fresh_file = staged_path(old), staged_path(fresh)
    assert old_file.is_file() and fresh_file.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        assert discard_stale_uploads(now=timezone.now()) == 1

    assert not ReportImportJob.objects.filter(pk=old.pk).exists() and not old_file.exists()
    assert ReportImportJob.objects.filter(pk=fresh.pk).exists() and fresh_file.is_file()


def test_a_committed_upload_is_never_discarded(carol, linked_cases, settings, monkeypatch):
    from cmr_reader.reports import report_import_jobs

    monkeypatch.setattr(report_import_jobs, "_enqueue", lambda job: None)  # committed, not yet run
    job = uploaded_job(carol, "kept.csv", FILE)
    report_import_jobs.commit_report_import(job_id=job.pk, now=timezone.now())
    aged(job, hours=100)

    assert discard_stale_uploads(now=timezone.now()) == 0
    assert ReportImportJob.objects.filter(pk=job.pk).exists() and staged_path(job).is_file()


def test_a_new_upload_and_the_command_clear_the_stale_ones(carol, linked_cases, settings):
    settings.REPORT_UPLOAD_MAX_AGE_HOURS = 1
    first = aged(uploaded_job(carol, "first.csv", FILE), hours=2)
    uploaded_job(carol, "second.csv", FILE)
    assert not ReportImportJob.objects.filter(pk=first.pk).exists()

    second_left = aged(ReportImportJob.objects.get(), hours=2)
    out = io.StringIO()
    call_command("discard_stale_uploads", stdout=out)
    assert "Discarded 1 stale uploads." in out.getvalue()
    assert not ReportImportJob.objects.filter(pk=second_left.pk).exists()
