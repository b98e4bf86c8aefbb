"""The viewer in headless Chromium: time to the first frame, to a preloaded SAX cine stack, and
sustained cine playback; WADO-RS (the viewer's path) against WADO-URI (the simplest alternative).

    python bench/bench_viewer.py [--repeats 3] [--fps 30] [--play-seconds 10]

The site runs under gunicorn with production settings (DEBUG=0, collected static files) on a
temporary SQLite database holding one synthetic short-axis cine: 10 slices x 25 phases = 250
single-frame MR instances of 256 x 256, 16-bit (``bench_frames.write_cine_stack``). For each
repeat and each image path, a new Chromium (empty profile: nothing cached) signs in and opens
``/cases/<case>/viewer/`` (``?loader=wadouri`` for WADO-URI: one whole Part 10 file per image,
no metadata request). The viewer's own clock (``performance.now()``, 0 at navigation start) gives:

- first frame: the first IMAGE_RENDERED event of the viewport with a frame of the series;
- stack loaded: every one of the 250 frames decoded and in Cornerstone's cache;
- playback: the cine plays at ``--fps`` for ``--play-seconds`` with nothing else running in the
  page; *requested* is the number of frame steps the cine clock asked for, *shown* the number of
  distinct frames actually rendered; dropped = requested - shown.

``BENCH_VIEWER_EXTRA='&render=gpu'`` appends to the viewer URL, e.g. to force WebGL drawing.

Goals (issue 3): first frame < 500 ms, full stack < 2 s, >= 98% of requested frames shown at 30 fps.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_frames import OurSite, write_cine_stack  # noqa: E402

from tests.support.chromium import log_in, missing_browser_parts, start_chromium  # noqa: E402

GOALS = {"first_frame_ms": 500, "stack_loaded_ms": 2000, "shown_ratio": 0.98}
LOADERS = ("wadors", "wadouri")
EXTRA = os.environ.get("BENCH_VIEWER_EXTRA", "")


def prepare_site(site: OurSite, work_dir: Path) -> list[str]:
    """Two cases holding the same kind of stack (different UIDs and noise); their case ids."""
    site.manage("migrate", "-v0")
    site.manage("createsuperuser", "--noinput", "--username", "bench", "--email", "bench@example.org")
    for seed in (7, 8):
        files = work_dir / f"files-{seed}"
        files.mkdir()
        write_cine_stack(files, seed=seed, columns=256)
        summary = json.loads(site.manage("import_dicom", str(files), "--json"))
        if summary["instances_imported"] != 250:
            raise SystemExit(
                f"import stored {summary['instances_imported']} instances: {summary['rejected'][:3]}"
            )
    site.manage("collectstatic", "--noinput", "-v0")
    out = site.manage(
        "shell",
        "-c",
        "from cmr_reader.imaging.models import Case; print(*Case.objects.order_by('pk').values_list('case_id', flat=True))",
    )
    return out.strip().splitlines()[-1].split()


def open_case(driver, site: OurSite, *, case: str, loader: str) -> dict:
    """Navigate to the case's viewer and wait until its stack is in; the viewer's timings."""
    driver.get(f"{site.base_url}/cases/{case}/viewer/?loader={loader}" + EXTRA)
    deadline = time.monotonic() + 60
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script("return window.cmrViewer && window.cmrViewer.state()")
        if state and state["timings"].get("allLoadedAt") is not None:
            break
        time.sleep(0.05)
    else:
        raise SystemExit(f"{loader}: the stack did not finish loading: {json.dumps(state)[:800]}")
    navigation = driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return [n.responseStart, n.responseEnd];"
    )
    panel = state["panels"][0]
    if panel["error"] or panel["loaded"] != panel["total"] or panel["total"] != 250:
        raise SystemExit(
            f"{loader}: {panel['loaded']}/{panel['total']} frames loaded, error {panel['error']!r}"
        )
    return {
        "first_frame_ms": panel["timings"]["firstFrameAt"],
        "stack_loaded_ms": panel["timings"]["loadedAt"],
        "html_first_byte_ms": navigation[0],
        "html_done_ms": navigation[1],
        "script_start_ms": state["timings"]["startedAt"],
        "cornerstone_ready_ms": state["timings"]["cornerstoneReadyAt"],
        "metadata_ms": panel["timings"]["metadataAt"],
        "first_decoded_ms": panel["timings"]["firstImageAt"],
        "stack_set_ms": panel["timings"]["stackSetAt"],
    }


def measure_once(
    site: OurSite, *, cases: list[str], loader: str, fps: int, play_seconds: float, work_dir: Path
) -> dict:
    """A new browser: the first case cold (nothing cached), then the second case with the
    viewer's script cached (the reader's case-after-case flow; its images are new), then play."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=work_dir))
    driver = start_chromium(profile_dir=profile, window_size="1280,900")
    try:
        log_in(driver, site.base_url, username="bench", password=site.password)
        cold = open_case(driver, site, case=cases[0], loader=loader)
        warm = open_case(driver, site, case=cases[1], loader=loader)
        driver.execute_script(f"const p = window.cmrViewer.panels[0]; p.setFps({fps}); p.play();")
        time.sleep(play_seconds)
        driver.execute_script("window.cmrViewer.panels[0].pause();")
        playback = driver.execute_script("return window.cmrViewer.panels[0].player.summary()")
        return {
            "cold": cold,
            "warm": warm,
            "playback": {key: playback[key] for key in ("requested", "shown", "dropped", "shownRatio")},
        }
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--play-seconds", type=float, default=10.0)
    args = parser.parse_args()
    if missing_browser_parts():
        raise SystemExit(f"needs Debian's chromium and chromium-driver: missing {missing_browser_parts()}")
    work_dir = Path(tempfile.mkdtemp(prefix="bench-viewer-"))
    site = OurSite(work_dir, workers=2, threads=4)
    try:
        cases = prepare_site(site, work_dir)
        site.start()
        runs = {loader: [] for loader in LOADERS}
        for repeat in range(args.repeats):
            for loader in LOADERS:  # interleaved, so drift on the machine hits both alike
                result = measure_once(
                    site,
                    cases=cases,
                    loader=loader,
                    fps=args.fps,
                    play_seconds=args.play_seconds,
                    work_dir=work_dir,
                )
                runs[loader].append(result)
                print(f"run {repeat + 1} {loader}: {json.dumps(result)}", flush=True)
        report(runs, fps=args.fps, play_seconds=args.play_seconds)
    finally:
        site.stop()
        shutil.rmtree(work_dir, ignore_errors=True)


def report(runs: dict[str, list[dict]], *, fps: int, play_seconds: float) -> None:
    count = len(runs["wadors"])
    print(f"\nmedians of {count} runs, 10 x 25 x 256 x 256 SAX cine, ms from navigation start")
    print(
        f"{'path':<9} {'visit':<6} {'script':>7} {'1st frame':>10} {'stack':>7}   {'shown/requested at ' + str(fps) + ' fps':>26}"
    )
    medians = {}
    for loader, results in runs.items():
        for visit in ("cold", "warm"):
            m = {key: statistics.median(r[visit][key] for r in results) for key in results[0][visit]}
            medians[(loader, visit)] = m
            playback = ""
            if visit == "warm":
                shown = sum(r["playback"]["shown"] for r in results)
                requested = sum(r["playback"]["requested"] for r in results)
                playback = f"{shown}/{requested} = {shown / requested * 100:.1f}%"
            print(
                f"{loader:<9} {visit:<6} {m['script_start_ms']:>7.0f} {m['first_frame_ms']:>10.0f} "
                f"{m['stack_loaded_ms']:>7.0f}   {playback:>26}"
            )
    for visit in ("cold", "warm"):
        ours, simple = medians[("wadors", visit)], medians[("wadouri", visit)]
        print(
            f"{visit}: WADO-RS / WADO-URI time: first frame {ours['first_frame_ms'] / simple['first_frame_ms']:.2f}, "
            f"full stack {ours['stack_loaded_ms'] / simple['stack_loaded_ms']:.2f} (below 1 = WADO-RS faster)"
        )
    print(
        f"goals: first frame < {GOALS['first_frame_ms']} ms, stack < {GOALS['stack_loaded_ms']} ms, "
        f">= 98% of frames shown at {fps} fps over {play_seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
