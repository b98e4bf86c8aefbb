"""AI reports for stored cases with the ``inference`` package: plan a run, run it, resume it.

A run is keyed by the checkpoint's content hash, the prompt template's hash and the settings
(``run_key``): running the same command again continues that run, generating only the cases
that still lack a report from this checkpoint. Each case's report is stored in its own
transaction as soon as it is written, so a killed worker loses at most the cases in flight; the
(case, run) unique constraint makes a case generated twice (two workers, a duplicate task) store
once. A failing case is recorded with its reason and the run goes on.

torch and transformers are imported only when a run actually generates (``load_backend``), so
the web process never loads them.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.reports.models import GenerationFailure, GenerationRun, Report
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
            "template": {"name": plan.template.name, "language": plan.template.language, "sha256": plan.template.sha256},
        },
        code_version=code_version(),
        created_by=user,
    )


def plan_from_run(run: GenerationRun) -> GenerationPlan:
    template_info = run.input_settings["template"]
    return GenerationPlan(
        model_path=Path(run.checkpoint_path),
        template=PromptTemplate(name=template_info["name"], text=run.prompt_template, language=template_info["language"]),
        input_config=InputConfig(**_tuples(run.input_settings["inputs"])),
        settings=GenerationSettings(**run.generation_parameters),
    )


def cases_lacking_report(run: GenerationRun, cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Cases (all, or ``cases``) without an AI report from this run's checkpoint, in id order."""
    cases = Case.objects.all() if cases is None else cases
    done = Report.objects.filter(source=Report.Source.AI, generation_run__checkpoint_sha256=run.checkpoint_sha256)
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
    """Generate and store reports for ``cases`` (those still lacking one are worth passing)."""
    plan = plan_from_run(run)
    backend = backend or load_backend(plan.model_path, device=device)
    cases = {case.case_id: case for case in cases}
    GenerationRun.objects.filter(pk=run.pk).update(
        state=GenerationRun.State.RUNNING,
        started_at=run.started_at or timezone.now(),
        environment=backend.describe(),
        device=str(backend.describe().get("device", device)),
    )
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
    return finish_run(run)


def store_case_report(run: GenerationRun, case: Case, report: CaseReport) -> None:
    with transaction.atomic():
        if report.error:
            GenerationFailure.objects.update_or_create(run=run, case=case, defaults={"reason": report.error[:4000]})
        else:
            try:
                with transaction.atomic():
                    Report.objects.create(
                        case=case,
                        source=Report.Source.AI,
                        generation_run=run,
                        text=report.text,
                        language=report.language,
                        prompt=report.prompt_text,
                        provenance=report.provenance,
                    )
            except IntegrityError:
                logger.info("case %s already has a report from run %s; kept the first", case.case_id, run.pk)
            GenerationFailure.objects.filter(run=run, case=case).delete()
        seconds = report.provenance.get("timings", {}).get("generate_seconds")
        locked = GenerationRun.objects.select_for_update().get(pk=run.pk)
        if seconds is not None:
            locked.per_case_timing = {**locked.per_case_timing, case.case_id: seconds}
        locked.cases_done = locked.reports.count()
        locked.cases_failed = locked.failures.count()
        locked.save(update_fields=["per_case_timing", "cases_done", "cases_failed", "updated_at"])


def finish_run(run: GenerationRun) -> GenerationRun:
    run.refresh_from_db()
    run.state = GenerationRun.State.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "finished_at", "updated_at"])
    return run


def _tuples(values: dict) -> dict:
    """JSON turned the config's tuples into lists; InputConfig is frozen and hashable with tuples."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
