"""Safe across workers: a worker generates only with the run's own checkpoint, never with a model
whose files changed under it, records who wrote each report with what, takes a resumed run's new
batch size, and stops when its model keeps failing: a task worker gives its chunk back to the
others and takes no more work (a real ``db_worker``, run in this process), until enough workers
have stopped on the chunk to fail it."""

import os
import signal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case, Instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.jobs import lifecycle
from cmr_reader.reports.generation import (
    CheckpointMismatch,
    GenerationPlan,
    WorkerStopped,
    cases_lacking_report,
    load_backend,
    plan_from_run,
    plan_run,
    queue_chunks,
    run_generation,
)
from cmr_reader.reports.models import GenerationChunk, GenerationFailure, GenerationRun, Report
from cmr_reader.versions import code_version
from inference.generation_settings import GenerationSettings
from inference.inputs import InputConfig
from inference.prompts import PromptTemplate

pytestmark = pytest.mark.django_db


def plan(model, *, batch_size: int = 2, lang: str = "en", decoding: str = "drop_finished") -> GenerationPlan:
    return GenerationPlan(
        model_path=Path(model),
        template=PromptTemplate.load(lang),
        input_config=InputConfig(frames_per_cine=4, max_pixels=56 * 56),
        settings=GenerationSettings(max_new_tokens=6, batch_size=batch_size, decoding=decoding),
    )


def change_a_checkpoint_file(model) -> None:
    """Another checkpoint copied over this one: a config value and the file's time change."""
    path = Path(model) / "generation_config.json"
    path.write_text(path.read_text().replace("{", '{\n  "max_length": 77,', 1))
    later = path.stat().st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))


def cuda_error(*args, **kwargs):
    raise RuntimeError("CUDA error: an illegal memory access was encountered")


def break_the_gpu(model):
    """This process's loaded model (the one its next chunk takes) fails every case in the model."""
    backend = load_backend(Path(model), device="cpu")
    backend.generate = cuda_error
    return backend


def run_worker_as(monkeypatch, name: str) -> Worker:
    """A real ``db_worker --batch`` on the inference queue, run here as machine ``name``; returns
    the worker, as its SIGTERM handler (installed by the command) holds it."""
    monkeypatch.setattr(lifecycle, "worker_name", lambda: name)
    call_command(
        "db_worker", "--batch", "--queue-name", "inference", "--no-startup-delay", "--no-reload", verbosity=1
    )
    handler = signal.getsignal(signal.SIGTERM)
    assert isinstance(handler.__self__, Worker)
    return handler.__self__


@pytest.fixture
def signal_handlers():
    """db_worker installs its own handlers in this process; the test session gets its own back."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


def deliveries_ready(chunk) -> int:
    return sum(
        task.args_kwargs["kwargs"] == {"chunk_id": chunk.pk}
        for task in DBTaskResult.objects.ready().filter(queue_name="inference")
    )


@pytest.fixture
def three_cases(tmp_path, settings, private_storage):
    from cmr_reader.domain.synthetic import write_cases

    folders = write_cases(tmp_path / "synthetic", cases=3, seed=5, matrix=32, phases=6)
    import_sources(
        iter_path_sources(sorted(p for folder in folders for p in folder.glob("*.dcm"))),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
    )
    return list(Case.objects.order_by("case_id"))


def test_a_worker_refuses_weights_that_are_not_the_run_checkpoint(stored_cases, model):
    run = plan_run(plan(model))
    change_a_checkpoint_file(model)  # this machine's copy is not what the run was planned with

    with pytest.raises(
        CheckpointMismatch, match=rf"run {run.pk} was planned with {run.checkpoint_sha256[:12]}"
    ):
        run_generation(run, cases=stored_cases, device="cpu", preprocess_workers=0)

    chunk = GenerationChunk.objects.get()
    run.refresh_from_db()
    assert chunk.state == GenerationChunk.State.FAILED and "CheckpointMismatch" in chunk.error
    assert run.state == GenerationRun.State.FAILED and not Report.objects.exists()


def test_a_loaded_model_is_reused_until_its_files_change(model):
    first = load_backend(Path(model), device="cpu")
    assert load_backend(Path(model), device="cpu") is first

    change_a_checkpoint_file(model)
    reloaded = load_backend(Path(model), device="cpu")

    assert reloaded is not first
    assert reloaded.weights_hash() != first.weights_hash()
    assert load_backend(Path(model), device="cpu") is reloaded


def test_each_report_records_code_version_libraries_device_and_timing(stored_cases, model):
    run = run_generation(plan_run(plan(model)), cases=stored_cases, device="cpu", preprocess_workers=0)

    assert run.state == GenerationRun.State.DONE and run.cases_done == 2
    chunk = GenerationChunk.objects.get()
    for report in Report.objects.filter(generation_run=run):
        provenance = report.provenance
        assert provenance["code_version"] == code_version()
        assert provenance["worker"] == chunk.lease_owner and ":" in provenance["worker"]
        assert provenance["chunk"] == chunk.pk
        assert {"torch", "transformers"} <= set(provenance["libraries"])
        assert provenance["model"]["device"] == "cpu" and provenance["model"]["device_name"].endswith("CPU")
        assert provenance["model"]["weights_sha256"] == run.checkpoint_sha256
        assert provenance["timings"]["generate_seconds"] > 0
        assert "decode_seconds" in provenance["timings"]


def test_a_resumed_run_takes_the_new_batch_size_and_decoder(stored_cases, model):
    first = plan_run(plan(model, batch_size=1, decoding="transformers"))

    resumed = plan_run(plan(model, batch_size=3))

    assert resumed.pk == first.pk and resumed.run_key == first.run_key
    assert plan_from_run(resumed).settings.batch_size == 3
    assert plan_from_run(resumed).settings.decoding == "drop_finished"
    run_generation(resumed, cases=stored_cases, device="cpu", preprocess_workers=0)
    generation = [r.provenance["generation"] for r in Report.objects.all()]
    assert {(g["batch_size"], g["decoding"]) for g in generation} == {(3, "drop_finished")}


def test_a_new_template_with_the_same_weights_writes_its_own_reports(stored_cases, model):
    english = run_generation(plan_run(plan(model)), cases=stored_cases, device="cpu", preprocess_workers=0)
    assert not cases_lacking_report(english).exists()

    chinese = plan_run(plan(model, lang="zh"))

    assert chinese.pk != english.pk and chinese.checkpoint_sha256 == english.checkpoint_sha256
    assert list(cases_lacking_report(chinese)) == stored_cases


def test_a_worker_stops_a_chunk_whose_model_keeps_failing(three_cases, model, settings):
    settings.GENERATION_MAX_FAILURES_IN_A_ROW = 2
    backend = break_the_gpu(model)
    run = plan_run(plan(model, batch_size=1))

    with pytest.raises(WorkerStopped, match="stopped after 2 cases in a row"):
        run_generation(run, cases=three_cases, device="cpu", preprocess_workers=0, backend=backend)

    chunk = GenerationChunk.objects.get()
    run.refresh_from_db()
    # In the foreground (the command) nothing is given back: the chunk fails with the reason.
    assert chunk.state == GenerationChunk.State.FAILED and "illegal memory access" in chunk.error
    assert [stop["worker"] for stop in chunk.stopped_workers] == [chunk.lease_owner]
    assert run.state == GenerationRun.State.FAILED and "illegal memory access" in run.error
    # The third case was never tried: it is neither failed nor reported, and a retry will do it.
    assert GenerationFailure.objects.filter(run=run).count() == 2 and not Report.objects.exists()
    # The failing model is not kept for this worker's next chunk.
    assert load_backend(Path(model), device="cpu") is not backend


def test_unreadable_cases_do_not_stop_a_chunk(three_cases, model, settings, private_storage):
    settings.GENERATION_MAX_FAILURES_IN_A_ROW = 2
    unreadable = three_cases[:2]  # input failures in a row: the data's fault, not the model's
    for relative in Instance.objects.filter(series__case__in=unreadable).values_list("file_path", flat=True):
        (private_storage / relative).write_bytes(b"truncated")

    run = run_generation(plan_run(plan(model)), cases=three_cases, device="cpu", preprocess_workers=0)

    assert run.state == GenerationRun.State.DONE and (run.cases_done, run.cases_failed) == (1, 2)
    assert Report.objects.get().case == three_cases[2]


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_model_keeps_failing_gives_its_chunk_back_and_takes_no_more_work(
    three_cases, model, settings, monkeypatch, signal_handlers, coordinator
):
    settings.GENERATION_MAX_FAILURES_IN_A_ROW = 2
    run = plan_run(plan(model, batch_size=1))
    (chunk,) = queue_chunks(run, [case.case_id for case in three_cases], chunk_size=3, device="cpu")
    break_the_gpu(model)

    gpu_a = run_worker_as(monkeypatch, "gpu-a:11")

    # gpu-a asked its db_worker to stop the way SIGTERM does, and it did: the chunk's new delivery,
    # ready at once, is left for another worker.
    assert gpu_a.running is False
    assert deliveries_ready(chunk) == 1
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert (chunk.state, chunk.lease_owner, chunk.lease_expires_at) == (
        GenerationChunk.State.QUEUED,
        "",
        None,
    )
    assert "on gpu-a:11" in chunk.error and "illegal memory access" in chunk.error
    assert "given back" in chunk.error
    assert [stop["worker"] for stop in chunk.stopped_workers] == ["gpu-a:11"]
    assert run.state == GenerationRun.State.QUEUED and not Report.objects.exists()
    assert GenerationFailure.objects.filter(run=run).count() == 2  # recorded, to be tried again

    gpu_b = run_worker_as(monkeypatch, "gpu-b:22")  # its model works (gpu-a's broken one was dropped)

    assert gpu_b.running is True
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert (chunk.state, chunk.attempts) == (GenerationChunk.State.DONE, 2)
    assert run.state == GenerationRun.State.DONE and (run.cases_done, run.cases_failed) == (3, 0)
    # Every case once, by gpu-b, the two gpu-a failed included; their failures are gone.
    reports = Report.objects.filter(generation_run=run)
    assert sorted(reports.values_list("case__case_id", flat=True)) == [case.case_id for case in three_cases]
    assert {report.provenance["worker"] for report in reports} == {"gpu-b:22"}
    assert not GenerationFailure.objects.exists()
    # Staff see on the run's page which worker stopped, and why.
    client = Client()
    client.force_login(coordinator)
    page = client.get(f"/generation/runs/{run.pk}/").content.decode()
    assert "on gpu-a:11" in page and "taken over by gpu-b:22" in page


@pytest.mark.django_db(transaction=True)
def test_a_chunk_fails_once_enough_workers_have_stopped_on_it(
    three_cases, model, settings, monkeypatch, signal_handlers
):
    settings.GENERATION_MAX_FAILURES_IN_A_ROW = 2
    settings.GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK = 2
    run = plan_run(plan(model, batch_size=1))
    (chunk,) = queue_chunks(run, [case.case_id for case in three_cases], chunk_size=3, device="cpu")

    break_the_gpu(model)
    assert run_worker_as(monkeypatch, "gpu-a:11").running is False
    break_the_gpu(model)  # broken on the next machine too: the model, not one GPU
    gpu_b = run_worker_as(monkeypatch, "gpu-b:22")

    assert gpu_b.running is False
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert chunk.state == GenerationChunk.State.FAILED and chunk.error.startswith("WorkerStopped: ")
    assert "on gpu-a:11" in chunk.error and "on gpu-b:22" in chunk.error
    assert [stop["worker"] for stop in chunk.stopped_workers] == ["gpu-a:11", "gpu-b:22"]
    assert deliveries_ready(chunk) == 0  # not given back again
    assert run.state == GenerationRun.State.FAILED and f"chunk {chunk.pk}:" in run.error
    # gpu-b tried the two cases again and failed them; the third was never tried.
    assert GenerationFailure.objects.filter(run=run).count() == 2 and not Report.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_chunk_given_back_after_its_last_cases_failed_is_not_closed_on_those_failures(
    three_cases, model, settings, monkeypatch, signal_handlers
):
    settings.GENERATION_MAX_FAILURES_IN_A_ROW = 2
    run = plan_run(plan(model, batch_size=1))
    (chunk,) = queue_chunks(run, [case.case_id for case in three_cases[:2]], chunk_size=2, device="cpu")
    break_the_gpu(model)

    run_worker_as(monkeypatch, "gpu-a:11")

    # Every case has an answer, but only gpu-a's failures: the chunk waits for another worker.
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert chunk.state == GenerationChunk.State.QUEUED and run.state == GenerationRun.State.QUEUED
    assert GenerationFailure.objects.filter(run=run).count() == 2

    run_worker_as(monkeypatch, "gpu-b:22")

    chunk.refresh_from_db()
    run.refresh_from_db()
    assert chunk.state == GenerationChunk.State.DONE and run.state == GenerationRun.State.DONE
    assert (run.cases_done, run.cases_failed) == (2, 0)
