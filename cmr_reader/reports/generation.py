"""AI reports for stored cases with the ``inference`` package: plan a run, run it, resume it.

A run is keyed by the checkpoint's content hash, the prompt template's hash and the settings
(``run_key``): running the same command again continues that run, generating only the cases
that still lack a report from this run. Each case's report is stored in its own
transaction as soon as it is written, so a killed worker loses at most the cases in flight; the
(case, run) unique constraint makes a case generated twice (two workers, a duplicate task) store
once. A failing case is recorded with its reason and the run goes on.

The work is done in chunks (``GenerationChunk``), each claimed by one worker under a lease that
every stored case renews (cmr_reader/jobs/lifecycle.py). The command runs one chunk in the
foreground; ``queue_chunks`` hands them to GPU workers (``generate_chunk_task``). A worker that
claims a chunk also schedules the chunk's task again for just after its lease: if the worker died
by then, that delivery takes the chunk over and generates the cases still lacking a report; if it
is alive, the delivery only schedules the next look. ``settle_run`` gives the run the state of its
chunks: done only when every chunk is, failed when one failed.

Each worker checks, before it generates, that the checkpoint it loaded hashes to the run's
(``verify_checkpoint``): weights replaced on one machine refuse to write under the run that names
others. A loaded model is reused while its files on disk are unchanged (``load_backend``). Every
report records the code version and the worker that wrote it beside the model's provenance
(device, library versions, timings).

A worker whose model fails ``GENERATION_MAX_FAILURES_IN_A_ROW`` cases in a row stops there
(``WorkerStopped``) instead of recording a failure for every case. A GPU worker is then the likely
culprit (a broken GPU, a bad driver): it gives the chunk back (``ChunkGivenBack``: queued again at
once, its lease released, why and which worker stopped recorded in ``stopped_workers`` and shown
as the chunk's error) and asks its ``db_worker`` to shut down gracefully after this task, the way
SIGTERM does (``_stop_taking_work``). Another worker takes the chunk over and generates its cases
still lacking a report, the ones that failed included (a report clears a case's failure). Once
``GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK`` workers have stopped on one chunk the model is broken
everywhere, and the chunk fails with the reasons. The command, running a chunk in the foreground,
fails it at once with the reason.

torch and transformers are imported only when a run actually generates (``load_backend``), so
the web process never loads them.
"""

import dataclasses
import hashlib
import json
import logging
import os
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task
from django_tasks_db.management.commands.db_worker import Worker

from cmr_reader.domain.entities.extract import extract_report_diagnosis
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.jobs import lifecycle
from cmr_reader.jobs.model import JobState
from cmr_reader.reports.models import GenerationChunk, GenerationFailure, GenerationRun, Report
from cmr_reader.reports.training_leakage import refuse_trained_cases
from cmr_reader.versions import code_version
from inference.checkpoint import checkpoint_files, checkpoint_sha256
from inference.generation_settings import SPEED_SETTINGS, GenerationSettings
from inference.inputs import InputConfig
from inference.pipeline import CaseReport, CaseSource, ReportGenerator
from inference.prompts import PromptTemplate

logger = logging.getLogger(__name__)
# (checkpoint folder, device) -> (its files' names, sizes and modification times when loaded, backend)
_BACKENDS: dict[tuple[str, str], tuple[tuple, object]] = {}


class CheckpointMismatch(RuntimeError):
    """The checkpoint a worker loaded is not the one its run names."""


class WorkerStopped(RuntimeError):
    """A worker stopped a chunk after too many model failures in a row."""


class ChunkGivenBack(WorkerStopped):
    """A task worker stopped a chunk and gave it back to the other workers."""


@dataclass(frozen=True)
class GenerationPlan:
    model_path: Path
    template: PromptTemplate
    input_config: InputConfig
    settings: GenerationSettings

    def run_key(self, weights_sha256: str) -> str:
        described = {
            "weights": weights_sha256,
            "template": self.template.sha256,
            "inputs": self.input_config.as_dict(),
            # how the work is batched and decoded changes speed, not text (tested: batched greedy
            # equals one by one, and both decoders give the same tokens)
            "generation": {k: v for k, v in self.settings.as_dict().items() if k not in SPEED_SETTINGS},
        }
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def plan_run(plan: GenerationPlan, *, user=None) -> GenerationRun:
    """The run for this checkpoint, template and settings: the existing one, or a new queued one."""
    weights = checkpoint_sha256(plan.model_path)
    key = plan.run_key(weights)
    run = GenerationRun.objects.filter(run_key=key).order_by("id").first()
    if run is not None:
        # Batch size and decoder change speed, not text (they are not in the key): a resumed run
        # uses the new ones.
        wanted = {name: getattr(plan.settings, name) for name in SPEED_SETTINGS}
        if any(run.generation_parameters.get(name) != value for name, value in wanted.items()):
            run.generation_parameters = {**run.generation_parameters, **wanted}
            run.save(update_fields=["generation_parameters", "updated_at"])
        return run
    return GenerationRun.objects.create(
        run_key=key,
        state=GenerationRun.State.QUEUED,
        model_name=Path(plan.model_path).resolve().name,
        checkpoint_path=str(Path(plan.model_path).resolve()),
        checkpoint_sha256=weights,
        prompt_template=plan.template.text,
        generation_parameters=plan.settings.as_dict(),
        input_settings={
            "inputs": plan.input_config.as_dict(),
            "template": {
                "name": plan.template.name,
                "language": plan.template.language,
                "sha256": plan.template.sha256,
            },
        },
        code_version=code_version(),
        created_by=user,
    )


def plan_from_run(run: GenerationRun) -> GenerationPlan:
    template_info = run.input_settings["template"]
    return GenerationPlan(
        model_path=Path(run.checkpoint_path),
        template=PromptTemplate(
            name=template_info["name"], text=run.prompt_template, language=template_info["language"]
        ),
        input_config=InputConfig(**_tuples(run.input_settings["inputs"])),
        settings=GenerationSettings(**run.generation_parameters),
    )


def cases_lacking_report(run: GenerationRun, cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Cases (all, or ``cases``) without an AI report from this run, in id order. By run, not by
    checkpoint: a new prompt template or new settings with the same weights is a new run that
    writes its own reports."""
    cases = Case.objects.all() if cases is None else cases
    done = Report.objects.filter(source=Report.Source.AI, generation_run=run)
    return cases.exclude(pk__in=done.values("case_id")).order_by("case_id")


def case_source(case: Case) -> CaseSource:
    root = Path(settings.DICOM_STORAGE_ROOT)
    files = Instance.objects.filter(series__case=case).order_by("series_id", "instance_number", "id")
    kinds = dict(Series.objects.filter(case=case).values_list("series_instance_uid", "kind"))
    return CaseSource(
        key=case.case_id,
        source=tuple(root / path for path in files.values_list("file_path", flat=True)),
        series_kinds=kinds,
    )


def load_backend(model_path: Path, *, device: str):
    """One loaded model per (checkpoint, device) per process: a worker loads it once for all its
    tasks, and again when the folder's files change on disk (name, size or modification time), so
    weights copied over a checkpoint are never served from the old model in memory. The
    checkpoint's hash is taken at load (``Backend.weights_hash``) for ``verify_checkpoint``."""
    from inference.backend import Backend

    key = (str(Path(model_path).resolve()), device)
    signature = _files_signature(Path(model_path))
    cached = _BACKENDS.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    _BACKENDS.pop(key, None)
    backend = Backend(model_path, device=device)
    backend.weights_hash()
    if _files_signature(Path(model_path)) == signature:  # not cached if the files changed while loading
        _BACKENDS[key] = (signature, backend)
    return backend


def _files_signature(model_path: Path) -> tuple:
    return tuple(
        (file.relative_to(model_path).as_posix(), stat.st_size, stat.st_mtime_ns)
        for file in checkpoint_files(model_path)
        for stat in [file.stat()]
    )


def verify_checkpoint(backend, run: GenerationRun) -> None:
    """Refuse to generate for ``run`` with a model whose checkpoint does not hash to the run's."""
    loaded = backend.weights_hash()
    if loaded != run.checkpoint_sha256:
        raise CheckpointMismatch(
            f"the checkpoint at {backend.model_path} hashes to {loaded[:12]}, but run {run.pk} was "
            f"planned with {run.checkpoint_sha256[:12]}: copy the run's checkpoint to this machine "
            "(or plan a new run for these weights)"
        )


def run_generation(
    run: GenerationRun,
    *,
    cases: Iterable[Case],
    device: str = "auto",
    preprocess_workers: int = 1,
    backend=None,
    progress: Callable[[CaseReport], None] | None = None,
) -> GenerationRun:
    """Generate and store reports for ``cases`` here, as one chunk of ``run`` that this process
    claims; returns the run with its settled state."""
    case_ids = [case.case_id for case in cases]
    refuse_trained_cases(run, case_ids)
    chunk = GenerationChunk.objects.create(run=run, case_ids=case_ids, device=device)
    claimed = lifecycle.claim(GenerationChunk, chunk.pk)
    return run_chunk(claimed, preprocess_workers=preprocess_workers, backend=backend, progress=progress)


def queue_chunks(
    run: GenerationRun, case_ids: list[str], *, chunk_size: int, device: str = "auto"
) -> list[GenerationChunk]:
    """Split ``case_ids`` into queued chunks, each a task on the inference queue."""
    if chunk_size < 1:
        raise ValueError(f"a chunk holds at least one case, not {chunk_size}")
    refuse_trained_cases(run, case_ids)
    with transaction.atomic():
        chunks = [
            GenerationChunk.objects.create(
                run=run, case_ids=case_ids[start : start + chunk_size], device=device
            )
            for start in range(0, len(case_ids), chunk_size)
        ]
        for chunk in chunks:
            transaction.on_commit(lambda chunk=chunk: generate_chunk_task.enqueue(chunk_id=chunk.pk))
        settle_run(run.pk)
    return chunks


@task(queue_name="inference")
def generate_chunk_task(*, chunk_id: int) -> dict:
    """One chunk on whichever GPU worker takes it: run it, take it over from a dead worker, or
    (its worker alive, or it ended) look again later or do nothing."""
    chunk = lifecycle.claim(GenerationChunk, chunk_id)
    if chunk is None:
        current = GenerationChunk.objects.filter(pk=chunk_id).first()
        if current is not None and current.state == JobState.RUNNING:
            watch_chunk(current)
            return {"chunk": chunk_id, "watching": True}
        return {"chunk": chunk_id, "skipped": True}
    watch_chunk(chunk)
    try:
        run = run_chunk(chunk, give_back=True)
    except ChunkGivenBack as stopped:
        _stop_taking_work(str(stopped))
        return {"chunk": chunk_id, "attempt": chunk.attempts, "given_back": str(stopped)}
    except WorkerStopped as stopped:
        _stop_taking_work(str(stopped))
        raise
    return {"chunk": chunk_id, "attempt": chunk.attempts, "run_state": run.state}


def _stop_taking_work(reason: str) -> None:
    """Ask the ``db_worker`` running this task to exit once the task returns: its own SIGTERM
    handler (``Worker.shutdown``) lets the task end and takes no further one. Elsewhere (another
    task backend, a web process) nothing is stopped; the reason is logged."""
    worker = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    if not (isinstance(worker, Worker) and worker.running_task):
        logger.error("not in a db_worker's task; this process goes on taking work despite: %s", reason)
        return
    logger.error("this worker stops taking work: %s", reason)
    os.kill(os.getpid(), signal.SIGTERM)


def watch_chunk(chunk: GenerationChunk) -> None:
    """Deliver the chunk's task again just after its lease runs out (see the module's docstring)."""
    when = chunk.lease_expires_at + timedelta(seconds=1)
    transaction.on_commit(lambda: generate_chunk_task.using(run_after=when).enqueue(chunk_id=chunk.pk))


def run_chunk(
    chunk: GenerationChunk,
    *,
    preprocess_workers: int = 1,
    backend=None,
    progress: Callable[[CaseReport], None] | None = None,
    give_back: bool = False,
) -> GenerationRun:
    """Generate the chunk's cases that still lack a report from its run, renewing the lease after
    each; an escaping error fails the chunk (and so the run) with the reason. A model failing
    ``GENERATION_MAX_FAILURES_IN_A_ROW`` cases in a row raises ``WorkerStopped``; with
    ``give_back`` (a task worker) the chunk is given back instead of failed
    (``ChunkGivenBack``), until ``GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK`` workers have stopped
    on it."""
    run = chunk.run
    try:
        plan = plan_from_run(run)
        backend = backend or load_backend(plan.model_path, device=chunk.device)
        # Loading a large model takes a while. A chunk taken over from stopped workers keeps saying so.
        taken_over = {"error": f"{chunk.stop_note()}; taken over by {chunk.lease_owner}"}
        lifecycle.heartbeat(chunk, **(taken_over if chunk.stopped_workers else {}))
        verify_checkpoint(backend, run)
        described = backend.describe()
        GenerationRun.objects.filter(pk=run.pk).update(
            state=JobState.RUNNING,
            started_at=Coalesce("started_at", timezone.now()),
            finished_at=None,
            environment=described,
            device=str(described.get("device", chunk.device)),
            updated_at=timezone.now(),
        )
        done = Report.objects.filter(generation_run=run, case__case_id__in=chunk.case_ids).values("case_id")
        cases = {
            case.case_id: case
            for case in Case.objects.filter(case_id__in=chunk.case_ids)
            .exclude(pk__in=done)
            .order_by("case_id")
        }
        generator = ReportGenerator(
            backend,
            template=plan.template,
            settings=plan.settings,
            input_config=plan.input_config,
            cache_dir=Path(settings.DATA_DIR) / "inference-cache",
            preprocess_workers=preprocess_workers,
        )
        worker = {"code_version": code_version(), "worker": chunk.lease_owner, "chunk": chunk.pk}
        limit = settings.GENERATION_MAX_FAILURES_IN_A_ROW
        failures_in_a_row = 0
        for report in generator.run(case_source(case) for case in cases.values()):
            report = dataclasses.replace(report, provenance={**report.provenance, **worker})
            store_case_report(run, cases[report.key], report)
            if progress:
                progress(report)
            # A case that reached the model (it has a prompt) and failed there counts; unreadable inputs do not.
            failures_in_a_row = failures_in_a_row + 1 if report.error and report.prompt_text else 0
            if failures_in_a_row >= limit:
                _forget_backend(backend)
                raise WorkerStopped(
                    f"stopped after {failures_in_a_row} cases in a row failed in the model on "
                    f"{chunk.lease_owner} (last: {report.error[:300]})"
                )
            if not lifecycle.heartbeat(chunk):
                logger.warning(
                    "generation chunk %s was taken over by another worker; stopping here", chunk.pk
                )
                return settle_run(run.pk)
    except WorkerStopped as stopped:
        logger.error("generation chunk %s: %s", chunk.pk, stopped)
        given_back = _stop_chunk(chunk, stopped, give_back=give_back)
        settle_run(run.pk)
        if given_back:
            raise ChunkGivenBack(str(stopped)) from stopped
        raise
    except Exception as error:
        logger.exception("generation chunk %s failed", chunk.pk)
        lifecycle.fail(chunk, error=f"{type(error).__name__}: {error}")
        settle_run(run.pk)
        raise
    lifecycle.finish(chunk)
    return settle_run(run.pk)


def _stop_chunk(chunk: GenerationChunk, stopped: WorkerStopped, *, give_back: bool) -> bool:
    """Record that this worker stopped on ``chunk``, and give the chunk back (True: queued again,
    and delivered again at once) or, without ``give_back`` or once enough workers have stopped on
    it, fail it with the reasons."""
    now = timezone.now()
    stops = [
        *chunk.stopped_workers,
        {"worker": chunk.lease_owner, "at": now.isoformat(), "reason": str(stopped)},
    ]
    note = "; ".join(stop["reason"] for stop in stops)
    if give_back and len(stops) < settings.GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK:
        if lifecycle.release(
            chunk, now=now, stopped_workers=stops, error=f"{note}; given back to the other workers"
        ):
            transaction.on_commit(lambda: generate_chunk_task.enqueue(chunk_id=chunk.pk))
            return True
        return False  # taken over meanwhile: the new owner has it
    lifecycle.fail(chunk, now=now, stopped_workers=stops, error=f"{type(stopped).__name__}: {note}")
    return False


def _forget_backend(backend) -> None:
    """Drop a failing model from this process's cache, so its next chunk loads it afresh."""
    for key, (_signature, cached) in list(_BACKENDS.items()):
        if cached is backend:
            del _BACKENDS[key]


def store_case_report(run: GenerationRun, case: Case, report: CaseReport) -> None:
    """One case's outcome in one transaction: its report (with the seconds it took) or its
    failure, and the run's counts moved by what changed."""
    with transaction.atomic():
        if report.error:
            _failure, created = GenerationFailure.objects.update_or_create(
                run=run, case=case, defaults={"reason": report.error[:4000]}
            )
            if created:
                GenerationRun.objects.filter(pk=run.pk).update(cases_failed=F("cases_failed") + 1)
            return
        try:
            with transaction.atomic():
                Report.objects.create(
                    case=case,
                    source=Report.Source.AI,
                    generation_run=run,
                    text=report.text,
                    language=report.language,
                    diagnosis=extract_report_diagnosis(report.text, lang=report.language),
                    prompt=report.prompt_text,
                    provenance=report.provenance,
                    generate_seconds=report.provenance.get("timings", {}).get("generate_seconds"),
                )
        except IntegrityError:
            logger.info("case %s already has a report from run %s; kept the first", case.case_id, run.pk)
            return
        retried, _kinds = GenerationFailure.objects.filter(run=run, case=case).delete()
        GenerationRun.objects.filter(pk=run.pk).update(
            cases_done=F("cases_done") + 1, cases_failed=F("cases_failed") - retried
        )


def settle_run(run_id: int) -> GenerationRun:
    """The run's state from its chunks' (under the run's row lock), after closing the chunks whose
    every case has been answered (a report or a recorded failure), by them or by a later chunk
    (a crashed command run again, a failed chunk's cases run again). For a chunk a worker stopped
    on, only failures recorded after the last stop answer a case: that worker's (its GPU suspect)
    are to be tried again by the worker it was given back to. Counts are recounted."""
    with transaction.atomic():
        run = GenerationRun.objects.select_for_update().get(pk=run_id)
        reported = set(run.reports.values_list("case__case_id", flat=True))
        failed_at = dict(run.failures.values_list("case__case_id", "created_at"))
        answered = reported | set(failed_at)
        now = timezone.now()
        for chunk in run.chunks.exclude(state=JobState.DONE):
            if chunk.stopped_workers:
                since = datetime.fromisoformat(chunk.stopped_workers[-1]["at"])
                closes = all(
                    case in reported or (case in failed_at and failed_at[case] > since)
                    for case in chunk.case_ids
                )
            else:
                closes = set(chunk.case_ids) <= answered
            if closes:
                GenerationChunk.objects.filter(pk=chunk.pk, state=chunk.state).update(
                    state=JobState.DONE, finished_at=now, lease_expires_at=None, updated_at=now
                )
        states = set(run.chunks.values_list("state", flat=True))
        if not states:
            return run
        failed = run.chunks.filter(state=JobState.FAILED)
        if JobState.RUNNING in states or (JobState.QUEUED in states and len(states) > 1):
            run.state, run.finished_at, run.error = JobState.RUNNING, None, ""
        elif JobState.QUEUED in states:
            run.state, run.finished_at, run.error = JobState.QUEUED, None, ""
        elif failed.exists():
            run.state, run.finished_at = JobState.FAILED, run.finished_at or now
            run.error = "; ".join(f"chunk {chunk.pk}: {chunk.error}" for chunk in failed[:5])[:2000]
        else:
            run.state, run.finished_at, run.error = JobState.DONE, run.finished_at or now, ""
        run.cases_done = run.reports.count()
        run.cases_failed = run.failures.count()
        run.save(update_fields=["state", "finished_at", "error", "cases_done", "cases_failed", "updated_at"])
        return run


def _tuples(values: dict) -> dict:
    """JSON turned the config's tuples into lists; InputConfig is frozen and hashable with tuples."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
