"""DICOMweb frame serving: our site under gunicorn against Orthanc's DICOMweb plugin.

    python bench/bench_frames.py [--rounds 2] [--repeats 2] [--clients 8]

Both servers hold the same 250 single-frame instances (a synthetic short-axis cine, 10 slices x
25 phases, 256 x 232, 16-bit, like the real Siemens cine in shared/data) and serve WADO-RS
Retrieve Frames (PS3.18 §10.4.1.1.3) as ``multipart/related; type="application/octet-stream"``.
Each of the concurrent clients (threads, one keep-alive ``requests.Session`` each) fetches every
frame of the stack ``--rounds`` times per run, starting at a different frame so that the clients
do not move in lock-step; ``--repeats`` runs per server alternate between the servers. We report
frames/s, p50/p95 latency per frame and the ratio ours/Orthanc; the goal is ours >= 1.5x Orthanc.

Fairness: both servers get the same concurrency (8 Orthanc HTTP threads; gunicorn 2 gthread
workers x 4 threads), run on the same machine as the clients, and only one is loaded at a time.
The client threads share one Python process (and its GIL), so on a 2-core machine the client side
costs the same CPU for both servers and caps both alike.
"""

import argparse
import base64
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import requests
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.orthanc_server import free_loopback_port, running_orthanc  # noqa: E402

FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
GOAL_RATIO = 1.5
SLICES, PHASES, ROWS, COLUMNS = 10, 25, 256, 232
OUT_DIR = REPO / "bench" / "out"


@dataclass(frozen=True)
class FrameRef:
    study: str
    series: str
    sop: str


def write_cine_stack(out_dir: Path, *, seed: int = 7, columns: int = COLUMNS) -> list[Path]:
    """A synthetic SAX cine: one MR Image Storage file per (slice, phase); a disc that beats."""
    rng = np.random.default_rng(seed)
    study_uid, series_uid, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    yy, xx = np.mgrid[0:ROWS, 0:columns]
    paths = []
    for slice_index in range(SLICES):
        for phase in range(PHASES):
            radius = 30 + 10 * np.cos(2 * np.pi * phase / PHASES) - slice_index
            disc = ((yy - ROWS / 2) ** 2 + (xx - columns / 2) ** 2) < radius**2
            pixels = (rng.integers(0, 80, size=(ROWS, columns)) + 600 * disc).astype(np.uint16)
            paths.append(
                _write_mr_image(
                    out_dir / f"slice{slice_index:02d}-phase{phase:02d}.dcm",
                    pixels=pixels,
                    uids=(study_uid, series_uid, frame_of_reference),
                    slice_index=slice_index,
                    phase=phase,
                )
            )
    return paths


def _write_mr_image(path: Path, *, pixels, uids, slice_index: int, phase: int) -> Path:
    study_uid, series_uid, frame_of_reference = uids
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = (
        study_uid,
        series_uid,
        frame_of_reference,
    )
    ds.PatientName, ds.PatientID, ds.PatientSex, ds.PatientAge = "Bench^Stack", "BENCH-0001", "F", "050Y"
    ds.StudyDate = ds.SeriesDate = "20240102"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "BENCH0001"
    ds.Modality, ds.Manufacturer = "MR", "SIEMENS"
    ds.StudyDescription, ds.SeriesDescription = "Cardiac MRI", "cine_trufi_sax"
    ds.SeriesNumber, ds.InstanceNumber = 7, slice_index * PHASES + phase + 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NORM", "DIS2D"]
    ds.ScanningSequence, ds.SequenceVariant, ds.MRAcquisitionType = "GR", "SS", "2D"
    ds.TriggerTime = phase * 40.0
    ds.CardiacNumberOfImages = PHASES
    ds.SliceThickness, ds.SpacingBetweenSlices = 8.0, 10.0
    ds.SliceLocation = -40.0 + 10.0 * slice_index
    ds.ImagePositionPatient = [-150.0, -130.0, ds.SliceLocation]
    ds.ImageOrientationPatient = [0.6, 0.7, -0.3, -0.5, 0.7, 0.5]
    ds.PixelSpacing = [1.4, 1.4]
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


class OurSite:
    """The Django site under gunicorn, on a temporary database and storage."""

    def __init__(self, work_dir: Path, *, workers: int, threads: int, keep_alive: int = 30):
        self.work_dir = work_dir
        self.workers, self.threads = workers, threads
        # Seconds gunicorn keeps an idle client connection; 0 closes it after each response, as
        # when a reverse proxy opens one connection per request (nginx's default upstream).
        self.keep_alive = keep_alive
        self.port = free_loopback_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PSEUDONYM_KEY": secrets.token_urlsafe(32),
            # Plain HTTP on loopback: no TLS redirect, and cookies that travel without TLS.
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATA_DIR": str(work_dir),
            "DATABASE_URL": f"sqlite:///{work_dir / 'db.sqlite3'}",
            "DICOM_STORAGE_ROOT": str(work_dir / "dicom"),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SUPERUSER_PASSWORD": self.password,
        }
        self.process = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return result.stdout

    def prepare(self, files_dir: Path) -> list[FrameRef]:
        self.manage("migrate", "-v0")
        self.manage("createsuperuser", "--noinput", "--username", "bench", "--email", "bench@example.org")
        summary = json.loads(self.manage("import_dicom", str(files_dir), "--json"))
        if summary["instances_imported"] != SLICES * PHASES:
            raise SystemExit(
                f"our import stored {summary['instances_imported']} instances: {summary['rejected'][:3]}"
            )
        listing = self.manage(
            "shell",
            "-c",
            "import json; from cmr_reader.imaging.models import Instance; print(json.dumps(list("
            "Instance.objects.order_by('slice_location', 'trigger_time').values_list("
            "'series__case__study_instance_uid', 'series__series_instance_uid', 'sop_instance_uid'))))",
        )
        return [FrameRef(*row) for row in json.loads(listing.strip().splitlines()[-1])]

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "cmr_reader.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "gthread",
                # As docs/deployment.md runs it: the application (with its warm-up) loads once,
                # before the fork, so every worker is ready at once. Without it the bench would
                # start while some workers were still loading, and the first ready one would
                # keep every reader's keep-alive connection.
                "--preload",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--keep-alive",
                str(self.keep_alive),
                "--log-level",
                "warning",
            ],
            env=self.env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=(self.work_dir / "gunicorn.log").open("wb"),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base_url}/accounts/login/", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer; see " + str(self.work_dir / "gunicorn.log"))

    def login_cookies(self) -> dict:
        with requests.Session() as session:
            session.get(f"{self.base_url}/accounts/login/", timeout=10)
            response = session.post(
                f"{self.base_url}/accounts/login/",
                data={
                    "username": "bench",
                    "password": self.password,
                    "csrfmiddlewaretoken": session.cookies["csrftoken"],
                },
                allow_redirects=False,
                timeout=10,
            )
            if "sessionid" not in session.cookies:
                raise SystemExit(f"login failed (HTTP {response.status_code})")
            return session.cookies.get_dict()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)


def frame_urls(root: str, refs: list[FrameRef]) -> list[str]:
    return [f"{root}/studies/{r.study}/series/{r.series}/instances/{r.sop}/frames/1" for r in refs]


def fetch_frame(session: requests.Session, url: str) -> bytes:
    response = session.get(url, headers={"Accept": FRAME_ACCEPT}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
    return response.content


def frame_payload(body: bytes) -> bytes:
    """The octet-stream part of a one-part multipart body (headers end at the first blank line)."""
    start = body.index(b"\r\n\r\n") + 4
    end = body.rindex(b"\r\n--", start)
    return body[start:end]


@dataclass(frozen=True)
class Pass:
    latencies: list[float]
    seconds: float


def load(urls: list[str], *, clients: int, rounds: int, auth=None, cookies=None) -> Pass:
    """Every client fetches every URL ``rounds`` times; returns each request's latency and the wall time."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []
    start_barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        with requests.Session() as session:
            session.auth = auth
            session.cookies.update(cookies or {})
            offset = index * len(urls) // clients
            order = urls[offset:] + urls[:offset]
            try:
                fetch_frame(session, order[0])  # open the keep-alive connection before the clock starts
                start_barrier.wait()
                for _round in range(rounds):
                    for url in order:
                        began = time.perf_counter()
                        fetch_frame(session, url)
                        latencies[index].append(time.perf_counter() - began)
            except threading.BrokenBarrierError:
                return
            except BaseException as error:  # reported after the run, not swallowed
                errors.append(error)
                start_barrier.abort()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        start_barrier.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{len(errors)} client(s) failed: {errors[0]}")
    return Pass(latencies=[latency for per_client in latencies for latency in per_client], seconds=elapsed)


WRK_SCRIPT = r"""
-- Each wrk thread walks the frame list from its own offset; done() prints one JSON line.
local paths = {PATHS}
local counter = 0
local offset = 0
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 37)
  table.insert(threads, thread)
end
function init(args)
  offset = tonumber(wrk.thread:get("offset")) or 0
  for name, value in pairs({HEADERS}) do wrk.headers[name] = value end
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[((counter + offset) % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "non2xx": %d, '
    .. '"errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    summary.errors.status, e.connect + e.read + e.write + e.timeout))
end
"""


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_load(urls: list[str], *, clients: int, seconds: int, headers: dict[str, str]) -> dict:
    """Load with wrk (C, event-driven): the client costs far less CPU than the servers it loads."""
    from urllib.parse import urlsplit

    root = urlsplit(urls[0])
    paths = "{" + ", ".join(lua_string(urlsplit(u).path) for u in urls) + "}"
    header_table = "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.replace("{PATHS}", paths).replace("{HEADERS}", header_table))
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(clients),
                "-d",
                f"{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"{root.scheme}://{root.netloc}/",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK "))
    stats = json.loads(line[4:])
    if stats["non2xx"] or stats["errors"]:
        raise SystemExit(f"wrk saw failures: {stats}\n{result.stdout}")
    return stats


def summarize_wrk(passes: list[dict]) -> dict:
    requests_total = sum(p["requests"] for p in passes)
    seconds = sum(p["duration_us"] for p in passes) / 1e6
    return {
        "frames": requests_total,
        "seconds": round(seconds, 3),
        "frames_per_s": round(requests_total / seconds, 1),
        "frames_per_s_by_pass": [round(p["requests"] / (p["duration_us"] / 1e6), 1) for p in passes],
        "p50_ms": round(statistics.median(p["p50_us"] for p in passes) / 1000, 2),
        "p95_ms": round(max(p["p95_us"] for p in passes) / 1000, 2),
    }


def summarize(passes: list[Pass]) -> dict:
    every = sorted(latency for one in passes for latency in one.latencies)
    seconds = sum(one.seconds for one in passes)
    return {
        "frames": len(every),
        "seconds": round(seconds, 3),
        "frames_per_s": round(len(every) / seconds, 1),
        "frames_per_s_by_pass": [round(len(one.latencies) / one.seconds, 1) for one in passes],
        "p50_ms": round(1000 * statistics.median(every), 2),
        "p95_ms": round(1000 * every[int(0.95 * (len(every) - 1))], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the stack per client per repeat")
    parser.add_argument("--repeats", type=int, default=2, help="measured runs per server, interleaved")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument("--orthanc-threads", type=int, default=8)
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: wrk (Debian package, C) or Python threads (the fallback)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="wrk: seconds per measured pass")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmr_reader.settings")

    with tempfile.TemporaryDirectory(prefix="cmr-bench-frames-") as temp:
        work = Path(temp)
        (work / "stack").mkdir()
        files = write_cine_stack(work / "stack")
        ours = OurSite(work / "site", workers=args.gunicorn_workers, threads=args.gunicorn_threads)
        (work / "site").mkdir()
        our_refs = ours.prepare(work / "stack")
        orthanc_refs = []
        for path in files:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            orthanc_refs.append(
                FrameRef(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
            )
        with running_orthanc(http_threads=args.orthanc_threads) as orthanc:
            orthanc.upload(files)
            ours.start()
            try:
                cookies = ours.login_cookies()
                our_urls = frame_urls(f"{ours.base_url}/dicomweb", our_refs)
                orthanc_urls = frame_urls(orthanc.dicomweb_url, orthanc_refs)
                check_same_pixels(
                    our_urls[0], orthanc_urls[0], cookies=cookies, auth=orthanc.auth, expected=files[0]
                )
                # One unmeasured pass each: page cache, Orthanc's caches, Django's lazy imports.
                load(orthanc_urls, clients=2, rounds=1, auth=orthanc.auth)
                load(our_urls, clients=2, rounds=1, cookies=cookies)
                # Alternate which server goes first (O U, U O, ...) so that drift in the machine's
                # load (other processes on a shared box) falls on both alike.
                passes: dict[str, list[Pass]] = {"orthanc": [], "ours": []}
                for repeat in range(args.repeats):
                    order = ("orthanc", "ours") if repeat % 2 == 0 else ("ours", "orthanc")
                    for name in order:
                        urls, auth, jar = (
                            (orthanc_urls, orthanc.auth, None)
                            if name == "orthanc"
                            else (our_urls, None, cookies)
                        )
                        if args.client == "wrk":
                            headers = {"Accept": FRAME_ACCEPT}
                            if jar:
                                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
                            if auth:
                                token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                                headers["Authorization"] = f"Basic {token}"
                            passes[name].append(
                                wrk_load(urls, clients=args.clients, seconds=args.seconds, headers=headers)
                            )
                        else:
                            passes[name].append(
                                load(urls, clients=args.clients, rounds=args.rounds, auth=auth, cookies=jar)
                            )
                summary = summarize_wrk if args.client == "wrk" else summarize
                results = {name: summary(runs) for name, runs in passes.items()}
            finally:
                ours.stop()
    report(results, args)


def check_same_pixels(our_url: str, orthanc_url: str, *, cookies: dict, auth, expected: Path) -> None:
    """Both servers must return the very pixel bytes we wrote, or the comparison means nothing."""
    pixels = pydicom.dcmread(expected).PixelData
    with requests.Session() as ours, requests.Session() as theirs:
        ours.cookies.update(cookies)
        theirs.auth = auth
        our_payload = frame_payload(fetch_frame(ours, our_url))
        their_payload = frame_payload(fetch_frame(theirs, orthanc_url))
    if our_payload != pixels or their_payload != pixels:
        raise SystemExit(
            f"frame bytes differ: ours {len(our_payload)} B, Orthanc {len(their_payload)} B, expected {len(pixels)} B"
        )


def report(results: dict, args) -> None:
    ratio = results["ours"]["frames_per_s"] / results["orthanc"]["frames_per_s"]
    setup = {
        "stack": f"{SLICES} slices x {PHASES} phases = {SLICES * PHASES} frames of {ROWS}x{COLUMNS} uint16",
        "clients": args.clients,
        "load_generator": args.client,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "ours": (
            f"gunicorn gthread, {args.gunicorn_workers} workers x {args.gunicorn_threads} threads, SQLite, "
            f"CONN_MAX_AGE={os.environ.get('CONN_MAX_AGE', '0')}"
        ),
        "orthanc": f"Orthanc {orthanc_version()} + DICOMweb plugin, HttpThreadsCount {args.orthanc_threads}",
        "cpus": os.cpu_count(),
    }
    print(json.dumps({"setup": setup, **results, "ratio_ours_over_orthanc": round(ratio, 2)}, indent=2))
    for name in ("ours", "orthanc"):
        r = results[name]
        print(
            f"{name:8s} {r['frames_per_s']:8.1f} frames/s   p50 {r['p50_ms']:6.2f} ms   p95 {r['p95_ms']:6.2f} ms"
        )
    verdict = "MEETS" if ratio >= GOAL_RATIO else "MISSES"
    print(f"verdict: ours/Orthanc = {ratio:.2f}x frames/s, {verdict} the goal of >= {GOAL_RATIO}x")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "frames.json").write_text(
        json.dumps({"setup": setup, **results, "ratio": round(ratio, 3)}, indent=2)
    )


def orthanc_version() -> str:
    try:
        return subprocess.run(["Orthanc", "--version"], capture_output=True, text=True).stdout.split()[1]
    except (OSError, IndexError):
        return "?"


if __name__ == "__main__":
    main()
