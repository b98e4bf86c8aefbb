"""The case viewer in headless Chromium, judged by its pixels.

Each test signs in as a coordinator and opens /cases/<case>/viewer/ for a synthetic HCM-protocol
case. Pixels are read from each viewport's canvas (Cornerstone3D draws every viewport into a
2D canvas of its own), summarised as a mean grey level, the share of lit pixels and a hash.
"""

import json
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from cmr_reader.domain.synthetic import write_cases
from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from tests.conftest import SHARED_REAL_CINE
from tests.support.chromium import assert_no_csp_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)

PHASES = 10
CANVAS_SUMMARY = """
const panel = document.querySelectorAll('.vp')[arguments[0]];
const canvas = panel.querySelector('canvas');
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let sum = 0, lit = 0, hash = 0;
for (let i = 0; i < data.length; i += 4) {
  sum += data[i];
  if (data[i] > 24) lit += 1;
  hash = (Math.imul(hash, 31) + data[i]) | 0;
}
const pixels = data.length / 4;
// The middle fifth of the canvas lies inside the image whatever the letterboxing.
let centre = 0, count = 0;
for (let y = Math.floor(canvas.height * 0.4); y < canvas.height * 0.6; y++) {
  for (let x = Math.floor(canvas.width * 0.4); x < canvas.width * 0.6; x++) {
    centre += data[(y * canvas.width + x) * 4];
    count += 1;
  }
}
return {mean: sum / pixels, lit: lit / pixels, hash: hash, centre: centre / count,
        width: canvas.width, height: canvas.height};
"""


def import_case(folder, settings) -> Case:
    import_sources(
        iter_path_sources(sorted(folder.glob("*.dcm"))),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=settings.DICOM_STORAGE_ROOT,
    )
    return Case.objects.latest("pk")


@pytest.fixture
def hcm_case(tmp_path, settings, private_storage) -> Case:
    (folder,) = write_cases(tmp_path / "synthetic", cases=1, seed=11, matrix=96, phases=PHASES)
    return import_case(folder, settings)


def open_viewer(browser, live_server, case: Case, *, query: str = "") -> dict:
    log_in(browser, live_server.url, username="carol_coordinator", password="pw-carol_coordinator")
    browser.get(f"{live_server.url}/cases/{case.case_id}/viewer/{query}")
    return wait_until_loaded(browser)


def wait_until_loaded(browser, timeout: float = 30) -> dict:
    """Every series loaded, and every viewport that shows one drawn. A resize (the canvases take
    their final size as the page settles) clears a canvas until its next animation frame redraws
    it; a canvas sampled in between reads as blank, which is not what a reader sees."""
    WebDriverWait(browser, timeout).until(
        lambda b: b.execute_script(
            "return !!(window.cmrViewer && window.cmrViewer.state().timings.allLoadedAt)"
        )
    )
    ready = [i for i, panel in enumerate(viewer_state(browser)["panels"]) if panel["state"] == "ready"]
    WebDriverWait(browser, 10).until(lambda b: all(canvas(b, i)["hash"] != 0 for i in ready))
    return viewer_state(browser)


def viewer_state(browser) -> dict:
    return browser.execute_script("return window.cmrViewer.state()")


def canvas(browser, index: int, *, wait: float = 3) -> dict:
    """The viewport's canvas, summarised once it holds a picture (or after ``wait`` seconds). A
    resize clears a canvas until the next animation frame redraws it (one frame, never seen by a
    reader); a summary taken in between would judge that frame."""
    deadline = time.monotonic() + wait
    summary = browser.execute_script(CANVAS_SUMMARY, index)
    while summary["hash"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        summary = browser.execute_script(CANVAS_SUMMARY, index)
    return summary


def press(browser, *keys) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def wait_for_render(browser, index: int, *, different_from: int, timeout: float = 5) -> dict:
    """The canvas summary once its hash differs from ``different_from``."""
    WebDriverWait(browser, timeout).until(lambda b: canvas(b, index)["hash"] != different_from)
    return canvas(browser, index)


def assert_shows_an_image(summary: dict) -> None:
    assert summary["width"] > 50 and summary["height"] > 50, summary
    assert 0.05 < summary["lit"] < 0.95, summary  # neither blank nor a flat white field
    assert summary["mean"] > 5, summary


def test_default_hanging_protocol_shows_sax_cine_4ch_cine_and_lge(
    browser, live_server, coordinator, hcm_case, artifacts_dir
):
    state = open_viewer(browser, live_server, hcm_case)

    assert state["layout"] == "1+2"
    assert [p["kind"] for p in state["panels"]] == ["cine_sax", "cine_4ch", "lge_sax"]
    for index, panel in enumerate(state["panels"]):
        assert panel["state"] == "ready" and panel["error"] is None
        assert panel["loaded"] == panel["total"] > 0
        assert_shows_an_image(canvas(browser, index))
    assert state["panels"][0]["phases"] == PHASES and state["panels"][0]["slices"] > 5
    assert state["panels"][2]["phases"] == 1
    # The three viewports show three different images.
    assert len({canvas(browser, i)["hash"] for i in range(3)}) == 3
    overlay = browser.find_elements(By.CSS_SELECTOR, ".vp [data-role=position]")[0].text
    assert f"/{state['panels'][0]['slices']}" in overlay and f"Phase 1/{PHASES}" in overlay
    WebDriverWait(browser, 10).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "[data-series][data-thumbnail=ready]")) == 5
    )
    browser.save_screenshot(str(artifacts_dir / "viewer-default-hanging-hcm.png"))
    assert_no_csp_violations(browser)


def test_the_cine_plays_then_stops_changing_when_paused(
    browser, live_server, coordinator, hcm_case, artifacts_dir
):
    open_viewer(browser, live_server, hcm_case)
    still = canvas(browser, 0)["hash"]

    press(browser, Keys.SPACE)
    seen = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(seen) < 4:
        seen.add(canvas(browser, 0)["hash"])
        time.sleep(0.05)
    assert len(seen - {still}) >= 3, "the image should change while the cine plays"
    state = viewer_state(browser)["panels"][0]
    assert state["playing"] and state["playback"]["shown"] > 0
    browser.save_screenshot(str(artifacts_dir / "viewer-cine-playing.png"))

    press(browser, Keys.SPACE)
    time.sleep(0.3)  # let a frame already asked for land
    paused = [canvas(browser, 0)["hash"]]
    for _ in range(6):
        time.sleep(0.1)
        paused.append(canvas(browser, 0)["hash"])
    assert len(set(paused)) == 1, "the image must not change once paused"
    assert viewer_state(browser)["panels"][0]["playing"] is False

    # Frame scrubbing: the phase slider shows the phase asked for.
    slider = browser.find_element(By.CSS_SELECTOR, "[data-action=phase]")
    assert slider.get_attribute("max") == str(PHASES)
    target = (viewer_state(browser)["panels"][0]["phase"] + 5) % PHASES
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
        slider,
        target + 1,
    )
    wait_for_render(browser, 0, different_from=paused[-1])
    assert viewer_state(browser)["panels"][0]["phase"] == target
    assert_no_csp_violations(browser)


def test_window_level_drag_and_presets_change_pixel_values_and_reset_restores(
    browser, live_server, coordinator, hcm_case
):
    open_viewer(browser, live_server, hcm_case)
    before = canvas(browser, 0)
    viewport = browser.find_elements(By.CSS_SELECTOR, ".vp .vp-element")[0]

    # Left drag: right widens the window, down lowers the level (brighter).
    ActionChains(browser).move_to_element(viewport).click_and_hold().move_by_offset(
        60, 80
    ).release().perform()
    dragged = wait_for_render(browser, 0, different_from=before["hash"])
    assert abs(dragged["mean"] - before["mean"]) > 3, (before, dragged)

    press(browser, "r")
    restored = wait_for_render(browser, 0, different_from=dragged["hash"])
    assert restored["hash"] == before["hash"]

    press(browser, "3")  # high contrast: half the window width
    contrast = wait_for_render(browser, 0, different_from=before["hash"])
    assert contrast["lit"] != before["lit"]

    press(browser, "i")  # invert: bright becomes dark
    inverted = wait_for_render(browser, 0, different_from=contrast["hash"])
    assert abs((255 - contrast["centre"]) - inverted["centre"]) < 3, (contrast, inverted)
    assert_no_csp_violations(browser)


def test_slice_navigation_changes_the_image_and_keeps_the_cardiac_phase(
    browser, live_server, coordinator, hcm_case
):
    state = open_viewer(browser, live_server, hcm_case)
    start = state["panels"][0]
    first = canvas(browser, 0)

    press(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    at_phase = wait_for_render(browser, 0, different_from=first["hash"])
    assert viewer_state(browser)["panels"][0]["phase"] == 3

    press(browser, Keys.ARROW_DOWN)
    next_slice = wait_for_render(browser, 0, different_from=at_phase["hash"])
    moved = viewer_state(browser)["panels"][0]
    assert (moved["slice"], moved["phase"]) == (start["slice"] + 1, 3)
    assert next_slice["hash"] != at_phase["hash"]
    overlay = browser.find_elements(By.CSS_SELECTOR, ".vp [data-role=position]")[0].text
    assert f"Slice {start['slice'] + 2}/" in overlay and "mm" in overlay and f"Phase 4/{PHASES}" in overlay

    # The mouse wheel moves through slices too.
    viewport = browser.find_elements(By.CSS_SELECTOR, ".vp .vp-element")[0]
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(viewport), 0, 120).perform()
    WebDriverWait(browser, 5).until(lambda b: viewer_state(b)["panels"][0]["slice"] == start["slice"] + 2)
    assert_no_csp_violations(browser)


def test_layouts_and_the_series_browser_swap_what_is_shown(browser, live_server, coordinator, hcm_case):
    open_viewer(browser, live_server, hcm_case)

    browser.find_element(By.CSS_SELECTOR, "[data-layout='2x2']").click()
    state = wait_until_loaded(browser)
    WebDriverWait(browser, 10).until(lambda b: len(viewer_state(b)["panels"]) == 4)
    WebDriverWait(browser, 10).until(lambda b: viewer_state(b)["panels"][3]["state"] == "ready")
    state = viewer_state(browser)
    assert [p["kind"] for p in state["panels"]] == ["cine_sax", "cine_4ch", "lge_sax", "cine_2ch"]
    assert_shows_an_image(canvas(browser, 3))

    # Click the fourth viewport, then a series in the browser: it replaces what that viewport shows.
    browser.find_elements(By.CSS_SELECTOR, ".vp")[3].click()
    three_chamber = Series.objects.get(case=hcm_case, kind="cine_3ch").series_instance_uid
    browser.find_element(By.CSS_SELECTOR, f"[data-series='{three_chamber}']").click()
    WebDriverWait(browser, 10).until(
        lambda b: (
            viewer_state(b)["panels"][3]["kind"] == "cine_3ch"
            and viewer_state(b)["panels"][3]["state"] == "ready"
        )
    )

    press(browser, "l")  # 2x2 -> 1x1
    WebDriverWait(browser, 5).until(lambda b: viewer_state(b)["layout"] == "1x1")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".vp")) == 1
    # The resized viewport is drawn on the next frames: wait for it before judging the picture.
    WebDriverWait(browser, 5).until(lambda b: canvas(b, 0)["lit"] > 0)
    assert_shows_an_image(canvas(browser, 0))
    assert_no_csp_violations(browser)


def test_a_series_that_cannot_be_decoded_says_so_and_the_others_still_work(
    browser, live_server, coordinator, hcm_case
):
    lge = Series.objects.get(case=hcm_case, kind="lge_sax")
    # Labelled JPEG baseline, stored raw: every frame of this series arrives undecodable.
    Instance.objects.filter(series=lge).update(transfer_syntax_uid="1.2.840.10008.1.2.4.50")

    state = open_viewer(browser, live_server, hcm_case)

    assert state["panels"][2]["state"] == "error"
    message = browser.find_elements(By.CSS_SELECTOR, ".vp [data-role=message]")[2]
    assert message.is_displayed() and "cannot be displayed" in message.text
    for index in (0, 1):
        assert state["panels"][index]["state"] == "ready"
        assert_shows_an_image(canvas(browser, index))
    assert_no_csp_violations(browser)


def test_the_help_overlay_lists_the_shortcuts(browser, live_server, coordinator, hcm_case):
    open_viewer(browser, live_server, hcm_case)
    press(browser, "?")
    dialog = browser.find_element(By.CSS_SELECTOR, "[data-viewer-help]")
    WebDriverWait(browser, 5).until(lambda b: dialog.is_displayed())
    text = dialog.text
    for expected in ("Space", "Play or pause", "slice", "phase", "Reset", "layout", "Window"):
        assert expected.lower() in text.lower(), expected
    press(browser, Keys.ESCAPE)
    WebDriverWait(browser, 5).until(lambda b: not dialog.is_displayed())
    assert_no_csp_violations(browser)


def test_the_real_cine_series_opens_and_plays(
    browser, live_server, coordinator, real_cine_dir, settings, private_storage, artifacts_dir
):
    case = import_case(real_cine_dir, settings)

    state = open_viewer(browser, live_server, case)

    [panel] = state["panels"]
    assert panel["state"] == "ready" and panel["total"] == 25 and panel["phases"] == 25
    before = canvas(browser, 0)
    assert_shows_an_image(before)
    press(browser, Keys.SPACE)
    wait_for_render(browser, 0, different_from=before["hash"])
    browser.save_screenshot(str(artifacts_dir / "viewer-real-cine-rvla.png"))
    print(json.dumps(panel))
    assert_no_csp_violations(browser)


def test_the_real_sax_stack_opens_at_its_mid_slice_and_moves_through_slices_and_phases(
    browser, live_server, coordinator, settings, private_storage, artifacts_dir
):
    """The GE stack in ../shared/data: no descriptions, 12 positions x 20 phases (issue 24)."""
    stack = SHARED_REAL_CINE.parent / "real-cmr-sax-stack-sunnybrook"
    if not stack.is_dir():
        pytest.skip(f"real SAX stack not available at {stack} (../shared/data is absent)")
    case = import_case(stack, settings)

    state = open_viewer(browser, live_server, case)

    [panel] = state["panels"]
    assert (panel["state"], panel["kind"], panel["slices"], panel["phases"]) == ("ready", "cine_sax", 12, 20)
    assert panel["slice"] == 6 and panel["fps"] == 26  # the middle position; 1000 / 38 ms
    before = canvas(browser, 0)
    assert_shows_an_image(before)
    press(browser, Keys.ARROW_RIGHT)
    after_phase = wait_for_render(browser, 0, different_from=before["hash"])
    press(browser, Keys.ARROW_DOWN)
    wait_for_render(browser, 0, different_from=after_phase["hash"])
    browser.save_screenshot(str(artifacts_dir / "viewer-real-sax-stack.png"))
    assert_no_csp_violations(browser)
