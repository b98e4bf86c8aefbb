"""AI reports for stored cases with the ``inference`` package: plan a run, run it, resume it.

A run is keyed by the checkpoint's content hash, the prompt template's hash and the settings
(``run_key``): running the same command again continues that run, generating only the cases
that still lack a report from this checkpoint. Each case's report is stored in its own
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

torch and transformers are imported only when a run actually generates (``load_backend``), so
the web process never loads them.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from cmr_reader.domain.entities.extract import extract_report_diagnosis
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.jobs import lifecycle
from cmr_reader.jobs.model import JobState
from cmr_reader.reports.models import GenerationChunk, GenerationFailure, GenerationRun, Report
from cmr_reader.versions import code_version
from inference.checkpoint import checkpoint_sha256
from inference.generation_settings import GenerationSettings
from inference.inputs import InputConfig
from inference.pipeline import CaseReport, CaseSource, ReportGenerator
from inference.prompts import PromptTemplate

logger = logging.getLogger(__name__)
_BACKENDS: dict[tuple[str, str], object] = {}


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
            # batch size changes speed, not text (tested: batched greedy equals one by one)
            "generation": {k: v for k, v in self.settings.as_dict().items() if k != "batch_size"},
        }
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def plan_run(plan: GenerationPlan, *, user=None) -> GenerationRun:
    """The run for this checkpoint, template and settings: the existing one, or a new queued one."""
    weights = checkpoint_sha256(plan.model_path)
    key = plan.run_key(weights)
    run = GenerationRun.objects.filter(run_key=key).order_by("id").first()
    if run is not None:
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
    """Cases (all, or ``cases``) without an AI report from this run's checkpoint, in id order."""
    cases = Case.objects.all() if cases is None else cases
    done = Report.objects.filter(
        source=Report.Source.AI, generation_run__checkpoint_sha256=run.checkpoint_sha256
    )
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
    """One loaded model per (checkpoint, device) per process: a worker loads it once for all its tasks."""
    from inference.backend import Backend

    key = (str(Path(model_path).resolve()), device)
    if key not in _BACKENDS:
        _BACKENDS[key] = Backend(model_path, device=device)
    return _BACKENDS[key]


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
    chunk = GenerationChunk.objects.create(run=run, case_ids=[case.case_id for case in cases], device=device)
    claimed = lifecycle.claim(GenerationChunk, chunk.pk)
    return run_chunk(claimed, preprocess_workers=preprocess_workers, backend=backend, progress=progress)


def queue_chunks(
    run: GenerationRun, case_ids: list[str], *, chunk_size: int, device: str = "auto"
) -> list[GenerationChunk]:
    """Split ``case_ids`` into queued chunks, each a task on the inference queue."""
    if chunk_size < 1:
        raise ValueError(f"a chunk holds at least one case, not {chunk_size}")
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
    run = run_chunk(chunk)
    return {"chunk": chunk_id, "attempt": chunk.attempts, "run_state": run.state}


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
) -> GenerationRun:
    """Generate the chunk's cases that still lack a report from its run, renewing the lease after
    each; an escaping error fails the chunk (and so the run) with the reason."""
    run = chunk.run
    try:
        plan = plan_from_run(run)
        backend = backend or load_backend(plan.model_path, device=chunk.device)
        lifecycle.heartbeat(chunk)  # loading a large model takes a while
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
        for report in generator.run(case_source(case) for case in cases.values()):
            store_case_report(run, cases[report.key], report)
            if progress:
                progress(report)
            if not lifecycle.heartbeat(chunk):
                logger.warning(
                    "generation chunk %s was taken over by another worker; stopping here", chunk.pk
                )
                return settle_run(run.pk)
    except Exception as error:
        logger.exception("generation chunk %s failed", chunk.pk)
        lifecycle.fail(chunk, error=f"{type(error).__name__}: {error}")
        settle_run(run.pk)
        raise
    lifecycle.finish(chunk)
    return settle_run(run.pk)


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
    (a crashed command run again, a failed chunk's cases run again). Counts are recounted."""
    with transaction.atomic():
        run = GenerationRun.objects.select_for_update().get(pk=run_id)
        answered = set(run.reports.values_list("case__case_id", flat=True)) | set(
            run.failures.values_list("case__case_id", flat=True)
        )
        now = timezone.now()
        for chunk in run.chunks.exclude(state=JobState.DONE):
            if set(chunk.case_ids) <= answered:
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
