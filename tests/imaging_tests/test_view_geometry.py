"""Long-axis views from a plane's angle to the short-axis stack: the rule, classification, ingest."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from cmr_reader.domain.synthetic import sample_case_params, write_case
from cmr_reader.domain.synthetic.geometry import heart_frame, lax_plane
from cmr_reader.domain.view_geometry import (
    MAX_TILT_DEG,
    place_long_axis_plane,
    plane_normal,
    stack_long_axis,
)
from cmr_reader.imaging import ingest
from cmr_reader.imaging.classify import classify_series
from cmr_reader.imaging.models import Series
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.series_kind import SeriesKind
from cmr_reader.imaging.sources import iter_path_sources

# The normal of the real Sunnybrook short-axis stack (../shared/data/real-cmr-sax-stack-sunnybrook):
# base to apex, the patient's left, anterior and a little toward the feet, as a real heart lies.
REAL_LONG_AXIS = (0.67192988, -0.66646221, -0.32301416)
HEAD = np.array([0.0, 0.0, 1.0])
GEOMETRY_REASON = "view from the plane's angle to the short-axis stack"


def unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=float)
    return vector / np.linalg.norm(vector)


def short_axis_frame(long_axis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The long axis, and in the short-axis plane the horizontal direction toward the patient's
    left and the projected head direction: built here from their definitions, not by the module."""
    axis = unit(long_axis)
    lateral = unit(np.cross(axis, HEAD))
    if lateral[0] < 0:
        lateral = -lateral
    up = unit(HEAD - np.dot(HEAD, axis) * axis)
    return axis, lateral, up


def long_axis_orientation(
    *, rotation_deg: float, tilt_deg: float = 0.0, long_axis=REAL_LONG_AXIS
) -> list[float]:
    """ImageOrientationPatient of a plane turned ``rotation_deg`` about the long axis from the
    horizontal long axis (toward the head), its column tilted ``tilt_deg`` off the long axis."""
    axis, lateral, up = short_axis_frame(long_axis)
    angle = math.radians(rotation_deg)
    across = math.cos(angle) * lateral + math.sin(angle) * up
    off_plane = np.cross(axis, across)  # the plane's normal when it contains the axis
    tilt = math.radians(tilt_deg)
    column = math.cos(tilt) * -axis + math.sin(tilt) * off_plane
    return [float(v) for v in (*across, *column)]


def sax_orientation(long_axis=REAL_LONG_AXIS) -> list[float]:
    axis, lateral, up = short_axis_frame(long_axis)
    return [float(v) for v in (*lateral, *-up)]


def header(orientation, position=(0.0, 0.0, 0.0), description: str | None = None) -> Dataset:
    dataset = Dataset()
    dataset.ImageOrientationPatient = list(orientation)
    dataset.ImagePositionPatient = list(position)
    if description is not None:
        dataset.SeriesDescription = description
    return dataset


def place(rotation_deg: float, tilt_deg: float = 0.0, long_axis=REAL_LONG_AXIS):
    normal = plane_normal(header(long_axis_orientation(rotation_deg=rotation_deg, tilt_deg=tilt_deg)))
    assert normal is not None
    return place_long_axis_plane(plane_normal=normal, long_axis=long_axis)


@pytest.mark.parametrize(
    ("rotation_deg", "expected"),
    [
        (0.0, "cine_4ch"),
        (15.0, "cine_4ch"),
        (-15.0, "cine_4ch"),
        (180.0, "cine_4ch"),
        (90.0, "cine_2ch"),
        (75.0, "cine_2ch"),
        (105.0, "cine_2ch"),
        (135.0, "cine_3ch"),
        (-45.0, "cine_3ch"),
        (150.0, "cine_3ch"),
        (45.0, "cine_lax_other"),  # anterolateral to inferoseptal: no standard view lies there
        (30.0, "cine_lax_other"),
        (60.0, "cine_lax_other"),
    ],
)
def test_the_rotation_about_the_long_axis_names_the_view(rotation_deg, expected):
    placement = place(rotation_deg)
    assert placement.kind == expected
    assert placement.tilt_deg == pytest.approx(0.0, abs=1e-6)
    assert placement.rotation_deg is not None
    assert (placement.rotation_deg - rotation_deg + 90.0) % 180.0 - 90.0 == pytest.approx(0.0, abs=1e-6)


def test_the_signs_of_the_normals_do_not_matter():
    flipped_axis = tuple(-c for c in REAL_LONG_AXIS)
    for rotation, expected in [(0.0, "cine_4ch"), (90.0, "cine_2ch"), (135.0, "cine_3ch")]:
        normal = plane_normal(header(long_axis_orientation(rotation_deg=rotation)))
        assert normal is not None
        flipped_normal = tuple(-c for c in normal)
        for axis in (REAL_LONG_AXIS, flipped_axis):
            for plane in (normal, flipped_normal):
                assert place_long_axis_plane(plane_normal=plane, long_axis=axis).kind == expected


def test_a_plane_tilted_off_the_long_axis_is_not_placed():
    placement = place(0.0, tilt_deg=MAX_TILT_DEG + 10.0)
    assert placement.kind == "cine_lax_other"
    assert placement.rotation_deg is None
    assert placement.tilt_deg == pytest.approx(MAX_TILT_DEG + 10.0, abs=1e-6)


def test_a_plane_parallel_to_the_stack_is_a_short_axis_slice():
    normal = plane_normal(header(sax_orientation()))
    assert normal is not None
    placement = place_long_axis_plane(plane_normal=normal, long_axis=REAL_LONG_AXIS)
    assert placement.kind == "cine_sax"
    classification = classify_series(cine_headers(sax_orientation()), short_axis_long_axis=REAL_LONG_AXIS)
    assert classification.kind == SeriesKind.CINE_SAX
    assert "parallel to the stack's planes (within 0°)" in classification.reason


def test_a_plane_a_little_off_the_long_axis_is_still_placed():
    placement = place(90.0, tilt_deg=10.0)
    assert placement.kind == "cine_2ch"
    assert placement.tilt_deg == pytest.approx(10.0, abs=1e-6)


def test_a_head_to_foot_long_axis_names_no_view():
    placement = place_long_axis_plane(plane_normal=(1.0, 0.0, 0.0), long_axis=(0.0, 0.0, 1.0))
    assert placement.kind == "cine_lax_other"
    assert placement.rotation_deg is None


def test_the_stack_long_axis_is_the_common_normal_of_its_planes():
    orientation = sax_orientation()
    axis = stack_long_axis([header(orientation, (0.0, 0.0, z)) for z in range(3)])
    assert axis is not None
    assert abs(float(np.dot(axis, unit(REAL_LONG_AXIS)))) == pytest.approx(1.0)


def test_planes_that_are_not_parallel_make_no_stack_long_axis():
    assert stack_long_axis([header(sax_orientation()), header((1.0, 0.0, 0.0, 0.0, 1.0, 0.0))]) is None
    assert stack_long_axis([Dataset()]) is None
    assert stack_long_axis([]) is None


def test_a_broken_orientation_has_no_normal():
    assert plane_normal({"ImageOrientationPatient": ["a", 0, 0, 0, 1, 0]}) is None
    assert plane_normal({"ImageOrientationPatient": [1.0, 0.0, 0.0]}) is None
    assert (
        plane_normal({"ImageOrientationPatient": [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]}) is None
    )  # rows == columns
    assert plane_normal({}) is None


def cine_headers(orientation, *, description: str | None = None, phases: int = 25) -> list[Dataset]:
    headers = []
    for phase in range(phases):
        image = header(orientation, description=description)
        image.TriggerTime = phase * 1000.0 / phases
        image.NominalInterval = 1000.0
        image.ImageType = ["ORIGINAL", "PRIMARY", "M"]
        headers.append(image)
    return headers


@pytest.mark.parametrize(
    ("rotation_deg", "expected"),
    [(0.0, SeriesKind.CINE_4CH), (90.0, SeriesKind.CINE_2CH), (135.0, SeriesKind.CINE_3CH)],
)
def test_a_cine_without_a_view_keyword_is_placed_and_says_so(rotation_deg, expected):
    headers = cine_headers(long_axis_orientation(rotation_deg=rotation_deg), description="cine_tf2d")
    classification = classify_series(headers, short_axis_long_axis=REAL_LONG_AXIS)
    assert classification.kind == expected
    assert GEOMETRY_REASON in classification.reason
    assert f"turned {round(rotation_deg)}°" in classification.reason


def test_without_the_stack_the_same_cine_stays_another_long_axis():
    headers = cine_headers(long_axis_orientation(rotation_deg=0.0), description="cine_tf2d")
    classification = classify_series(headers)
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert GEOMETRY_REASON not in classification.reason


def test_a_plane_between_views_is_left_unnamed_and_says_so():
    headers = cine_headers(long_axis_orientation(rotation_deg=45.0))
    classification = classify_series(headers, short_axis_long_axis=REAL_LONG_AXIS)
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert "no standard view" in classification.reason


def test_a_plane_off_the_long_axis_is_left_unnamed_and_says_so():
    headers = cine_headers(long_axis_orientation(rotation_deg=0.0, tilt_deg=45.0))
    classification = classify_series(headers, short_axis_long_axis=REAL_LONG_AXIS)
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert "tilted 45°" in classification.reason


def test_a_head_to_foot_stack_axis_names_no_view_and_says_so():
    headers = cine_headers((0.0, 1.0, 0.0, 0.0, 0.0, -1.0))
    classification = classify_series(headers, short_axis_long_axis=(0.0, 0.0, 1.0))
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert "runs head to foot" in classification.reason


def test_a_view_keyword_wins_over_the_geometry():
    headers = cine_headers(long_axis_orientation(rotation_deg=90.0), description="Cine_TruFisp_RVLA")
    classification = classify_series(headers, short_axis_long_axis=REAL_LONG_AXIS)
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert GEOMETRY_REASON not in classification.reason


def test_lge_and_non_cine_series_are_not_placed():
    lge = [header(long_axis_orientation(rotation_deg=0.0))]
    lge[0].InversionTime = 300.0
    lge[0].TriggerTime = 500.0
    assert classify_series(lge, short_axis_long_axis=REAL_LONG_AXIS).kind == SeriesKind.LGE_LAX
    tagging = cine_headers(long_axis_orientation(rotation_deg=0.0), description="tagging_grid")
    assert classify_series(tagging, short_axis_long_axis=REAL_LONG_AXIS).kind == SeriesKind.UNKNOWN


# The phantom's heart frame takes "anterior" from the head direction across the long axis, as
# the rule does (decisions/0026); the ingest tests below keep a fixed sagittal axis so their
# expectations do not depend on a drawn one.
SAGITTAL_LONG_AXIS = (0.0, -0.6, -0.8)


@pytest.mark.parametrize("seed", range(60))
def test_every_drawn_phantom_long_axis_is_placed_as_the_view_it_was_drawn_as(seed):
    params = sample_case_params(seed=seed)
    acquisition = params.acquisition
    frame = heart_frame(base_center_mm=acquisition.base_center_mm, long_axis=acquisition.long_axis)
    for view, rotation in zip(
        ("cine_4ch", "cine_2ch", "cine_3ch"), acquisition.lax_rotations_deg, strict=True
    ):
        plane = lax_plane(
            frame=frame, view=view, center_z_mm=30.0, rotation_deg=rotation, pixel_spacing_mm=1.5, matrix=32
        )
        placement = place_long_axis_plane(plane_normal=tuple(plane.normal), long_axis=tuple(frame.long_axis))
        assert placement.kind == view, (seed, acquisition.long_axis, placement)


@pytest.fixture
def geometry_case_dir(tmp_path):
    """A small phantom study with every description removed, its heart's long axis sagittal."""
    params = sample_case_params(seed=11, case_type="normal", matrix=32, phases=6)
    acquisition = dataclasses.replace(
        params.acquisition,
        long_axis=SAGITTAL_LONG_AXIS,
        series=tuple(dataclasses.replace(plan, description="") for plan in params.acquisition.series),
    )
    truth = write_case(tmp_path / "case", params=dataclasses.replace(params, acquisition=acquisition))
    return tmp_path / "case", truth


def import_files(paths, root, settings):
    return ingest.import_sources(
        iter_path_sources(sorted(paths)),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=root,
    )


def kinds_by_number() -> dict[int, tuple[str, str]]:
    return {s.series_number: (s.kind, s.classification_reason) for s in Series.objects.all()}


@pytest.mark.django_db
def test_ingest_places_long_axis_cines_without_descriptions_from_the_stack(
    geometry_case_dir, private_storage, settings
):
    folder, truth = geometry_case_dir
    import_files(folder.glob("*.dcm"), private_storage, settings)
    found = kinds_by_number()
    for series in truth["series"]:
        kind, reason = found[series["series_number"]]
        assert kind == series["expected_kind"], (series, reason)
        if kind in {"cine_4ch", "cine_2ch", "cine_3ch"}:
            assert GEOMETRY_REASON in reason


@pytest.mark.django_db
def test_a_stack_imported_later_places_the_long_axis_cines_imported_before_it(
    geometry_case_dir, private_storage, settings
):
    folder, truth = geometry_case_dir
    number_of = {s["series_number"]: s["expected_kind"] for s in truth["series"]}
    sax_number = next(n for n, kind in number_of.items() if kind == "cine_sax")
    files = sorted(folder.glob("*.dcm"))
    sax_files = [p for p in files if _series_number(p) == sax_number]
    import_files([p for p in files if p not in sax_files], private_storage, settings)
    before = kinds_by_number()
    assert {
        before[n][0] for n, kind in number_of.items() if kind.startswith("cine_") and n != sax_number
    } == {"cine_lax_other"}
    import_files(sax_files, private_storage, settings)
    after = kinds_by_number()
    assert {n: after[n][0] for n in number_of} == number_of


def _series_number(path) -> int:
    return int(pydicom.dcmread(path, stop_before_pixels=True).SeriesNumber)


SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REAL_SAX_STACK = SHARED_DATA / "real-cmr-sax-stack-sunnybrook"


def test_the_real_stacks_long_axis_is_the_one_these_tests_use():
    if not REAL_SAX_STACK.is_dir():
        pytest.skip(f"real short-axis stack not available at {REAL_SAX_STACK} (../shared/data is absent)")
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in sorted(REAL_SAX_STACK.glob("*.dcm"))[:40]]
    axis = stack_long_axis(headers)
    assert axis is not None
    assert abs(float(np.dot(axis, unit(REAL_LONG_AXIS)))) == pytest.approx(1.0, abs=1e-6)


def test_the_real_rvla_cine_keeps_its_keyword_view_against_a_stack(real_cine_dir):
    # The real stack is another patient (Sunnybrook, GE) than this cine (Siemens Skyra), so it
    # cannot be its stack; its axis only shows that the keyword "RVLA" wins over any geometry.
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in sorted(real_cine_dir.glob("*.dcm"))]
    classification = classify_series(headers, short_axis_long_axis=REAL_LONG_AXIS)
    assert classification.kind == SeriesKind.CINE_LAX_OTHER
    assert '"rvla"' in classification.reason
