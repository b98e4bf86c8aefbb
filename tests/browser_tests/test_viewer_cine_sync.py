"""Cine for comparison and layouts that use the space, in headless Chromium.

"Play all" keeps every cine viewport at the same point of the cardiac cycle (decision 0023), even
when the series have different phase counts: the synthetic case's 4-chamber cine is cut to every
other phase before import, so it has 5 phases against the short-axis stack's 10. The layouts put
the SAX cine big (1+2), keep the LGE stack in 2x2, and fit every image to its viewport.
"""

import time

import pydicom
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

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

pytestmark = pytest.mark.django_db(transaction=True)

SAX_PHASES = 10
FOUR_CHAMBER_PHASES = 5

# Each viewport's image corners (pixel edges) through Cornerstone's worldToCanvas, beside the
# viewport's own size in CSS pixels.
IMAGE_EXTENTS = """
return window.cmrViewer.panels.map((panel) => {
  const viewport = panel.viewport;
  const { dimensions, spacing, origin, direction } = viewport.getImageData();
  const corner = (i, j) => [0, 1, 2].map(
    (k) => origin[k] + i * spacing[0] * direction[k] + j * spacing[1] * direction[3 + k]);
  const points = [corner(-0.5, -0.5), corner(dimensions[0] - 0.5, -0.5),
                  corner(-0.5, dimensions[1] - 0.5), corner(dimensions[0] - 0.5, dimensions[1] - 0.5)]
    .map((world) => viewport.worldToCanvas(world));
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return {
    image: [Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)],
    viewport: [panel.element.clientWidth, panel.element.clientHeight],
  };
});
"""

# Every overlay text with its box and its viewport's, in CSS pixels.
OVERLAYS = """
return [...document.querySelectorAll('.vp')].flatMap((vp) => {
  const outer = vp.getBoundingClientRect();
  return [...vp.querySelectorAll('.vp-overlay')].filter((o) => o.textContent).map((o) => {
    const r = o.getBoundingClientRect();
    return {role: o.dataset.role, text: o.innerText, box: [r.left, r.top, r.right, r.bottom],
            viewport: [outer.left, outer.top, outer.right, outer.bottom],
            overflowing: o.scrollWidth > o.clientWidth + 1 || o.scrollHeight > o.clientHeight + 1};
  });
});
"""

BOXES = """
return [...document.querySelectorAll('.vp')].map((e) => {
  const r = e.getBoundingClientRect();
  return {left: r.left, top: r.top, width: r.width, height: r.height};
});
"""


@pytest.fixture
def unequal_case(tmp_path, settings, private_storage) -> Case:
    """SAX cine with 10 phases, 4-chamber cine with 5 (every other one of its 10)."""
    (folder,) = write_cases(tmp_path / "synthetic", cases=1, seed=11, matrix=96, phases=SAX_PHASES)
    for path in folder.glob("*.dcm"):
        header = pydicom.dcmread(path, stop_before_pixels=True)
        if header.SeriesDescription == "cine 4ch" and (int(header.InstanceNumber) - 1) % 2:
            path.unlink()
    return import_case(folder, settings)


def cycle_gap(a: float, b: float) -> float:
    """Distance between two points of the cardiac cycle, which wraps round."""
    gap = abs(a - b) % 1
    return min(gap, 1 - gap)


def set_rate(browser, fps: int) -> None:
    box = browser.find_element(By.CSS_SELECTOR, "[data-action=fps]")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));", box, fps
    )


def press_shift_space(browser) -> None:
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.SPACE).key_up(Keys.SHIFT).perform()


def samples_while_playing(browser, *, count: int = 12, every: float = 0.13) -> list[list[dict]]:
    seen = []
    for _ in range(count):
        seen.append(viewer_state(browser)["panels"])
        time.sleep(every)
    return seen


def test_play_all_keeps_a_10_phase_sax_and_a_5_phase_4ch_at_the_same_point_of_the_cycle(
    browser, live_server, coordinator, unequal_case, artifacts_dir
):
    state = open_viewer(browser, live_server, unequal_case)
    sax, four_chamber, lge = state["panels"]
    assert (sax["kind"], sax["phases"]) == ("cine_sax", SAX_PHASES)
    assert (four_chamber["kind"], four_chamber["phases"]) == ("cine_4ch", FOUR_CHAMBER_PHASES)
    # The SAX viewport (active) at its own, faster rate: a 4CH on its own clock would drift from it.
    set_rate(browser, 20)
    browser.find_elements(By.CSS_SELECTOR, ".vp")[1].click()
    press(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)  # the 4CH starts out of step
    browser.find_elements(By.CSS_SELECTOR, ".vp")[0].click()

    browser.find_element(By.CSS_SELECTOR, "[data-action=play-all]").click()
    samples = samples_while_playing(browser)

    sax_phases, four_chamber_phases = set(), set()
    for panels in samples:
        sax, four_chamber, lge = panels
        assert sax["playing"] and sax["inStep"] and four_chamber["playing"] and four_chamber["inStep"]
        assert not lge["playing"]
        # Each shows its phase nearest the shared position: within half a phase of it (1/20 and
        # 1/10 of the cycle), so never more than 0.15 of the cycle apart.
        assert cycle_gap(sax["cycle"], four_chamber["cycle"]) <= 0.15 + 1e-6, panels
        sax_phases.add(sax["phase"])
        four_chamber_phases.add(four_chamber["phase"])
    assert len(sax_phases) >= 4 and len(four_chamber_phases) >= 3, (sax_phases, four_chamber_phases)
    # The 4CH goes round at the SAX's pace: 10 phases at 20 fps is 0.5 s a beat, 10 fps for 5 phases.
    rate = browser.find_elements(By.CSS_SELECTOR, ".vp [data-role=rate]")[1].text
    assert "10 fps" in rate and "in step" in rate
    button = browser.find_element(By.CSS_SELECTOR, "[data-action=play-all]")
    assert button.get_attribute("aria-label") == "Pause all" and "❚❚" in button.text
    browser.save_screenshot(str(artifacts_dir / "viewer-play-all-in-step.png"))

    press(browser, "a")
    WebDriverWait(browser, 5).until(lambda b: not any(p["playing"] for p in viewer_state(b)["panels"]))
    assert button.get_attribute("aria-label") == "Play all" and "▶" in button.text
    paused = [p["phase"] for p in viewer_state(browser)["panels"]]
    time.sleep(0.4)
    assert [p["phase"] for p in viewer_state(browser)["panels"]] == paused
    assert_no_csp_violations(browser)


def test_space_still_plays_the_active_viewport_alone_even_beside_play_all(
    browser, live_server, coordinator, unequal_case
):
    open_viewer(browser, live_server, unequal_case)
    browser.find_elements(By.CSS_SELECTOR, ".vp")[1].click()

    press(browser, Keys.SPACE)
    WebDriverWait(browser, 5).until(lambda b: viewer_state(b)["panels"][1]["playing"])
    time.sleep(0.5)
    sax, four_chamber, _ = viewer_state(browser)["panels"]
    assert four_chamber["playing"] and not four_chamber["inStep"]
    assert not sax["playing"] and sax["phase"] == 0
    play = browser.find_element(By.CSS_SELECTOR, "[data-action=play]")
    assert play.get_attribute("aria-label") == "Pause" and play.text == "❚❚"

    # Space pauses it; Shift+Space plays all in step; Space then pauses the active viewport only.
    press(browser, Keys.SPACE)
    press_shift_space(browser)
    WebDriverWait(browser, 5).until(lambda b: all(p["inStep"] for p in viewer_state(b)["panels"][:2]))
    press(browser, Keys.SPACE)
    WebDriverWait(browser, 5).until(lambda b: not viewer_state(b)["panels"][1]["playing"])
    sax_before = viewer_state(browser)["panels"][0]["phase"]
    WebDriverWait(browser, 5).until(lambda b: viewer_state(b)["panels"][0]["phase"] != sax_before)
    assert viewer_state(browser)["panels"][0]["inStep"]
    assert_no_csp_violations(browser)


def test_the_workstation_layout_puts_the_sax_cine_big_and_2x2_keeps_the_lge(
    browser, live_server, coordinator, unequal_case, artifacts_dir
):
    state = open_viewer(browser, live_server, unequal_case)

    assert state["layout"] == "1+2"
    big, top, bottom = browser.execute_script(BOXES)
    assert state["panels"][0]["kind"] == "cine_sax"
    assert big["width"] * big["height"] > 3 * top["width"] * top["height"]
    assert top["left"] == bottom["left"] > big["left"] + big["width"] - 1
    assert big["height"] == pytest.approx(top["height"] + bottom["height"], abs=6)
    browser.save_screenshot(str(artifacts_dir / "viewer-layout-1+2.png"))

    # Through 1x1, which shows the SAX alone, to 2x2: the hanging protocol's series come back.
    browser.find_element(By.CSS_SELECTOR, "[data-layout='1x1']").click()
    WebDriverWait(browser, 5).until(lambda b: len(viewer_state(b)["panels"]) == 1)
    browser.find_element(By.CSS_SELECTOR, "[data-layout='2x2']").click()
    WebDriverWait(browser, 10).until(
        lambda b: [p["state"] for p in viewer_state(b)["panels"]] == ["ready"] * 4
    )
    assert [p["kind"] for p in viewer_state(browser)["panels"]] == [
        "cine_sax",
        "cine_4ch",
        "lge_sax",
        "cine_2ch",
    ]
    assert_shows_an_image(canvas(browser, 2))

    # In a small window every viewport's texts wrap inside it: none runs off an edge.
    browser.set_window_size(760, 560)
    WebDriverWait(browser, 5).until(lambda b: b.execute_script(BOXES)[0]["width"] < 300)
    overlays = browser.execute_script(OVERLAYS)
    assert {o["role"] for o in overlays} >= {"label", "rate", "position"}
    for overlay in overlays:
        left, top, right, bottom = overlay["box"]
        v_left, v_top, v_right, v_bottom = overlay["viewport"]
        assert v_left <= left and right <= v_right and v_top <= top and bottom <= v_bottom, overlay
        assert not overlay["overflowing"], overlay
    positions = [o["text"] for o in overlays if o["role"] == "position"]
    assert all("Slice" in text and "Phase" in text for text in positions[:2]), positions
    browser.save_screenshot(str(artifacts_dir / "viewer-2x2-small-window.png"))
    assert_no_csp_violations(browser)


def ready_in(browser, layout: str) -> bool:
    state = viewer_state(browser)
    return state["layout"] == layout and all(p["state"] == "ready" for p in state["panels"])


def assert_every_image_fills_its_viewport(browser) -> None:
    for extent in browser.execute_script(IMAGE_EXTENTS):
        (image_w, image_h), (view_w, view_h) = extent["image"], extent["viewport"]
        assert image_w <= view_w + 3 and image_h <= view_h + 3, extent
        assert abs(image_w - view_w) <= 3 or abs(image_h - view_h) <= 3, extent


@pytest.mark.parametrize("render", ["cpu", "gpu"])
def test_every_image_fills_its_viewport_after_layout_changes_and_a_resize(
    browser, live_server, coordinator, unequal_case, render
):
    open_viewer(browser, live_server, unequal_case, query=f"?render={render}")
    assert_every_image_fills_its_viewport(browser)
    press(browser, "a")  # playing keeps a render pending, when Cornerstone would skip a resize

    for layout in ("1x3", "1x1", "2x2", "1+2"):
        browser.find_element(By.CSS_SELECTOR, f"[data-layout='{layout}']").click()
        WebDriverWait(browser, 10).until(lambda b, layout=layout: ready_in(b, layout))
        time.sleep(0.2)  # the first image of a new viewport
        assert_every_image_fills_its_viewport(browser)

    browser.set_window_size(900, 700)
    time.sleep(0.5)  # the resize observer, then a frame
    assert_every_image_fills_its_viewport(browser)

    # A reader's zoom is kept relative to the fit: twice the fit stays twice the new fit.
    browser.execute_script("const p = window.cmrViewer.panels[0]; p.viewport.setZoom(p.fitZoom * 2);")
    browser.find_element(By.CSS_SELECTOR, "[data-layout='1x1']").click()
    WebDriverWait(browser, 10).until(lambda b: ready_in(b, "1x1"))
    time.sleep(0.3)
    [extent] = browser.execute_script(IMAGE_EXTENTS)
    fitted = min(extent["viewport"])  # the synthetic images are square
    assert extent["image"][0] == pytest.approx(2 * fitted, abs=4), extent
    assert_no_csp_violations(browser)
