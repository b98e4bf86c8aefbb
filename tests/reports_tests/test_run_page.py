"""A generation run's page: its progress while it runs, and what an imported run came from."""

import pytest
from django.test import Client

from cmr_reader.reports.models import GenerationRun

pytestmark = pytest.mark.django_db


def page(user, run) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/generation/runs/{run.pk}/").content.decode()


def test_a_running_run_shows_its_progress_and_refreshes(coordinator):
    run = GenerationRun.objects.create(
        model_name="tiny", state=GenerationRun.State.RUNNING, cases_total=40, cases_done=9, cases_failed=1
    )
    body = page(coordinator, run)
    assert 'value="25"' in body and 'http-equiv="refresh"' in body


def test_a_finished_run_does_not_refresh(coordinator):
    run = GenerationRun.objects.create(
        model_name="tiny", state=GenerationRun.State.DONE, cases_total=4, cases_done=4
    )
    body = page(coordinator, run)
    assert 'value="100"' in body and 'http-equiv="refresh"' not in body


def test_an_imported_run_names_its_files_and_version(coordinator):
    run = GenerationRun.objects.create(
        model_name="vendor-llm",
        model_version="2.1",
        origin=GenerationRun.Origin.IMPORTED,
        state=GenerationRun.State.DONE,
        import_files=[{"file_name": "vendor.csv", "rows": 12, "reports_added": 11, "sha256": "ab" * 32}],
    )
    body = page(coordinator, run)
    assert "model version 2.1" in body and "vendor.csv" in body and "12 rows, 11 reports added" in body
    assert "Checkpoint" not in body
