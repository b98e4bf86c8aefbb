"""manage.py generate_reports end to end: stored synthetic cases in, stored traceable AI reports
out; idempotent, resumable after a crash, a bad case recorded and skipped, queueable."""

import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from cmr_reader.imaging.models import Instance
from cmr_reader.reports import generation
from cmr_reader.reports.generation import generate_chunk_task
from cmr_reader.reports.models import GenerationChunk, GenerationFailure, GenerationRun, Report

pytestmark = pytest.mark.django_db
# fmt: off
OPTIONS = ["--device", "cpu", "--max-new-tokens", "8", "--frames-per-cine", "4", "--max-pixels", "3136",
           "--preprocess-workers", "0"]
# fmt: on


def test_every_case_gets_a_traceable_ai_report_once(stored_cases, model):
    call_command("generate_reports", "--model", model, *OPTIONS)

    run = GenerationRun.objects.get()
    assert run.state == GenerationRun.State.DONE and (run.cases_total, run.cases_done, run.cases_failed) == (
        2,
        2,
        0,
    )
    assert run.checkpoint_sha256 == Report.objects.first().provenance["model"]["weights_sha256"]
    assert all(
        seconds > 0
        for seconds in Report.objects.filter(generation_run=run).values_list("generate_seconds", flat=True)
    )
    for case in stored_cases:
        (report,) = Report.objects.filter(case=case, source="ai")
        assert report.text and report.language == "en" and report.generation_run == run
        assert "Video 1: short-axis cine" in report.prompt
        assert report.provenance["prompt"]["template_sha256"] == run.input_settings["template"]["sha256"]
        assert report.provenance["inputs"]["items"][0]["kind"] == "cine_sax"

    call_command("generate_reports", "--model", model, *OPTIONS)  # again: nothing to do
    assert Report.objects.filter(source="ai").count() == 2 and GenerationRun.objects.count() == 1


def test_a_crashed_run_continues_where_it_stopped(stored_cases, model, monkeypatch):
    real = generation.store_case_report
    stored = []

    def crash_after_first(run, case, report):
        if stored:
            raise KeyboardInterrupt  # the worker is killed
        real(run, case, report)
        stored.append(case)

    monkeypatch.setattr(generation, "store_case_report", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        call_command("generate_reports", "--model", model, *OPTIONS)
    run = GenerationRun.objects.get()
    assert run.state == GenerationRun.State.RUNNING and Report.objects.filter(source="ai").count() == 1

    monkeypatch.setattr(generation, "store_case_report", real)
    call_command("generate_reports", "--model", model, *OPTIONS)
    run.refresh_from_db()
    assert GenerationRun.objects.count() == 1 and run.state == GenerationRun.State.DONE
    assert sorted(Report.objects.filter(source="ai").values_list("case__case_id", flat=True)) == [
        c.case_id for c in stored_cases
    ]


def test_a_case_with_unreadable_series_is_recorded_and_the_others_go_on(stored_cases, model, private_storage):
    bad = stored_cases[0]
    for relative in Instance.objects.filter(series__case=bad).values_list("file_path", flat=True):
        (private_storage / relative).write_bytes(b"truncated")

    call_command("generate_reports", "--model", model, *OPTIONS)

    (failure,) = GenerationFailure.objects.all()
    assert failure.case == bad and "InputError" in failure.reason
    assert Report.objects.filter(source="ai").get().case == stored_cases[1]
    run = GenerationRun.objects.get()
    assert (run.cases_done, run.cases_failed) == (1, 1)


def test_queued_chunks_are_generated_by_workers_and_coordinators_see_the_run(
    stored_cases, model, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("generate_reports", "--model", model, *OPTIONS, "--queue", "--chunk", "1")
    tasks = DBTaskResult.objects.filter(queue_name="inference")
    assert tasks.count() == 2 and Report.objects.filter(source="ai").count() == 0

    run = GenerationRun.objects.get()
    assert run.state == GenerationRun.State.QUEUED
    for task in list(tasks):
        kwargs = task.args_kwargs["kwargs"]
        assert generate_chunk_task.func(**kwargs)["attempt"] == 1
        assert generate_chunk_task.func(**kwargs) == {
            "chunk": kwargs["chunk_id"],
            "skipped": True,
        }  # a duplicate delivery
        run.refresh_from_db()
        assert run.state == (GenerationRun.State.DONE if run.cases_done == 2 else GenerationRun.State.RUNNING)
    assert Report.objects.filter(source="ai", generation_run=run).count() == 2
    assert run.state == GenerationRun.State.DONE and run.finished_at is not None

    client = Client()
    client.force_login(coordinator)
    assert run.model_name in client.get("/generation/runs/").content.decode()
    page = client.get(f"/generation/runs/{run.pk}/").content.decode()
    assert run.checkpoint_sha256 in page and "weights_sha256" in page


def test_input_settings_default_to_what_the_checkpoint_was_trained_with(stored_cases, model):
    """A checkpoint that records its input settings (the demo model does) is read the way it was
    trained, unless the command says otherwise."""
    import json
    from pathlib import Path

    recorded = {
        "frames_per_cine": 2,
        "sax_slices": "three",
        "lge_slices": "three",
        "max_pixels": 56 * 56,
        "window_percentiles": [1.0, 99.0],
        "centre_fraction": 0.75,
    }
    (Path(model) / "demo_inputs.json").write_text(json.dumps(recorded), encoding="utf-8")

    quick = ["--device", "cpu", "--max-new-tokens", "8", "--preprocess-workers", "0"]
    call_command("generate_reports", "--model", model, *quick, "--limit", "1")
    call_command("generate_reports", "--model", model, *quick, "--frames-per-cine", "all")

    first, second = GenerationRun.objects.order_by("pk")
    assert first.input_settings["inputs"] == recorded
    assert second.input_settings["inputs"] == {**recorded, "frames_per_cine": None}
    report = Report.objects.filter(source="ai").order_by("pk").first()
    assert report.provenance["inputs"]["config"]["centre_fraction"] == 0.75


def test_a_frame_count_that_is_not_a_number_is_a_clear_error(stored_cases, model):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="number or 'all'"):
        call_command("generate_reports", "--model", model, "--device", "cpu", "--frames-per-cine", "two")

    assert not GenerationRun.objects.exists() and not Report.objects.exists()


def test_a_chunk_that_cannot_run_fails_and_so_does_its_run_with_the_reason(
    stored_cases, model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("generate_reports", "--model", model, *OPTIONS, "--queue", "--chunk", "1")
    first, second = GenerationChunk.objects.order_by("id")
    assert generate_chunk_task.func(chunk_id=first.pk)["run_state"] == GenerationRun.State.RUNNING
    shutil.rmtree(model)  # the checkpoint folder vanished from this worker's disk
    generation._BACKENDS.clear()

    with pytest.raises(OSError):
        generate_chunk_task.func(chunk_id=second.pk)

    second.refresh_from_db()
    run = GenerationRun.objects.get()
    assert second.state == GenerationChunk.State.FAILED and "Error" in second.error
    assert run.state == GenerationRun.State.FAILED and f"chunk {second.pk}:" in run.error
    assert (run.cases_done, run.cases_failed) == (1, 0) and run.finished_at is not None
