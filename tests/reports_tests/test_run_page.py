"""A generation run's page: its progress while it runs, and what an imported run came from."""

import re

import pytest
from django.test import Client

from cmr_reader.reports.models import GenerationChunk, GenerationRun

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


def test_the_chunks_list_each_worker_that_stopped_on_them_and_when(coordinator, settings):
    settings.GENERATION_MAX_FAILURES_IN_A_ROW, settings.GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK = 4, 3
    run = GenerationRun.objects.create(model_name="tiny", state=GenerationRun.State.QUEUED, cases_total=3)
    stops = [
        {"worker": "gpu-a:11", "at": "2026-12-07T08:15:00+00:00", "reason": "stopped on gpu-a:11"},
        {"worker": "gpu-b:22", "at": "2026-12-07T09:40:00+00:00", "reason": "stopped on gpu-b:22"},
    ]
    GenerationChunk.objects.create(run=run, case_ids=["C1", "C2", "C3"], stopped_workers=stops)
    GenerationChunk.objects.create(run=run, case_ids=["C4"])

    body = page(coordinator, run)

    listed = re.findall(r'<ul class="worker-stops">(.*?)</ul>', body, flags=re.S)
    assert len(listed) == 1  # the chunk no worker stopped on has no list
    # Oldest first, each with its time (the site's zone is UTC in the tests).
    assert re.findall(r"<li>(\S+) stopped here at ([^<]+)</li>", listed[0]) == [
        ("gpu-a:11", "Dec. 7, 2026, 8:15 a.m."),
        ("gpu-b:22", "Dec. 7, 2026, 9:40 a.m."),
    ]
    assert "fails 4 cases in a row" in body and "once 3 workers have stopped on it" in body
