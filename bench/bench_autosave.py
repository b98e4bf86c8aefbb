"""Rating autosave under load: simulated readers saving answers to the production set-up.

    python bench/bench_autosave.py [--readers 50] [--writes 10000] [--think-ms 250] [--workers 2 --threads 16]

The site runs under gunicorn (DEBUG=0) on a fresh PostgreSQL database (127.0.0.1:5432, database
``cmr_bench_autosave``, dropped and created). A study with ``--readers`` readers, two cases each,
is assigned; every reader gets a signed-in session. Then one thread per reader sends
``--writes / --readers`` answer saves (``POST /reading/cases/<id>/answer/``, the workstation's
autosave), cycling through the six 1-5 items of its first case so that every save changes a
value, with a think time drawn uniformly from 0 to 2 x ``--think-ms`` before the first save and
between saves (``--think-ms 0``: back to back, a stress figure). gunicorn runs with
``--preload`` as docs/deployment.md says. It reports p50/p95/p99 latency (overall and per tenth
of the run, where a cold start shows) and errors,
then counts in the database: every acknowledged save must be one audit row, and every item must
hold the last value its reader sent (lost writes = both counts' shortfall).

Goal (issue 4): p99 < 100 ms, zero errors, zero lost writes at 50 readers and 10,000 writes.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_frames import OurSite  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "cmr_bench_autosave"
ITEMS = [
    f"{slot}.{criterion}" for slot in "AB" for criterion in ("correctness", "completeness", "readability")
]

SETUP = """
import json, secrets
from django.conf import settings
from datetime import timedelta
from django.contrib.auth import get_user_model, BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from cmr_reader.accounts.roles import ensure_role_groups
from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies import assign
from cmr_reader.studies.models import Assignment, ReaderStudy
ensure_role_groups()
readers = []
for n in range(READERS):
    user = get_user_model().objects.create_user(f"bench-reader-{n}", password=secrets.token_urlsafe(12))
    user.groups.add(Group.objects.get(name="reader"))
    readers.append(user)
run = GenerationRun.objects.create(model_name="bench")
for n in range(2 * READERS):
    case = Case.objects.create(case_id=f"CMR-BENCH{n:05d}", patient_pseudonym=f"P{n}", study_instance_uid=f"2.25.{n + 1}")
    Report.objects.create(case=case, source="reference", language="en", text="LVEF 60%.")
    Report.objects.create(case=case, source="ai", language="en", text="LVEF 61%.", generation_run=run)
study = ReaderStudy.objects.create(name="Autosave bench", readers_per_case=1, overlap_count=0, seed=1)
assign.add_default_criteria(study)
assign.add_cases(study, None)
assign.add_readers(study, readers)
assign.assign(study, now=timezone.now() - timedelta(minutes=1))
out = []
for user in readers:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["last_activity"] = timezone.now().timestamp()
    session.create()
    first = Assignment.objects.filter(reader=user).order_by("position").first()
    out.append({"session": session.session_key, "assignment": first.public_id})
print(json.dumps(out))
"""

CHECK = """
import json
from cmr_reader.studies.models import Answer, AnswerChange
print(json.dumps({
    "changes": AnswerChange.objects.count(),
    "answers": [[a.assignment.public_id, a.item, a.value] for a in Answer.objects.select_related("assignment")],
}))
"""


def reset_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


class Client:
    """One reader's keep-alive HTTP connection, as a browser tab holds one.

    ``http.client`` rather than requests: on this 2-core machine the load generator shares the
    CPU with the site it measures, and requests cost about 2 ms of CPU per save (a third of a
    core at 160 saves/s) where ``http.client`` costs well under 1 ms. A keep-alive connection the
    server closed while the reader was thinking is opened again once: an autosave of the same
    value is idempotent, and browsers retry such a request the same way.
    """

    def __init__(self, site: OurSite, session_key: str, csrf: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
        self.headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": csrf,
            "Referer": site.base_url + "/",
            "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
        }

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.connection.request("POST", path, body=body, headers=self.headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def reader_loop(
    site: OurSite, reader: dict, *, writes: int, think_ms: float, seed: int, results: dict
) -> None:
    rng = random.Random(seed)
    csrf = secrets.token_hex(16)  # 32 characters: Django's unmasked CSRF secret form
    client = Client(site, reader["session"], csrf)
    path = f"/reading/cases/{reader['assignment']}/answer/"
    latencies, errors, last, started_at = [], [], {}, []
    # Readers start as they go on, a think time apart, not all in the same millisecond: 50 saves
    # sent at once at the start would measure a burst no reading room sends.
    if think_ms:
        time.sleep(rng.uniform(0, 2 * think_ms) / 1000)
    for n in range(writes):
        item = ITEMS[n % len(ITEMS)]
        value = (n // len(ITEMS)) % 5 + 1  # each save of an item differs from its previous one
        start = time.perf_counter()
        try:
            status, body = client.post(path, json.dumps({"item": item, "value": value}).encode())
            elapsed = time.perf_counter() - start
            if status == 200 and json.loads(body).get("ok"):
                latencies.append(elapsed)
                started_at.append(start)
                last[item] = value
            else:
                errors.append(f"HTTP {status}: {body[:120]!r}")
        except (OSError, http.client.HTTPException, ValueError) as error:
            errors.append(repr(error))
        if think_ms:
            time.sleep(rng.uniform(0, 2 * think_ms) / 1000)
    results[reader["assignment"]] = {
        "latencies": latencies,
        "errors": errors,
        "last": last,
        "started": started_at,
    }


def process_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) so far of each process still running, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def server_pids(site: OurSite) -> dict[str, list[int]]:
    """gunicorn's master and workers, and the PostgreSQL backends serving the bench database."""
    import psycopg

    master = site.process.pid
    workers = [
        int(child)
        for task in Path(f"/proc/{master}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        backends = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (DATABASE,)
            ).fetchall()
        ]
    return {"gunicorn": [master, *workers], "postgres": backends}


class ServerCpu:
    """CPU the site uses while the readers save: gunicorn's processes and the PostgreSQL backends.

    Polled twice a second, because Django closes a connection older than CONN_MAX_AGE and its
    backend exits before the run ends; a backend that connected during the run counts in full
    (opening it is part of the cost).
    """

    def __init__(self, site: OurSite) -> None:
        self.site = site
        self.before = self._sample()
        self.last: dict[str, dict[int, float]] = {part: dict(used) for part, used in self.before.items()}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _sample(self) -> dict[str, dict[int, float]]:
        return {part: process_cpu(pids) for part, pids in server_pids(self.site).items()}

    def _record(self) -> None:
        for part, used in self._sample().items():
            self.last.setdefault(part, {}).update(used)

    def _poll(self) -> None:
        while not self.stopping.wait(0.5):
            self._record()

    def used(self) -> dict[str, float]:
        self.stopping.set()
        self.thread.join()
        self._record()
        return {
            part: sum(cpu - self.before.get(part, {}).get(pid, 0.0) for pid, cpu in used.items())
            for part, used in self.last.items()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--think-ms", type=float, default=250.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=30,
        help="gunicorn --keep-alive seconds; 0: a new connection per request, as behind a reverse proxy",
    )
    args = parser.parse_args()
    reset_database()
    work_dir = Path(tempfile.mkdtemp(prefix="bench-autosave-"))
    site = OurSite(work_dir, workers=args.workers, threads=args.threads, keep_alive=args.keep_alive)
    site.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    try:
        site.manage("migrate", "-v0")
        readers = json.loads(
            site.manage("shell", "-c", SETUP.replace("READERS", str(args.readers))).strip().splitlines()[-1]
        )
        site.start()
        per_reader = args.writes // args.readers
        results: dict = {}
        threads = [
            threading.Thread(
                target=reader_loop,
                args=(site, reader),
                kwargs={"writes": per_reader, "think_ms": args.think_ms, "seed": n, "results": results},
            )
            for n, reader in enumerate(readers)
        ]
        server = ServerCpu(site)
        started, client_cpu_before = time.perf_counter(), time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu_before
        server_cpu = server.used()
        check = json.loads(site.manage("shell", "-c", CHECK).strip().splitlines()[-1])
    finally:
        site.stop()
    report(
        results,
        check,
        seconds=seconds,
        client_cpu=client_cpu,
        server_cpu=server_cpu,
        args=args,
        started=started,
    )


def report(
    results: dict, check: dict, *, seconds: float, client_cpu: float, server_cpu: dict, args, started: float
) -> None:
    latencies = sorted(x for r in results.values() for x in r["latencies"])
    errors = [e for r in results.values() for e in r["errors"]]
    acknowledged = len(latencies)
    stored = {(a, item): value for a, item, value in check["answers"]}
    wrong = sum(
        1 for a, r in results.items() for item, value in r["last"].items() if stored.get((a, item)) != value
    )

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(
        f"{args.readers} readers, {acknowledged + len(errors)} saves in {seconds:.1f} s "
        f"({(acknowledged + len(errors)) / seconds:.0f}/s), think time 0-{2 * args.think_ms:.0f} ms, "
        f"gunicorn {args.workers}x{args.threads} threads, keep-alive {args.keep_alive} s, PostgreSQL"
    )
    print(
        f"latency ms: p50 {pct(0.50):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  max {latencies[-1] * 1000:.1f}  "
        f"mean {statistics.fmean(latencies) * 1000:.1f}"
    )
    # Where in the run the slow saves fell: a cold start shows as a high first tenth.
    tenths: list[list[float]] = [[] for _ in range(10)]
    for r in results.values():
        for at, latency in zip(r["started"], r["latencies"], strict=True):
            tenths[min(9, int((at - started) / seconds * 10))].append(latency * 1000)
    print(
        "p99 ms by tenth of the run: "
        + " ".join(f"{sorted(t)[min(len(t) - 1, int(0.99 * len(t)))]:.0f}" if t else "-" for t in tenths)
    )
    saves = acknowledged + len(errors)
    print(
        f"the load generator itself (this process, its {args.readers} threads) used {client_cpu:.1f} CPU s: "
        f"{client_cpu / max(saves, 1) * 1000:.2f} ms per save, {client_cpu / seconds:.2f} of a core"
    )
    print(
        "the site during the run: "
        + ", ".join(
            f"{part} {cpu:.1f} CPU s ({cpu / max(saves, 1) * 1000:.2f} ms per save)"
            for part, cpu in server_cpu.items()
        )
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(
        f"audit rows {check['changes']} for {acknowledged} acknowledged saves: lost {acknowledged - check['changes']}; "
        f"items not holding their last value: {wrong}"
    )
    print(
        f"goal: p99 < 100 ms, 0 errors, 0 lost -> {'met' if pct(0.99) < 100 and not errors and acknowledged == check['changes'] and not wrong else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
