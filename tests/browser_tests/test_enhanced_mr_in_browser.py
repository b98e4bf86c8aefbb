"""The case viewer in headless Chromium with an enhanced MR short-axis cine (decisions/0027).

The same synthetic study is imported twice: once as the scanner wrote it (one file per image),
once with its short-axis cine as one legacy converted enhanced MR object (highdicom). The server
describes both as slices x phases of (instance, frame) pairs; the viewer, unchanged, must hang
and draw the enhanced one exactly as it draws the single-frame one (Cornerstone3D merges each
frame's functional groups into that frame's metadata).
"""

import shutil
import time
from collections import defaultdict

import pydicom
import pytest
from selenium.webdriver.common.keys import Keys

from cmr_reader.domain.synthetic import write_cases
from cmr_reader.imaging.models import Case
from tests.browser_tests.test_viewer_in_browser import (
    assert_shows_an_image,
    canvas,
    import_case,
    open_viewer,
    press,
    viewer_state,
)
from tests.support.chromium import assert_no_csp_violations

pytest.importorskip("highdicom", reason="highdicom (requirements-dev.txt) makes the enhanced object")
from tests.imaging_tests.test_enhanced_mr import _as_bytes, legacy_converted  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

PHASES = 8


def _sax_cine_series_number(folder) -> int:
    """The cine with the most images (LGE has no temporal position): the short-axis stack."""
    counts: dict[int, int] = defaultdict(int)
    for path in folder.glob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        if "TemporalPositionIdentifier" in ds:
            counts[int(ds.SeriesNumber)] += 1
    return max(counts, key=counts.get)


def test_an_enhanced_sax_cine_hangs_and_draws_as_its_single_frame_original(
    browser, live_server, coordinator, tmp_path, settings, private_storage, artifacts_dir
):
    (original,) = write_cases(tmp_path / "synthetic", cases=1, seed=11, matrix=96, phases=PHASES)
    sax_number = _sax_cine_series_number(original)
    enhanced = tmp_path / "enhanced"
    enhanced.mkdir()
    sources = []
    for path in sorted(original.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        if int(ds.SeriesNumber) == sax_number:
            sources.append(ds)
        else:
            shutil.copy(path, enhanced / path.name)
    converted = legacy_converted(sources, series_number=sax_number)
    (enhanced / "sax_enhanced.dcm").write_bytes(_as_bytes(converted).getvalue())

    case = import_case(original, settings)
    single_frame = open_viewer(browser, live_server, case)
    single_frame_picture = canvas(browser, 0)
    Case.objects.all().delete()
    shutil.rmtree(settings.DICOM_STORAGE_ROOT)

    case = import_case(enhanced, settings)
    state = open_viewer(browser, live_server, case)

    panel = state["panels"][0]
    assert panel["kind"] == "cine_sax" and panel["state"] == "ready" and panel["error"] is None
    assert (panel["slices"], panel["phases"]) == (single_frame["panels"][0]["slices"], PHASES)
    assert panel["loaded"] == panel["total"] == len(sources)
    picture = canvas(browser, 0)
    assert_shows_an_image(picture)
    assert picture["hash"] == single_frame_picture["hash"]  # the same frame, drawn the same way

    press(browser, Keys.SPACE)  # play: the frames of the one instance follow one another
    seen = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(seen) < 4:
        seen.add(canvas(browser, 0)["hash"])
        time.sleep(0.05)
    assert len(seen - {picture["hash"]}) >= 3, "the image should change while the cine plays"
    assert viewer_state(browser)["panels"][0]["playing"]
    browser.save_screenshot(str(artifacts_dir / "viewer-enhanced-sax.png"))
    assert_no_csp_violations(browser)
