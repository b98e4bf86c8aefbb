"""A generation worker (a real ``manage.py db_worker`` process) is killed with SIGKILL in the middle
of a chunk. Another worker takes the chunk over once its lease runs out and finishes the run; no
case is generated twice, and the run's state is right at every step."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationChunk, GenerationFailure, GenerationRun, Report
from tests.fault_tests.test_killed_worker import database_url
from tests.inference_tests.test_generate_reports import OPTIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 10


def start_worker(log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATA_DIR": str(settings.DATA_DIR),
        "DICOM_STORAGE_ROOT": str(settings.DICOM_STORAGE_ROOT),
        "PSEUDONYM_KEY": settings.PSEUDONYM_KEY,
        "GENERATION_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "INFO",
    }
    with log.open("wb") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--queue-name",
                "inference",
                "--interval",
                "0.1",
                "--no-reload",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def reports_of(chunk: GenerationChunk) -> int:
    return Report.objects.filter(generation_run=chunk.run, case__case_id__in=chunk.case_ids).count()


def pid_of(chunk: GenerationChunk) -> int:
    return int(chunk.lease_owner.rpartition(":")[2])


def kill_mid_chunk(workers: dict[int, subprocess.Popen], deadline: float) -> GenerationChunk:
    """Freeze the worker of a chunk that has stored some but not all of its cases, check it is
    still so while frozen, and kill it; returns the chunk as the worker left it."""
    while time.monotonic() < deadline:
        for chunk in GenerationChunk.objects.filter(state=GenerationChunk.State.RUNNING):
            if 0 < reports_of(chunk) < len(chunk.case_ids) and pid_of(chunk) in workers:
                pid = pid_of(chunk)
                os.kill(pid, signal.SIGSTOP)
                chunk.refresh_from_db()
                if chunk.state == GenerationChunk.State.RUNNING and 0 < reports_of(chunk) < len(
                    chunk.case_ids
                ):
                    os.kill(pid, signal.SIGKILL)
                    workers.pop(pid).wait(timeout=30)
                    return chunk
                os.kill(pid, signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("no worker was ever caught in the middle of a chunk")


def test_a_worker_killed_mid_chunk_is_taken_over_and_no_case_is_generated_twice(
    stored_cases, model, tmp_path
):
    call_command(
        "generate_reports", "--model", model, *OPTIONS, "--batch-size", "1", "--queue", "--chunk", "2"
    )
    run = GenerationRun.objects.get()
    assert run.state == GenerationRun.State.QUEUED and run.chunks.count() == len(stored_cases) // 2

    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    started = [start_worker(log) for log in logs]
    workers = {worker.pid: worker for worker in started}
    try:
        killed = kill_mid_chunk(workers, deadline=time.monotonic() + 240)
        dead_pid = pid_of(killed)
        stored_before = set(
            Report.objects.filter(generation_run=run, case__case_id__in=killed.case_ids).values_list(
                "case__case_id", flat=True
            )
        )
        run.refresh_from_db()
        assert run.state == GenerationRun.State.RUNNING, "a run with a dead chunk is not done"
        assert killed.attempts == 1

        deadline = time.monotonic() + 240
        while run.state != GenerationRun.State.DONE:
            assert time.monotonic() < deadline, (
                f"the run never finished: {run.state} {list(run.chunks.values('state', 'attempts'))}"
            )
            assert any(worker.poll() is None for worker in workers.values()), "the other worker stopped"
            time.sleep(0.2)
            run.refresh_from_db()
    finally:
        for worker in started:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)

    killed.refresh_from_db()
    assert killed.state == GenerationChunk.State.DONE and killed.attempts == 2
    assert pid_of(killed) != dead_pid and pid_of(killed) in workers
    per_case = {
        case.case_id: Report.objects.filter(case=case, generation_run=run).count()
        for case in Case.objects.all()
    }
    assert per_case == {case.case_id: 1 for case in stored_cases}
    # The cases the dead worker stored were not generated again: the taker skipped them (a second
    # generation would have logged that the first report was kept).
    assert all("already has a report" not in log.read_text(errors="replace") for log in logs)
    assert (
        set(
            Report.objects.filter(case__case_id__in=stored_before, generation_run=run).values_list(
                "case__case_id", flat=True
            )
        )
        == stored_before
    )
    assert not GenerationFailure.objects.exists()
    assert (run.cases_done, run.cases_failed, run.error) == (len(stored_cases), 0, "")
    assert set(run.chunks.values_list("state", flat=True)) == {GenerationChunk.State.DONE}
    assert run.finished_at is not None
