"""Starting and running a study's analysis: statistics, plots and the download bundle.

Views and the command call ``start_run`` (records a queued run and enqueues a background task)
or ``run_analysis`` (does the work, in the task or in the foreground). A run writes its step and
progress as it goes; its results and bundle appear together, only when it is done, so a killed
worker leaves a stalled run and no half-written download.
"""

import logging
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from cmr_reader.analysis.bundle import write_bundle
from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.analysis.study_analysis import analyse_study, stored_results
from cmr_reader.analysis.study_data import collect_study
from cmr_reader.studies.models import ReaderStudy

logger = logging.getLogger(__name__)

DEFAULT_BOOTSTRAP = 1000
MAX_BOOTSTRAP = 10_000


def new_seed() -> int:
    return secrets.randbelow(2**31)


def create_run(*, study: ReaderStudy, user=None, bootstrap: int = DEFAULT_BOOTSTRAP, seed: int | None = None) -> AnalysisRun:
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise ValueError(f"bootstrap must lie in 0..{MAX_BOOTSTRAP}, got {bootstrap}")
    return AnalysisRun.objects.create(
        study=study, requested_by=user, bootstrap=bootstrap, seed=new_seed() if seed is None else seed
    )


def start_run(*, study: ReaderStudy, user, bootstrap: int = DEFAULT_BOOTSTRAP, seed: int | None = None) -> AnalysisRun:
    """Record a queued run and hand it to a worker once the row is committed."""
    from cmr_reader.analysis.tasks import run_analysis_task

    with transaction.atomic():
        run = create_run(study=study, user=user, bootstrap=bootstrap, seed=seed)
        transaction.on_commit(lambda: run_analysis_task.enqueue(run_id=str(run.pk)))
    return run


def claim_run(*, run_id) -> AnalysisRun | None:
    """Queued -> running, atomically; None when another worker already has it."""
    now = timezone.now()
    claimed = AnalysisRun.objects.filter(pk=run_id, state=AnalysisRun.State.QUEUED).update(
        state=AnalysisRun.State.RUNNING, started_at=now, updated_at=now, step="starting"
    )
    return AnalysisRun.objects.select_related("study").get(pk=run_id) if claimed else None


def run_analysis(run: AnalysisRun, *, echo: Callable[[str, int], None] | None = None) -> AnalysisRun:
    """Compute everything for ``run`` and store results and bundle; a failure marks it failed.
    ``echo(step, percent)`` also receives the progress (the command prints it)."""

    def progress(step: str, percent: int) -> None:
        AnalysisRun.objects.filter(pk=run.pk).update(step=step[:120], progress=percent, updated_at=timezone.now())
        if echo:
            echo(step, percent)

    if run.state != AnalysisRun.State.RUNNING:
        run.state = AnalysisRun.State.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["state", "started_at", "updated_at"])
    try:
        progress("reading the study", 1)
        data = collect_study(run.study)
        results = analyse_study(data, bootstrap=run.bootstrap, seed=run.seed, progress=progress)
        with tempfile.TemporaryDirectory(prefix="cmr-analysis-") as folder:
            path = Path(folder) / "bundle.zip"
            with path.open("wb") as target:
                write_bundle(data, results, target, progress=progress)
            with path.open("rb") as source:
                # The file is stored under the run's own folder first; only the save below,
                # with state done, makes it reachable from the page.
                run.bundle.save(f"study-{run.study_id}-analysis.zip", File(source), save=False)
    except Exception as error:
        logger.exception("analysis run %s failed", run.pk)
        run.state = AnalysisRun.State.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "error", "finished_at", "updated_at"])
        return run
    run.results = stored_results(results)
    run.state = AnalysisRun.State.DONE
    run.step = "done"
    run.progress = 100
    run.finished_at = timezone.now()
    run.save(update_fields=["results", "bundle", "state", "step", "progress", "finished_at", "updated_at"])
    return run


def latest_done(study: ReaderStudy) -> AnalysisRun | None:
    return study.analysis_runs.filter(state=AnalysisRun.State.DONE).order_by("-finished_at").first()


def active_run(study: ReaderStudy) -> AnalysisRun | None:
    return study.analysis_runs.filter(state__in=(AnalysisRun.State.QUEUED, AnalysisRun.State.RUNNING)).first()
