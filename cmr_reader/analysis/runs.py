"""Starting and running a study's analysis: statistics, plots and the download bundle.

Views and the command call ``start_run`` (records a queued run and enqueues the background task
below) or ``run_analysis`` (does the work, in the task or in the foreground). A run writes its
step and progress as it goes, renewing its lease (cmr_reader/jobs/lifecycle.py); its results and
bundle appear together, only when it is done, so a killed worker leaves a stalled run and no
half-written download. A study has at most one queued or running analysis (a database constraint).
"""

import logging
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from cmr_reader.analysis.bundle import write_bundle
from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.analysis.study_analysis import analyse_study, stored_results
from cmr_reader.analysis.study_data import collect_study
from cmr_reader.jobs import lifecycle
from cmr_reader.jobs.model import ACTIVE_STATES
from cmr_reader.studies.models import ReaderStudy

logger = logging.getLogger(__name__)

DEFAULT_BOOTSTRAP = 1000
MAX_BOOTSTRAP = 10_000


def new_seed() -> int:
    return secrets.randbelow(2**31)


def create_run(
    *, study: ReaderStudy, user=None, bootstrap: int = DEFAULT_BOOTSTRAP, seed: int | None = None
) -> AnalysisRun:
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise ValueError(f"bootstrap must lie in 0..{MAX_BOOTSTRAP}, got {bootstrap}")
    return AnalysisRun.objects.create(
        study=study, requested_by=user, bootstrap=bootstrap, seed=new_seed() if seed is None else seed
    )


class AnalysisAlreadyRunning(Exception):
    """The study has a queued or running analysis whose worker is alive."""


def start_run(
    *, study: ReaderStudy, user, bootstrap: int = DEFAULT_BOOTSTRAP, seed: int | None = None
) -> AnalysisRun:
    """Record a queued run and hand it to a worker once the row is committed.

    A stalled run (its worker stopped) is marked failed first; a live one refuses the start with
    ``AnalysisAlreadyRunning``, also when two requests race (the constraint decides).
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            active = active_run(study)
            if active is not None:
                if not active.is_stalled(now=now):
                    raise AnalysisAlreadyRunning(study.pk)
                AnalysisRun.objects.filter(pk=active.pk, state=active.state).update(
                    state=AnalysisRun.State.FAILED,
                    error=_("Stalled: its worker stopped."),
                    finished_at=now,
                    lease_expires_at=None,
                    updated_at=now,
                )
            run = create_run(study=study, user=user, bootstrap=bootstrap, seed=seed)
            transaction.on_commit(lambda: run_analysis_task.enqueue(run_id=str(run.pk)))
    except IntegrityError as error:
        raise AnalysisAlreadyRunning(study.pk) from error
    return run


def claim_run(*, run_id) -> AnalysisRun | None:
    """Queued (or stalled) -> running, atomically; None when another worker has it."""
    run = lifecycle.claim(AnalysisRun, run_id)
    if run is not None:
        lifecycle.heartbeat(run, step="starting")
    return run


@task(queue_name="default")
def run_analysis_task(*, run_id: str) -> dict:
    run = claim_run(run_id=run_id)
    if run is None:
        return {"skipped": True}
    run = run_analysis(run)
    return {"state": run.state}


def run_analysis(run: AnalysisRun, *, echo: Callable[[str, int], None] | None = None) -> AnalysisRun:
    """Compute everything for ``run`` and store results and bundle; a failure marks it failed.
    A run not yet claimed (the command runs one in the foreground) is claimed here.
    ``echo(step, percent)`` also receives the progress (the command prints it)."""

    def progress(step: str, percent: int) -> None:
        lifecycle.heartbeat(run, step=step[:120], progress=percent)
        if echo:
            echo(step, percent)

    run = lifecycle.held_or_claimed(run, lambda: claim_run(run_id=run.pk))
    try:
        progress("reading the study", 1)
        data = collect_study(run.study)
        results = analyse_study(data, bootstrap=run.bootstrap, seed=run.seed, progress=progress)
        with tempfile.TemporaryDirectory(prefix="cmr-analysis-") as folder:
            path = Path(folder) / "bundle.zip"
            with path.open("wb") as target:
                write_bundle(data, results, target, progress=progress)
            with path.open("rb") as source:
                # The file is stored under the run's own folder first; only the write below,
                # with state done, makes it reachable from the page.
                run.bundle.save(f"study-{run.study_id}-analysis.zip", File(source), save=False)
    except Exception as error:
        logger.exception("analysis run %s failed", run.pk)
        lifecycle.fail(run, error=f"{type(error).__name__}: {error}")
        return run
    lifecycle.finish(run, results=stored_results(results), bundle=run.bundle.name, step="done", progress=100)
    return run


def latest_done(study: ReaderStudy) -> AnalysisRun | None:
    return study.analysis_runs.filter(state=AnalysisRun.State.DONE).order_by("-finished_at").first()


def active_run(study: ReaderStudy) -> AnalysisRun | None:
    return study.analysis_runs.filter(state__in=ACTIVE_STATES).first()
