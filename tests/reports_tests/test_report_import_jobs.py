"""Committing a previewed reports upload: a real task worker imports it as a background job."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cmr_reader.jobs import lifecycle
from cmr_reader.reports import report_import, report_import_jobs
from cmr_reader.reports.models import GenerationRun, Report, ReportImportJob
from tests.reports_tests.upload_support import (
    AI_HEADER,
    CHINESE_REPORT,
    REFERENCE_HEADER,
    accession,
    csv_bytes,
    reference_row,
    uploaded_job,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker():
    call_command(
        "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0
    )


@pytest.fixture
def carol(client, coordinator):
    client.force_login(coordinator)
    return client


def commit(client, job: ReportImportJob):
    return client.post(reverse("reports:import_commit", kwargs={"job_id": job.pk}))


def job_page(client, job: ReportImportJob) -> str:
    response = client.get(reverse("reports:import_job", kwargs={"job_id": job.pk}))
    assert response.status_code == 200
    return response.content.decode()


REFERENCE_FILE = csv_bytes(
    REFERENCE_HEADER,
    [
        reference_row(0, f"Accession {accession(0)}. LVEF 55%.", language="en", author="Adaeze Okonkwo"),
        ["ACC-UNKNOWN", "", "", "", "", "LVEF 60%."],
        reference_row(1, CHINESE_REPORT),
        reference_row(2, "Normal study. LVEF 64%."),
    ],
)


def test_committing_imports_the_file_as_a_job_and_committing_it_again_changes_nothing(
    carol, linked_cases, settings
):
    job = uploaded_job(carol, "reports.csv", REFERENCE_FILE)
    staged = settings.UPLOAD_STAGING_ROOT / job.staged_file
    assert staged.is_file()

    response = commit(carol, job)
    job.refresh_from_db()
    assert response.url == reverse("reports:import_job", kwargs={"job_id": job.pk})
    assert (job.state, job.is_committed, Report.objects.count()) == ("queued", True, 0)
    assert '<meta http-equiv="refresh"' in job_page(carol, job)

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.rows_done, job.rows_total, job.percent_done) == ("done", 4, 4, 100)
    assert (job.summary["imported"], job.summary["duplicates"]) == (3, 0)
    assert job.summary["rejected"] == [
        {"line": 3, "reason": "no imported study matches this row's accession_number or study_instance_uid"}
    ]
    assert sorted(Report.objects.values_list("case__case_id", flat=True)) == [c.case_id for c in linked_cases]
    assert "[removed]. LVEF 55%." in Report.objects.get(case=linked_cases[0]).text
    assert (job.staged_file, staged.exists(), staged.parent.exists()) == ("", False, False)
    body = job_page(carol, job)
    assert '<meta http-equiv="refresh"' not in body
    assert '<dd id="job-imported">3</dd>' in body and "line 3: no imported study matches" in body
    stored = list(Report.objects.order_by("pk").values())

    again = uploaded_job(carol, "reports.csv", REFERENCE_FILE)
    assert (again.preview["imported"], again.preview["duplicates"]) == (0, 3)
    commit(carol, again)
    run_worker()

    again.refresh_from_db()
    assert (again.state, again.summary["imported"], again.summary["duplicates"]) == ("done", 0, 3)
    assert list(Report.objects.order_by("pk").values()) == stored


def test_pressing_commit_twice_imports_once(carol, linked_cases):
    job = uploaded_job(carol, "reports.csv", REFERENCE_FILE)
    commit(carol, job)

    response = commit(carol, job)
    run_worker()

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.attempts, job.summary["imported"]) == ("done", 1, 3)


def test_an_ai_import_job_names_the_imported_run(carol, linked_cases):
    data = xlsx_bytes(
        AI_HEADER,
        [
            [linked_cases[0].case_id, None, "vendor-x", "2.0", '{"site": "B"}', '="LVEF "&"61%"'],
            [None, accession(1), "vendor-x", "2.0", None, CHINESE_REPORT],
            [linked_cases[2].case_id, None, None, "2.0", None, "LVEF 50%."],
        ],
    )
    job = uploaded_job(carol, "vendor.xlsx", data, kind="ai")
    commit(carol, job)

    run_worker()

    job.refresh_from_db()
    run = GenerationRun.objects.get()
    assert (run.origin, run.model_name, run.model_version, run.reports.count()) == (
        "imported",
        "vendor-x",
        "2.0",
        2,
    )
    assert job.summary["runs"] == [
        {
            "id": run.pk,
            "model_name": "vendor-x",
            "model_version": "2.0",
            "created": True,
            "imported": 2,
            "duplicates": 0,
        }
    ]
    assert [entry["file_name"] for entry in run.import_files] == ["….xlsx"]
    assert job.summary["rejected"] == [{"line": 4, "reason": "model_name is empty"}]
    assert reverse("reports:run", kwargs={"run_id": run.pk}) in job_page(carol, job)
    # A formula is stored as the text it is, never evaluated.
    assert Report.objects.get(case=linked_cases[0]).text == '="LVEF "&"61%"'


class Killed(BaseException):
    """What a worker killed in the middle of a job amounts to: it stops, and nothing it would
    have done afterwards (finish, fail) happens."""


def test_a_job_whose_worker_died_is_run_again_without_duplicates(carol, linked_cases, monkeypatch):
    job = uploaded_job(carol, "reports.csv", REFERENCE_FILE)
    # Chunks of two rows: the first (one stored, one rejected) is committed and counted; the
    # worker dies in the middle of the second, which is neither written nor counted.
    monkeypatch.setattr(report_import, "CHUNK_ROWS", 2)
    with monkeypatch.context() as patched:
        # No task: this test's first worker is the one below (the clock moves a second a call,
        # so every row's progress is written).
        patched.setattr(report_import_jobs, "_enqueue", lambda job: None)
        commit(carol, job)
        diagnosis = report_import.extract_report_diagnosis
        calls = iter(range(1, 1000))

        def dying_on_the_last_row(text, **kwargs):
            if next(calls) == 3:  # rows 1, 3, then 4 (row 2 is rejected before)
                raise Killed
            return diagnosis(text, **kwargs)

        patched.setattr(report_import, "extract_report_diagnosis", dying_on_the_last_row)
        ticks = iter(range(0, 1000))
        with pytest.raises(Killed):
            report_import_jobs.run_report_import_job(
                job=ReportImportJob.objects.get(pk=job.pk), clock=lambda: next(ticks)
            )
    assert Report.objects.count() == 1
    assert ReportImportJob.objects.get(pk=job.pk).rows_done == 2
    # Minutes later, nothing has renewed the lease: the page says the worker has stopped.
    ReportImportJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(minutes=1))
    body = job_page(carol, job)
    assert "no progress for several minutes" in body and "Run this import again" in body

    response = carol.post(reverse("reports:import_retry", kwargs={"job_id": job.pk}))
    run_worker()

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.attempts, job.rows_done) == ("done", 2, 4)
    # The row the dead worker had rejected is rejected again; the one it stored is a duplicate now.
    assert (job.summary["imported"], job.summary["duplicates"], len(job.summary["rejected"])) == (2, 1, 1)
    assert Report.objects.count() == 3
    assert sorted(Report.objects.values_list("case_id", flat=True)) == sorted(c.pk for c in linked_cases)
    assert "This import ran 2 times" in job_page(carol, job)


def test_a_running_job_cannot_be_run_again_while_its_worker_is_alive(carol, linked_cases):
    job = uploaded_job(carol, "reports.csv", REFERENCE_FILE)
    commit(carol, job)
    lifecycle.claim(ReportImportJob, job.pk, worker="alive:1")

    carol.post(reverse("reports:import_retry", kwargs={"job_id": job.pk}))

    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.attempts) == ("running", "alive:1", 1)
    assert "Run this import again" not in job_page(carol, job)


def test_a_job_whose_staged_file_is_gone_fails_with_a_reason(carol, linked_cases, settings):
    job = uploaded_job(carol, "reports.csv", REFERENCE_FILE)
    (settings.UPLOAD_STAGING_ROOT / job.staged_file).unlink()
    commit(carol, job)

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", "The staged file is gone; upload the file again.")
    body = job_page(carol, job)
    assert "The staged file is gone" in body and "Run this import again" in body
    assert Report.objects.count() == 0
