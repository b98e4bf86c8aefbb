"""Run Debian's Orthanc with its DICOMweb plugin as a throwaway PACS on loopback.

Used by the PACS import tests and by ``bench/bench_frames.py``. Each server gets a free HTTP
port, its own storage and index folders, a generated configuration (no DICOM listener, no remote
access, HTTP basic auth, no outgoing network use) and is stopped and deleted on exit.

Configuration keys: https://orthanc.uclouvain.be/book/users/configuration.html and
https://orthanc.uclouvain.be/book/plugins/dicomweb.html
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ORTHANC_BINARY_CANDIDATES = ("/usr/sbin/Orthanc", "/usr/bin/Orthanc")
DICOMWEB_PLUGIN_CANDIDATES = (
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/libOrthancDicomWeb.so.1.7",
)
DICOMWEB_ROOT = "/dicom-web/"
STARTUP_TIMEOUT_S = 30.0


class OrthancUnavailable(RuntimeError):
    """Orthanc or its DICOMweb plugin is not installed on this machine."""


class OrthancFailedToStart(RuntimeError):
    """Orthanc was found but did not answer; the message carries the tail of its log."""


@dataclass(frozen=True)
class OrthancServer:
    base_url: str
    username: str
    password: str
    work_dir: Path

    @property
    def dicomweb_url(self) -> str:
        return self.base_url + DICOMWEB_ROOT.rstrip("/")

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    def upload(self, paths: Iterable[Path]) -> list[str]:
        """POST each file to /instances; return Orthanc's instance ids. Raises on any refusal."""
        ids = []
        with requests.Session() as session:
            session.auth = self.auth
            for path in paths:
                response = session.post(
                    f"{self.base_url}/instances",
                    data=Path(path).read_bytes(),
                    headers={"Content-Type": "application/dicom"},
                    timeout=30,
                )
                response.raise_for_status()
                ids.append(response.json()["ID"])
        return ids

    def delete_study(self, study_instance_uid: str) -> None:
        """Remove a study (found by its DICOM UID through /tools/lookup) from the server."""
        with requests.Session() as session:
            session.auth = self.auth
            found = session.post(f"{self.base_url}/tools/lookup", data=study_instance_uid, timeout=10)
            found.raise_for_status()
            for match in found.json():
                if match["Type"] == "Study":
                    session.delete(f"{self.base_url}/studies/{match['ID']}", timeout=30).raise_for_status()

    def statistics(self) -> dict:
        response = requests.get(f"{self.base_url}/statistics", auth=self.auth, timeout=10)
        response.raise_for_status()
        return response.json()


def find_orthanc() -> tuple[str, str]:
    """Return (binary, DICOMweb plugin) paths, or raise OrthancUnavailable saying what is missing."""
    binary = shutil.which("Orthanc") or next(
        (c for c in ORTHANC_BINARY_CANDIDATES if os.access(c, os.X_OK)), None
    )
    plugin = next((c for c in DICOMWEB_PLUGIN_CANDIDATES if Path(c).is_file()), None)
    missing = []
    if binary is None:
        missing.append("the Orthanc binary (apt install orthanc)")
    if plugin is None:
        missing.append("the DICOMweb plugin (apt install orthanc-dicomweb)")
    if missing:
        raise OrthancUnavailable("Orthanc is not usable here: missing " + " and ".join(missing))
    return binary, plugin


def free_loopback_port() -> int:
    # The port is free when we look; another process could take it before Orthanc binds, which
    # is why start-up is retried on a fresh port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def orthanc_config(
    *, work_dir: Path, http_port: int, plugin: str, username: str, password: str, http_threads: int
) -> dict:
    return {
        "Name": "cmr-reader-test-pacs",
        "StorageDirectory": str(work_dir / "storage"),
        "IndexDirectory": str(work_dir / "index"),
        "TemporaryDirectory": str(work_dir / "tmp"),
        "Plugins": [plugin],
        "HttpServerEnabled": True,
        "HttpPort": http_port,
        # Only loopback clients are served, and only with the password (so --user/--password of
        # the import command are really exercised).
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {username: password},
        "DicomServerEnabled": False,
        "OrthancExplorerEnabled": False,
        "WebDavEnabled": False,
        "HttpDescribeErrors": True,
        "HttpCompressionEnabled": False,
        "StorageCompression": False,
        "KeepAlive": True,
        "TcpNoDelay": True,
        "HttpThreadsCount": http_threads,
        "ConcurrentJobs": 1,
        "SaveJobs": False,
        "LuaScripts": [],
        "DicomModalities": {},
        "OrthancPeers": {},
        "HttpProxy": "",
        "ExecuteLuaEnabled": False,
        "DicomWeb": {
            "Enable": True,
            "Root": DICOMWEB_ROOT,
            "EnableWado": False,
            "Ssl": False,
            "Servers": {},
        },
    }


@contextmanager
def running_orthanc(
    *, username: str = "pacsuser", password: str = "pacs-secret", http_threads: int = 8
) -> Iterator[OrthancServer]:
    """Start Orthanc, wait until ``/system`` answers, yield it, then stop it and delete its files.

    Raises OrthancUnavailable when it is not installed and OrthancFailedToStart (with the log
    tail) when it does not come up after three ports.
    """
    binary, plugin = find_orthanc()
    work_dir = Path(tempfile.mkdtemp(prefix="cmr-orthanc-"))
    process = None
    try:
        for _attempt in range(3):
            port = free_loopback_port()
            config = orthanc_config(
                work_dir=work_dir,
                http_port=port,
                plugin=plugin,
                username=username,
                password=password,
                http_threads=http_threads,
            )
            for sub in ("storage", "index", "tmp"):
                (work_dir / sub).mkdir(exist_ok=True)
            config_path = work_dir / "orthanc.json"
            config_path.write_text(json.dumps(config, indent=2))
            log_path = work_dir / "orthanc.log"
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    [binary, str(config_path)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=work_dir,
                )
            base_url = f"http://127.0.0.1:{port}"
            if _wait_until_answering(process, f"{base_url}/system", (username, password)):
                yield OrthancServer(
                    base_url=base_url, username=username, password=password, work_dir=work_dir
                )
                return
            _stop(process)
            process = None
        raise OrthancFailedToStart("Orthanc did not start; log tail:\n" + _log_tail(work_dir / "orthanc.log"))
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(work_dir, ignore_errors=True)


def _wait_until_answering(process: subprocess.Popen, url: str, auth: tuple[str, str]) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if requests.get(url, auth=auth, timeout=2).status_code == 200:
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
