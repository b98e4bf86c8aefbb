"""The input pipeline on synthetic studies (with ground truth) and on the shared real cine."""

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from cmr_reader.domain.series_decision import CINE_VIEW_KINDS, FAMILY_KINDS, UNKNOWN
from cmr_reader.domain.synthetic import sample_case_params
from cmr_reader.imaging.series_kind import SeriesKind
from inference.inputs import InputConfig, InputError, load_study_inputs
from inference.inputs.item_plan import pick_phases, pick_slices, slice_position
from inference.inputs.pixels import centre_crop, target_size

SYNTHETIC_PHASES = 6  # tests/conftest.py: synthetic_case_dir is 32 x 32 pixels, 6 phases


def truth_of(case_dir: Path) -> dict:
    return json.loads((case_dir / "ground_truth.json").read_text())


def series_uid(truth: dict, kind: str) -> str:
    return next(s["series_instance_uid"] for s in truth["series"] if s["expected_kind"] == kind)


def files_of(case_dir: Path, uid: str) -> list[Path]:
    paths = sorted(case_dir.glob("IM_*.dcm"))
    return [p for p in paths if pydicom.dcmread(p, stop_before_pixels=True).SeriesInstanceUID == uid]


def sax_slices_base_to_apex(case_dir: Path) -> list[np.ndarray]:
    """Phase-0 pixels of every SAX cine slice, ordered by the phantom's own depth from the base."""
    truth = truth_of(case_dir)
    params = sample_case_params(seed=truth["seed"], case_type=truth["case_type"], matrix=32, phases=6)
    base = np.array(params.acquisition.base_center_mm)
    axis = np.array(params.acquisition.long_axis)  # base to apex, as the phantom was drawn
    by_depth = {}
    for path in files_of(case_dir, series_uid(truth, "cine_sax")):
        ds = pydicom.dcmread(path)
        if float(ds.TriggerTime) == 0.0:
            by_depth[float(np.dot(np.array(ds.ImagePositionPatient, dtype=float) - base, axis))] = (
                ds.pixel_array
            )
    return [by_depth[depth] for depth in sorted(by_depth)]


def best_match(frame: np.ndarray, candidates: list[np.ndarray]) -> int:
    scores = []
    for candidate in candidates:
        resized = np.asarray(Image.fromarray(candidate.astype(np.float32)).resize(frame.shape[::-1]))
        scores.append(np.corrcoef(frame.ravel().astype(float), resized.ravel())[0, 1])
    return int(np.argmax(scores))


def test_items_come_in_reading_order_with_their_kinds(synthetic_case_dir):
    inputs = load_study_inputs(synthetic_case_dir)

    assert [(i.kind, i.position, i.modality) for i in inputs.items] == [
        ("cine_sax", "basal", "video"),
        ("cine_sax", "mid", "video"),
        ("cine_sax", "apical", "video"),
        ("cine_4ch", None, "video"),
        ("cine_2ch", None, "video"),
        ("cine_3ch", None, "video"),
        ("lge_sax", None, "image"),
    ]
    assert inputs.items[0].label().startswith("SAX cine, basal slice")
    assert inputs.items[3].label() == "4-chamber cine"
    assert inputs.items[-1].label() == "LGE, short axis, basal to apical (3 slices)"
    assert inputs.items[-1].frames.shape[0] == 3
    truth = truth_of(synthetic_case_dir)
    assert inputs.items[3].series_uid == series_uid(truth, "cine_4ch")
    assert inputs.skipped == ()
    assert inputs.cache_hit is False


def test_sax_slices_run_from_base_to_apex_as_the_phantom_was_drawn(synthetic_case_dir):
    inputs = load_study_inputs(synthetic_case_dir, config=InputConfig(sax_slices="all"))

    sax = [i for i in inputs.items if i.kind == "cine_sax"]
    truth_slices = sax_slices_base_to_apex(synthetic_case_dir)
    assert [i.slice_index for i in sax] == list(range(len(truth_slices)))
    assert [best_match(i.frames[0], truth_slices) for i in sax] == list(range(len(truth_slices)))


def test_the_basal_end_comes_from_geometry_even_when_the_apex_was_acquired_first(synthetic_case_dir):
    truth = truth_of(synthetic_case_dir)
    sax_files = files_of(synthetic_case_dir, series_uid(truth, "cine_sax"))
    for path in sax_files:
        ds = pydicom.dcmread(path)
        ds.InstanceNumber = len(sax_files) + 1 - int(ds.InstanceNumber)
        ds.save_as(path)

    inputs = load_study_inputs(synthetic_case_dir)

    truth_slices = sax_slices_base_to_apex(synthetic_case_dir)
    count = len(truth_slices)
    sax = [i for i in inputs.items if i.kind == "cine_sax"]
    expected = [count // 6, count // 2, 5 * count // 6]
    assert [best_match(i.frames[0], truth_slices) for i in sax] == expected


def test_three_slices_are_the_middle_of_each_third_of_the_stack():
    assert pick_slices(10, "three") == [1, 5, 8]
    assert pick_slices(11, "three") == [1, 5, 9]
    assert pick_slices(3, "three") == [0, 1, 2]
    assert pick_slices(2, "three") == [0, 1]
    assert pick_slices(10, "all") == list(range(10))
    assert [slice_position(i, 10) for i in (1, 5, 8)] == ["basal", "mid", "apical"]
    assert [slice_position(i, 10) for i in range(10)].count("mid") == 4
    assert slice_position(0, 1) == "mid"


@pytest.mark.parametrize(("wanted", "expected"), [(None, 6), (16, 6), (4, 4)])
def test_each_cine_has_the_wanted_number_of_frames(synthetic_case_dir, wanted, expected):
    inputs = load_study_inputs(synthetic_case_dir, config=InputConfig(frames_per_cine=wanted))

    assert {i.frames.shape[0] for i in inputs.items if i.modality == "video"} == {expected}


def test_phases_are_evenly_spaced_over_the_cycle_from_phase_zero():
    assert pick_phases(30, 16) == [0, 1, 3, 5, 7, 9, 11, 13, 15, 16, 18, 20, 22, 24, 26, 28]
    assert pick_phases(25, 4) == [0, 6, 12, 18]
    assert pick_phases(6, 16) == list(range(6))
    assert pick_phases(25, None) == list(range(25))


def test_windowing_uses_the_whole_8_bit_range_of_each_series(synthetic_case_dir):
    inputs = load_study_inputs(synthetic_case_dir)

    by_series: dict[str, list[np.ndarray]] = {}
    for item in inputs.items:
        assert item.frames.dtype == np.uint8
        by_series.setdefault(item.series_uid, []).append(item.frames)
    for frames in by_series.values():
        values = np.concatenate([f.ravel() for f in frames])
        assert (values.min(), values.max()) == (0, 255)
        assert len(np.unique(values)) > 64  # a scaled image, not a thresholded one


@pytest.mark.parametrize(
    ("rows", "columns", "max_pixels"),
    [
        (32, 32, 224 * 224),
        (256, 232, 224 * 224),
        (192, 192, 224 * 224),
        (208, 156, 112 * 112),
        (512, 448, 448 * 448),
    ],
)
def test_frame_sizes_are_multiples_of_28_within_the_pixel_budget(rows, columns, max_pixels):
    height, width = target_size(rows=rows, columns=columns, max_pixels=max_pixels)

    assert height % 28 == 0 and width % 28 == 0
    assert height * width <= max_pixels
    assert abs(height / width - rows / columns) < 28 / min(height, width)


def test_a_small_pixel_budget_shrinks_every_frame(tmp_path):
    from cmr_reader.domain.synthetic import write_cases

    (case_dir,) = write_cases(tmp_path, cases=1, seed=5, matrix=96, phases=6)
    inputs = load_study_inputs(case_dir, config=InputConfig(max_pixels=56 * 56))

    assert {i.frames.shape[1:] for i in inputs.items} == {(56, 56)}


def test_fps_is_the_trigger_time_rate_of_the_frames_delivered(synthetic_case_dir):
    rr_ms = 60000.0 / truth_of(synthetic_case_dir)["heart_rate_bpm"]
    acquired_fps = 1000.0 / (rr_ms / SYNTHETIC_PHASES)  # the writer spaces phases evenly over R-R

    every = load_study_inputs(synthetic_case_dir, config=InputConfig(frames_per_cine=None))
    four = load_study_inputs(synthetic_case_dir, config=InputConfig(frames_per_cine=4))

    assert {i.modality: None for i in every.items if i.fps is None} == {"image": None}
    for item in every.items:
        if item.modality == "video":
            assert item.fps == pytest.approx(acquired_fps, rel=1e-3)
    for item in four.items:
        if item.modality == "video":
            assert item.fps == pytest.approx(acquired_fps * 4 / SYNTHETIC_PHASES, rel=1e-3)


def test_patient_information_comes_from_the_headers(synthetic_case_dir):
    patient = load_study_inputs(synthetic_case_dir).patient

    expected = truth_of(synthetic_case_dir)["patient"]
    assert patient.sex == expected["sex"]
    assert patient.age_years == expected["age_years"]
    assert patient.height_m == pytest.approx(expected["height_m"])
    assert patient.weight_kg == pytest.approx(expected["weight_kg"])


def test_a_second_run_reads_the_cache_and_no_dicom(synthetic_case_dir, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_study_inputs(synthetic_case_dir, cache_dir=cache)

    def refuse(*args, **kwargs):
        raise AssertionError("pydicom.dcmread was called on a cache hit")

    monkeypatch.setattr(pydicom, "dcmread", refuse)
    second = load_study_inputs(synthetic_case_dir, cache_dir=cache)

    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.fingerprint == first.fingerprint
    assert second.decode_seconds < 0.5
    assert [i.label() for i in second.items] == [i.label() for i in first.items]
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(first.items, second.items, strict=True))
    assert [(i.fps, i.series_uid, i.description) for i in second.items] == [
        (i.fps, i.series_uid, i.description) for i in first.items
    ]
    assert second.patient == first.patient


def test_the_fingerprint_changes_with_the_settings(synthetic_case_dir, tmp_path):
    cache = tmp_path / "cache"
    three = load_study_inputs(synthetic_case_dir, cache_dir=cache)
    every = load_study_inputs(synthetic_case_dir, cache_dir=cache, config=InputConfig(sax_slices="all"))

    assert three.fingerprint != every.fingerprint
    assert every.cache_hit is False
    assert len(list(cache.glob("*.npz"))) == 2


def test_a_centre_crop_keeps_the_middle_of_the_field_of_view():
    frame = np.arange(10 * 8, dtype=np.float32).reshape(10, 8)

    cropped = centre_crop(frame, fraction=0.5)

    assert cropped.shape == (5, 4)
    assert cropped[0, 0] == frame[2, 2] and cropped[-1, -1] == frame[6, 5]
    assert centre_crop(frame, fraction=1.0) is not None and np.array_equal(
        centre_crop(frame, fraction=1.0), frame
    )


def test_a_centre_crop_spends_the_pixel_budget_on_the_middle(tmp_path):
    from cmr_reader.domain.synthetic import write_cases

    (case_dir,) = write_cases(tmp_path, cases=1, seed=5, matrix=112, phases=6)
    whole = load_study_inputs(case_dir, config=InputConfig(max_pixels=56 * 56))
    centre = load_study_inputs(case_dir, config=InputConfig(max_pixels=56 * 56, centre_fraction=0.5))

    assert {i.frames.shape[1:] for i in centre.items} == {(56, 56)}
    assert centre.fingerprint != whole.fingerprint
    # The crop is the middle of the whole frame, drawn at twice the scale: its centre pixels match
    # the whole frame's middle, upsampled (both windowed per series, so compare by correlation).
    for cropped, full in zip(centre.items, whole.items, strict=True):
        middle = full.frames[0][14:42, 14:42].astype(np.float32)
        shrunk = np.asarray(Image.fromarray(cropped.frames[0].astype(np.float32)).resize((28, 28)))
        assert np.corrcoef(middle.ravel(), shrunk.ravel())[0, 1] > 0.8, cropped.kind


def test_settings_from_before_the_centre_crop_keep_their_fingerprint():
    assert "centre_fraction" not in InputConfig().as_dict()
    assert InputConfig(centre_fraction=0.6).as_dict()["centre_fraction"] == 0.6


@pytest.mark.parametrize("damaged", [".npz", ".json"])
def test_a_corrupt_cache_file_is_ignored_and_rewritten(synthetic_case_dir, tmp_path, damaged):
    cache = tmp_path / "cache"
    first = load_study_inputs(synthetic_case_dir, cache_dir=cache)
    (cache / f"{first.fingerprint}{damaged}").write_bytes(b"\x00garbage" * 10)

    second = load_study_inputs(synthetic_case_dir, cache_dir=cache)
    third = load_study_inputs(synthetic_case_dir, cache_dir=cache)

    assert (second.cache_hit, third.cache_hit) == (False, True)
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(first.items, third.items, strict=True))
    assert not list(cache.glob(".*.tmp"))


def test_garbage_and_truncated_files_are_skipped_and_the_rest_is_read(synthetic_case_dir):
    truth = truth_of(synthetic_case_dir)
    truncated = files_of(synthetic_case_dir, series_uid(truth, "cine_4ch"))[2]
    (synthetic_case_dir / "garbage.dcm").write_bytes(np.random.default_rng(0).bytes(4000))
    truncated.write_bytes(truncated.read_bytes()[:-700])  # the copy broke off inside the pixels

    inputs = load_study_inputs(synthetic_case_dir)

    assert len(inputs.skipped) == 2
    assert inputs.skipped[0].startswith("garbage.dcm: not a readable DICOM file")
    assert inputs.skipped[1].startswith(f"{truncated.name}: pixel data would not decode")
    four_chamber = next(i for i in inputs.items if i.kind == "cine_4ch")
    assert four_chamber.frames.shape[0] == SYNTHETIC_PHASES - 1
    assert len(inputs.items) == 7


def test_an_empty_folder_is_an_input_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")

    with pytest.raises(InputError, match=r"No DICOM files found in .+"):
        load_study_inputs(tmp_path)


def test_a_study_without_cine_or_lge_is_an_input_error(synthetic_case_dir):
    series = truth_of(synthetic_case_dir)["series"]
    kinds = {s["series_instance_uid"]: "mapping" for s in series}
    count = sum(s["instances"] for s in series)

    with pytest.raises(InputError, match=f"No usable cine or LGE series among {count} DICOM file"):
        load_study_inputs(synthetic_case_dir, series_kinds=kinds)


def test_stored_series_kinds_are_used_instead_of_the_headers(synthetic_case_dir):
    truth = truth_of(synthetic_case_dir)
    kinds = {series_uid(truth, "cine_3ch"): "cine_lax_other", series_uid(truth, "cine_2ch"): "localizer"}

    inputs = load_study_inputs(synthetic_case_dir, series_kinds=kinds)

    assert [i.kind for i in inputs.items if not i.kind.endswith("sax")] == ["cine_4ch", "cine_lax_other"]
    assert len(inputs.skipped) == 1 and "a localizer, not a cine or LGE series" in inputs.skipped[0]


def test_a_list_of_files_is_a_source_too(synthetic_case_dir):
    truth = truth_of(synthetic_case_dir)
    files = files_of(synthetic_case_dir, series_uid(truth, "cine_2ch"))

    inputs = load_study_inputs(files)

    assert [i.kind for i in inputs.items] == ["cine_2ch"]


def test_a_multi_frame_cine_reads_like_its_single_frame_instances(synthetic_case_dir, tmp_path):
    truth = truth_of(synthetic_case_dir)
    files = files_of(synthetic_case_dir, series_uid(truth, "cine_4ch"))
    single = load_study_inputs(files, config=InputConfig(frames_per_cine=None)).items[0]
    instances = [pydicom.dcmread(p) for p in files]
    merged = instances[0]
    merged.NumberOfFrames = len(instances)
    merged.FrameTime = float(instances[1].TriggerTime) - float(instances[0].TriggerTime)
    merged.PixelData = b"".join(ds.PixelData for ds in instances)
    merged.save_as(tmp_path / "multi.dcm")

    multi = load_study_inputs([tmp_path / "multi.dcm"], config=InputConfig(frames_per_cine=None)).items[0]

    assert multi.kind == "cine_4ch"
    assert np.array_equal(multi.frames, single.frames)
    assert multi.fps == pytest.approx(single.fps, rel=1e-3)


def test_settings_outside_their_range_are_refused():
    with pytest.raises(ValueError, match="sax_slices"):
        InputConfig(sax_slices="two")
    with pytest.raises(ValueError, match="window_percentiles"):
        InputConfig(window_percentiles=(99.0, 1.0))
    for fraction in (0.0, 1.5):
        with pytest.raises(ValueError, match="centre_fraction"):
            InputConfig(centre_fraction=fraction)
    assert json.loads(json.dumps(InputConfig().as_dict()))["window_percentiles"] == [1.0, 99.0]


def test_decided_kinds_are_the_sites_series_kinds():
    decided = {UNKNOWN, *FAMILY_KINDS.values(), *CINE_VIEW_KINDS.values(), "lge_sax", "lge_lax"}

    assert decided == set(SeriesKind.values)


def test_the_real_rv_long_axis_cine_is_one_video_of_25_frames(real_cine_dir):
    inputs = load_study_inputs(real_cine_dir, config=InputConfig(frames_per_cine=None))

    assert len(inputs.items) == 1
    (cine,) = inputs.items
    assert (cine.kind, cine.modality, cine.frames.shape[0]) == ("cine_lax_other", "video", 25)
    assert cine.frames.shape[1:] == (224, 196)  # 256 x 232 under the 224 x 224 budget
    assert 10.0 < cine.fps < 40.0  # 52 ms between trigger times: 19.2 frames per second
    assert cine.frames.min() == 0 and cine.frames.max() == 255
    assert inputs.skipped == ()
