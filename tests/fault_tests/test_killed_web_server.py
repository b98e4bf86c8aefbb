"""The web server (gunicorn, real processes, on the test database) is killed with SIGKILL in the
middle of a burst of rating saves: every acknowledged save is in the database afterwards, no
answer exists twice, and a restarted server carries on."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client

from cmr_reader.studies.models import Answer, Assignment
from tests.fault_tests.test_killed_worker import database_url
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
ITEMS = ("A.correctness", "B.correctness", "A.completeness", "B.completeness")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, *, env: dict[str, str] | None = None, log=subprocess.DEVNULL) -> subprocess.Popen:
    """gunicorn on ``port`` against the test database (``env`` overrides), once it answers."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATA_DIR": str(settings.DATA_DIR),
        "SECRET_KEY": settings.SECRET_KEY,
        "PSEUDONYM_KEY": settings.PSEUDONYM_KEY,
        "HTTPS": "0",
        "WHITENOISE_USE_FINDERS": "1",  # static files from the source folders, not collected
        **(env or {}),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cmr_reader.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/health/", timeout=1)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise RuntimeError("gunicorn did not start")


def writer(base: str, session_id: str, assignment: str, log: list, stop: threading.Event) -> None:
    csrf = secrets.token_hex(16)
    http = requests.Session()
    http.cookies.set("sessionid", session_id)
    http.cookies.set("csrftoken", csrf)
    n = 0
    while not stop.is_set():
        item, value = ITEMS[n % len(ITEMS)], (n // len(ITEMS)) % 5 + 1
        n += 1
        try:
            response = http.post(
                f"{base}/reading/cases/{assignment}/answer/",
                data=json.dumps({"item": item, "value": value}),
                timeout=30,  # a loaded machine is slow, not gone
                headers={"Content-Type": "application/json", "X-CSRFToken": csrf, "Referer": base + "/"},
            )
            acknowledged = response.status_code == 200 and response.json().get("ok") is True
        except requests.RequestException:
            acknowledged = False
        log.append((item, value, acknowledged))
        if not acknowledged:
            return  # the server is gone: this reader's page would keep the answer and resend it later


def test_acknowledged_saves_survive_a_killed_web_server(reader, other_reader):
    build_study(readers=[reader, other_reader], cases=4, overlap=0)
    sessions = []
    for user in (reader, other_reader):
        client = Client()
        client.force_login(user)
        for assignment in Assignment.objects.filter(reader=user):
            sessions.append((client.cookies["sessionid"].value, assignment.public_id))
    port = free_port()
    server = start_server(port)
    logs = {assignment: [] for _session, assignment in sessions}
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=writer, args=(f"http://127.0.0.1:{port}", session, assignment, logs[assignment], stop)
        )
        for session, assignment in sessions
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while sum(ack for log in logs.values() for *_x, ack in log) < 100:
            assert time.monotonic() < deadline, "the saves never got going"
            time.sleep(0.02)
        os.killpg(server.pid, signal.SIGKILL)  # master and workers, mid-burst
        server.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        stop.set()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)

    checked = 0
    stored = {(a.assignment.public_id, a.item): a.value for a in Answer.objects.select_related("assignment")}
    for assignment, log in logs.items():
        for item in ITEMS:
            sent = [(value, ack) for logged_item, value, ack in log if logged_item == item]
            acknowledged = [value for value, ack in sent if ack]
            if not acknowledged:
                continue
            # Acknowledged: stored. The one request in flight when the server died may or may not have landed.
            in_flight = [value for value, ack in sent[len(acknowledged) :]]
            assert stored[(assignment, item)] in [acknowledged[-1], *in_flight], (assignment, item)
            checked += 1
    assert checked >= len(logs) * 2
    pairs = list(Answer.objects.values_list("assignment_id", "item"))
    assert len(pairs) == len(set(pairs))  # no answer twice

    server = start_server(port)  # the restarted site carries on
    try:
        session, assignment = sessions[0]
        log = []
        stop = threading.Event()
        stop_after_one = threading.Timer(0.5, stop.set)
        stop_after_one.start()
        writer(f"http://127.0.0.1:{port}", session, assignment, log, stop)
        assert log and all(ack for *_x, ack in log)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
