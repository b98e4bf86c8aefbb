"""Measurements in the case viewer, drawn with a real mouse in headless Chromium.

The phantom is a synthetic HCM case whose anatomy is known: the generator's own functions say
where the septum's endocardial and epicardial borders are at end-diastole. Those points (patient
coordinates, mm) are turned into canvas positions with Cornerstone's ``viewport.worldToCanvas``,
and the tools are driven there with mouse drags, never by creating annotations through the API.
The values read back from ``window.cmrViewer.state().measure`` are checked against the generator
and against the stored instance read with pydicom.
"""

import time
from dataclasses import dataclass

import numpy as np
import pydicom
import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.mouse_button import MouseButton
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cmr_reader.domain.synthetic import CaseParams, sample_case_params, write_case
from cmr_reader.domain.synthetic.geometry import HeartFrame, heart_frame
from cmr_reader.domain.synthetic.ventricles import lv_radii_ed
from cmr_reader.imaging.models import Case, Instance
from tests.browser_tests.test_viewer_in_browser import import_case, open_viewer, press, viewer_state
from tests.support.chromium import assert_no_csp_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHASES = 10
SEPTAL_DEG = 180.0  # geometry.py: SAX angles from lateral, counter-clockwise; septum on the image's left
SHOWN_IMAGE = """
const viewport = window.cmrViewer.panels[arguments[0]].viewport;
return viewport.getCurrentImageId();
"""
WORLD_TO_CLIENT = """
const panel = window.cmrViewer.panels[arguments[0]];
const rect = panel.element.getBoundingClientRect();
return arguments[1].map((point) => {
  const [x, y] = panel.viewport.worldToCanvas(point);
  return [rect.left + x, rect.top + y];
});
"""


@dataclass(frozen=True)
class Phantom:
    case: Case
    params: CaseParams

    @property
    def frame(self) -> HeartFrame:
        acquisition = self.params.acquisition
        return heart_frame(base_center_mm=acquisition.base_center_mm, long_axis=acquisition.long_axis)


@dataclass(frozen=True)
class ShownImage:
    """The stored instance a viewport shows, with its pixel grid in patient space."""

    dataset: pydicom.Dataset

    @property
    def position(self) -> np.ndarray:
        return np.array([float(v) for v in self.dataset.ImagePositionPatient])

    @property
    def spacing(self) -> tuple[float, float]:
        row_spacing, column_spacing = (float(v) for v in self.dataset.PixelSpacing)
        return row_spacing, column_spacing

    def row_and_column(self, point) -> tuple[int, int]:
        orientation = [float(v) for v in self.dataset.ImageOrientationPatient]
        along_row, along_column = np.array(orientation[:3]), np.array(orientation[3:])
        offset = np.asarray(point) - self.position
        row_spacing, column_spacing = self.spacing
        return (
            round(float(offset @ along_column) / row_spacing),
            round(float(offset @ along_row) / column_spacing),
        )

    def value_at(self, point) -> int:
        return int(self.dataset.pixel_array[self.row_and_column(point)])


@pytest.fixture
def phantom(tmp_path, settings, private_storage) -> Phantom:
    # Septal hypertrophy: the wall measured is one the reader would measure in HCM.
    params = sample_case_params(seed=11, case_type="hcm_septal", matrix=96, phases=PHASES)
    folder = tmp_path / "synthetic" / "case_000"
    write_case(folder, params=params)
    return Phantom(case=import_case(folder, settings), params=params)


def shown_image(browser, settings, panel: int = 0) -> ShownImage:
    image_id = browser.execute_script(SHOWN_IMAGE, panel)
    sop_instance_uid = image_id.split("/instances/")[1].split("/")[0]
    instance = Instance.objects.get(sop_instance_uid=sop_instance_uid)
    return ShownImage(pydicom.dcmread(settings.DICOM_STORAGE_ROOT / instance.file_path))


def septum_at(phantom: Phantom, image: ShownImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre of the LV, endocardial and epicardial septal borders (patient mm) on this SAX image
    at end-diastole, from the generator's own shape functions."""
    frame = phantom.frame
    z = float((image.position - frame.origin) @ frame.long_axis)  # SAX planes are normal to it
    endocardium, epicardium = (
        float(r) for r in lv_radii_ed(heart=phantom.params.heart, z=z, angle=np.deg2rad(SEPTAL_DEG))
    )
    centre = frame.origin + z * frame.long_axis
    septal = frame.in_plane_direction(angle_deg=SEPTAL_DEG)
    return centre, centre + endocardium * septal, centre + epicardium * septal


def on_screen(browser, points, panel: int = 0) -> list[tuple[int, int]]:
    """Patient points to the browser window's CSS pixels, through Cornerstone's worldToCanvas."""
    found = browser.execute_script(WORLD_TO_CLIENT, panel, [[float(v) for v in p] for p in points])
    return [(round(x), round(y)) for x, y in found]


def drag(browser, start, end, *, button=MouseButton.LEFT, steps: int = 4) -> None:
    actions = ActionBuilder(browser, duration=30)
    actions.pointer_action.move_to_location(*start)
    actions.pointer_action.pointer_down(button=button)
    for step in range(1, steps + 1):
        x = round(start[0] + (end[0] - start[0]) * step / steps)
        y = round(start[1] + (end[1] - start[1]) * step / steps)
        actions.pointer_action.move_to_location(x, y)
    actions.pointer_action.pointer_up(button=button)
    actions.perform()


def click_at(browser, point) -> None:
    actions = ActionBuilder(browser, duration=30)
    actions.pointer_action.move_to_location(*point)
    actions.pointer_action.click()
    actions.perform()


def measurements(browser) -> list[dict]:
    return viewer_state(browser)["measure"]["measurements"]


def settled_measurements(browser, count: int, ready) -> list[dict]:
    """The measurements once there are ``count`` and ``ready`` holds for each (Cornerstone
    recomputes the statistics of an annotation at most every 100 ms while it changes)."""
    WebDriverWait(browser, 5).until(
        lambda b: len(found := measurements(b)) == count and all(ready(m) for m in found)
    )
    previous = measurements(browser)
    for _ in range(20):
        time.sleep(0.25)
        current = measurements(browser)
        if current == previous:
            break
        previous = current
    return previous


def choose_tool(browser, name: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"[data-measure='{name}']").click()
    assert viewer_state(browser)["measure"]["tool"] == name


def test_the_length_caliper_across_the_septum_reads_the_wall_thickness_at_end_diastole(
    browser, live_server, coordinator, phantom, settings, artifacts_dir
):
    state = open_viewer(browser, live_server, phantom.case)
    assert state["panels"][0]["kind"] == "cine_sax" and state["panels"][0]["phase"] == 0
    image = shown_image(browser, settings)
    centre, endocardium, epicardium = septum_at(phantom, image)
    thickness = float(np.linalg.norm(epicardium - endocardium))
    # The image agrees with the generator: blood inside the endocardium, dark myocardium in the wall.
    assert image.value_at((endocardium + epicardium) / 2) < 0.5 * image.value_at(centre)

    choose_tool(browser, "length")
    drag(browser, *on_screen(browser, [endocardium, epicardium]))

    [caliper] = settled_measurements(browser, 1, lambda m: m["length"] is not None)
    assert caliper["tool"] == "length" and caliper["unit"] == "mm"
    assert (caliper["panel"], caliper["slice"], caliper["phase"]) == (0, state["panels"][0]["slice"], 0)
    assert abs(caliper["length"] - thickness) <= max(image.spacing), (caliper, thickness)
    browser.save_screenshot(str(artifacts_dir / "viewer-caliper-septum.png"))
    assert_no_csp_violations(browser)


def test_the_probe_reads_the_stored_pixel_value(browser, live_server, coordinator, phantom, settings):
    open_viewer(browser, live_server, phantom.case)
    image = shown_image(browser, settings)
    centre, endocardium, epicardium = septum_at(phantom, image)

    press(browser, "p")
    assert (
        browser.find_element(By.CSS_SELECTOR, "[data-measure=probe]").get_attribute("aria-pressed") == "true"
    )
    for target in (centre, (endocardium + epicardium) / 2):
        click_at(browser, on_screen(browser, [target])[0])
    blood, wall = settled_measurements(browser, 2, lambda m: m["value"] is not None)

    for probe, target in ((blood, centre), (wall, (endocardium + epicardium) / 2)):
        assert probe["tool"] == "probe"
        row, column = image.row_and_column(target)
        assert abs(probe["row"] - row) <= 1 and abs(probe["column"] - column) <= 1, (probe, row, column)
        assert probe["value"] == int(image.dataset.pixel_array[probe["row"], probe["column"]])
    assert blood["value"] > 2 * wall["value"]
    assert_no_csp_violations(browser)


def test_the_ellipse_reports_mean_sd_and_area_and_clear_removes_every_measurement(
    browser, live_server, coordinator, phantom, settings, artifacts_dir
):
    open_viewer(browser, live_server, phantom.case)
    image = shown_image(browser, settings)
    centre, endocardium, epicardium = septum_at(phantom, image)
    radius = float(np.linalg.norm(endocardium - centre))
    frame = phantom.frame
    # Half-axes inside the blood pool: 0.5 R across (lateral), 0.35 R up and down (anterior).
    corner = centre + 0.5 * radius * frame.lateral + 0.35 * radius * frame.anterior

    press(browser, "e")
    drag(browser, *on_screen(browser, [centre, corner]))
    [ellipse] = settled_measurements(browser, 1, lambda m: m["mean"] is not None)

    # What was drawn, in patient mm: the ellipse's own handles (its axes' ends), which Cornerstone
    # keeps in patient space; a screen position read back later would depend on the camera then.
    handles = np.array(ellipse["points"], dtype=float)
    assert handles.shape == (4, 3)
    along = lambda axis: handles @ axis  # noqa: E731 - two uses below
    half_width = (along(frame.lateral).max() - along(frame.lateral).min()) / 2
    half_height = (along(frame.anterior).max() - along(frame.anterior).min()) / 2
    assert half_width > 3 and half_height > 3
    assert ellipse["areaUnit"] == "mm²"
    assert ellipse["area"] == pytest.approx(np.pi * half_width * half_height, rel=0.03)
    # The statistics of the stored pixels whose centres lie inside that ellipse.
    rows, columns = np.indices(image.dataset.pixel_array.shape)
    row_spacing, column_spacing = image.spacing
    centre_row, centre_column = image.row_and_column(handles.mean(axis=0))
    inside = ((columns - centre_column) * column_spacing / half_width) ** 2 + (
        (rows - centre_row) * row_spacing / half_height
    ) ** 2 <= 1
    pixels = image.dataset.pixel_array[inside].astype(float)
    assert ellipse["mean"] == pytest.approx(pixels.mean(), rel=0.03)
    assert ellipse["stdDev"] == pytest.approx(pixels.std(), rel=0.5, abs=10)
    assert ellipse["min"] <= ellipse["mean"] <= ellipse["max"]

    # A caliper and a probe beside it, then the toolbar's Clear removes all three.
    press(browser, "m")
    drag(browser, *on_screen(browser, [endocardium, epicardium]))
    press(browser, "p")
    # Well clear of the caliper's line: a click within a few pixels of an annotation selects it
    # instead of placing a probe (4 mm was 6 pixels at this zoom).
    click_at(browser, on_screen(browser, [(endocardium + epicardium) / 2 + 12 * frame.anterior])[0])
    drawn_tools = settled_measurements(browser, 3, lambda m: True)
    assert sorted(m["tool"] for m in drawn_tools) == ["ellipse", "length", "probe"]
    assert (
        browser.execute_script("return document.querySelectorAll('.vp svg [data-annotation-uid]').length") > 0
    )
    browser.save_screenshot(str(artifacts_dir / "viewer-measurements.png"))

    browser.find_element(By.CSS_SELECTOR, "[data-measure-clear]").click()
    WebDriverWait(browser, 5).until(lambda b: measurements(b) == [])
    WebDriverWait(browser, 5).until(
        lambda b: (
            b.execute_script("return document.querySelectorAll('.vp svg [data-annotation-uid]').length") == 0
        )
    )
    assert_no_csp_violations(browser)


def test_window_level_and_zoom_readouts_follow_the_mouse(browser, live_server, coordinator, phantom):
    open_viewer(browser, live_server, phantom.case)
    overlay = browser.find_elements(By.CSS_SELECTOR, ".vp [data-role=display]")[0]
    before = viewer_state(browser)["panels"][0]["display"]
    assert before["zoom"] == pytest.approx(1.0, abs=0.01)
    assert (
        f"W {round(before['window'])} L {round(before['level'])}" in overlay.text and "1.00" in overlay.text
    )
    viewport = browser.find_elements(By.CSS_SELECTOR, ".vp .vp-element")[0]
    middle = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];",
        viewport,
    )
    middle = (round(middle[0]), round(middle[1]))

    # Left drag (window/level is the default tool): right widens the window, down lowers the level.
    drag(browser, middle, (middle[0] + 60, middle[1] + 40))
    WebDriverWait(browser, 5).until(
        lambda b: viewer_state(b)["panels"][0]["display"]["window"] > before["window"]
    )
    levelled = viewer_state(browser)["panels"][0]["display"]
    assert levelled["level"] != before["level"] and levelled["zoom"] == pytest.approx(1.0, abs=0.01)
    assert f"W {round(levelled['window'])} L {round(levelled['level'])}" in overlay.text

    # Right drag zooms, also while a measurement tool holds the left button; no measurement is made.
    choose_tool(browser, "length")
    drag(browser, middle, (middle[0], middle[1] + 80), button=MouseButton.RIGHT)
    WebDriverWait(browser, 5).until(lambda b: viewer_state(b)["panels"][0]["display"]["zoom"] > 1.05)
    zoomed = viewer_state(browser)["panels"][0]["display"]
    assert zoomed["window"] == levelled["window"]
    WebDriverWait(browser, 5).until(lambda b: f"{zoomed['zoom']:.2f}×" in overlay.text)
    assert measurements(browser) == []

    press(browser, "r")  # reset: the readout returns to the stored window and the fitted image
    WebDriverWait(browser, 5).until(lambda b: viewer_state(b)["panels"][0]["display"]["zoom"] < 1.05)
    reset = viewer_state(browser)["panels"][0]["display"]
    assert (reset["window"], reset["level"]) == (before["window"], before["level"])
    assert reset["zoom"] == pytest.approx(1.0, abs=0.01)
    press(browser, "w")
    assert viewer_state(browser)["measure"]["tool"] == "windowLevel"
    assert_no_csp_violations(browser)
