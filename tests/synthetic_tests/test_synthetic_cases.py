"""The synthetic CMR generator writes real-looking DICOM studies whose ground truth holds."""

import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.core.management import call_command

from cmr_reader.domain.synthetic import (
    CASE_TYPES,
    GROUND_TRUTH_FILE,
    sample_case_params,
    write_case,
    write_cases,
)
from cmr_reader.domain.synthetic.anatomy import LGE_CONTRAST
from cmr_reader.domain.synthetic.cases import LGE_TRIGGER_FRACTION
from cmr_reader.domain.synthetic.geometry import SLICE_SPACING_MM, heart_frame, sax_planes
from cmr_reader.domain.synthetic.ground_truth import aha_segment
from cmr_reader.domain.synthetic.render import render_plane
from cmr_reader.domain.synthetic.ventricles import contraction_curve

SMALL = {"matrix": 96, "phases": 8}
MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"


def _read_case(folder: Path) -> tuple[dict, dict[int, list[pydicom.Dataset]]]:
    truth = json.loads((folder / GROUND_TRUTH_FILE).read_text())
    series = defaultdict(list)
    for path in sorted(folder.glob("*.dcm")):
        dataset = pydicom.dcmread(path)
        series[int(dataset.SeriesNumber)].append(dataset)
    return truth, series


def _series_of_kind(truth: dict, series: dict, kind: str) -> list[pydicom.Dataset]:
    number = next(s["series_number"] for s in truth["series"] if s["expected_kind"] == kind)
    return series[number]


def _seed_with(predicate, *, case_type: str) -> int:
    return next(s for s in range(500) if predicate(sample_case_params(seed=s, case_type=case_type, **SMALL)))


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> list[tuple[dict, dict]]:
    """Eight small cases, two of each type."""
    folders = write_cases(tmp_path_factory.mktemp("batch"), cases=8, seed=2024, **SMALL)
    return [_read_case(folder) for folder in folders]


def test_same_seed_writes_identical_bytes_and_another_seed_does_not(tmp_path):
    params = sample_case_params(seed=11, case_type="hcm_septal", matrix=48, phases=4)
    write_case(tmp_path / "a", params=params)
    write_case(tmp_path / "b", params=params)
    write_case(
        tmp_path / "c", params=sample_case_params(seed=12, case_type="hcm_septal", matrix=48, phases=4)
    )
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / GROUND_TRUTH_FILE).read_bytes() != (
        tmp_path / "c" / GROUND_TRUTH_FILE
    ).read_bytes()


def test_write_cases_balances_the_case_types(batch):
    counts = defaultdict(int)
    for truth, _ in batch:
        counts[truth["case_type"]] += 1
    assert counts == {case_type: 2 for case_type in CASE_TYPES}


def test_every_file_is_a_single_frame_12_bit_mr_image(batch):
    truth, series = batch[0]
    for datasets in series.values():
        for ds in datasets:
            assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
            assert ds.SOPClassUID == MR_IMAGE_STORAGE and ds.Modality == "MR"
            assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (16, 12, 11, 0)
            assert ds.PhotometricInterpretation == "MONOCHROME2"
            pixels = ds.pixel_array
            assert pixels.shape == (ds.Rows, ds.Columns) == (96, 96)
            assert 0 < pixels.max() <= 4095
    assert sum(len(v) for v in series.values()) == sum(s["instances"] for s in truth["series"])


def test_series_in_the_files_match_the_ground_truth_list(batch):
    for truth, series in batch:
        assert sorted(s["expected_kind"] for s in truth["series"]) == sorted(
            ["cine_sax", "cine_4ch", "cine_2ch", "cine_3ch", "lge_sax"]
        )
        for entry in truth["series"]:
            datasets = series[entry["series_number"]]
            assert {ds.SeriesDescription for ds in datasets} == {entry["description"]}
            assert {ds.SeriesInstanceUID for ds in datasets} == {entry["series_instance_uid"]}


def test_slice_location_is_the_position_projected_on_the_slice_normal(batch):
    _, series = batch[1]
    for datasets in series.values():
        for ds in datasets:
            orientation = np.array(ds.ImageOrientationPatient, dtype=float)
            normal = np.cross(orientation[:3], orientation[3:])
            assert np.linalg.norm(normal) == pytest.approx(1.0, abs=1e-5)
            assert float(ds.SliceLocation) == pytest.approx(np.dot(ds.ImagePositionPatient, normal), abs=1e-3)


def test_sax_slices_are_parallel_and_evenly_spaced_and_lax_planes_are_oblique_to_them(batch):
    truth, series = batch[2]
    sax = _series_of_kind(truth, series, "cine_sax")
    orientations = {tuple(ds.ImageOrientationPatient) for ds in sax}
    assert len(orientations) == 1
    orientation = np.array(orientations.pop(), dtype=float)
    normal = np.cross(orientation[:3], orientation[3:])
    assert np.max(np.abs(orientation)) < 0.99  # oblique, not an axial/coronal/sagittal plane
    positions = sorted({float(np.dot(ds.ImagePositionPatient, normal)) for ds in sax})
    assert 8 <= len(positions) <= 12
    assert np.allclose(np.diff(positions), SLICE_SPACING_MM, atol=1e-3)
    assert float(sax[0].SpacingBetweenSlices) == SLICE_SPACING_MM and float(sax[0].SliceThickness) == 8.0
    lax_normals = []
    for kind in ("cine_4ch", "cine_2ch", "cine_3ch"):
        lax_orientation = np.array(
            _series_of_kind(truth, series, kind)[0].ImageOrientationPatient, dtype=float
        )
        lax_normal = np.cross(lax_orientation[:3], lax_orientation[3:])
        assert abs(np.dot(lax_normal, normal)) < 0.05  # long-axis planes contain the LV axis
        lax_normals.append(lax_normal)
    assert abs(np.dot(lax_normals[0], lax_normals[1])) < 0.1  # 4CH is perpendicular to 2CH
    assert len({ds.FrameOfReferenceUID for datasets in series.values() for ds in datasets}) == 1


def test_trigger_times_spread_evenly_over_the_rr_interval(batch):
    for truth, series in batch[:4]:
        sax = _series_of_kind(truth, series, "cine_sax")
        rr = float(sax[0].NominalInterval)
        assert rr == pytest.approx(60000.0 / float(sax[0].HeartRate), abs=1.0)
        phases = int(sax[0].CardiacNumberOfImages)
        by_position = defaultdict(list)
        for ds in sax:
            by_position[float(ds.SliceLocation)].append(float(ds.TriggerTime))
        for times in by_position.values():
            assert len(times) == phases == SMALL["phases"]
            assert times[0] == 0.0
            steps = np.diff(times)
            assert np.ptp(steps) <= 0.02  # evenly spaced
            assert steps.mean() * phases == pytest.approx(rr, abs=1.0)  # ... over one RR interval
            assert times[-1] < rr
        lge = _series_of_kind(truth, series, "lge_sax")
        assert {int(ds.CardiacNumberOfImages) for ds in lge} == {1}
        assert 250 <= float(lge[0].InversionTime) <= 350
        assert not hasattr(sax[0], "InversionTime")


@pytest.mark.parametrize("case_type", CASE_TYPES)
def test_ground_truth_values_fit_the_case_type(batch, case_type):
    truths = [truth for truth, _ in batch if truth["case_type"] == case_type]
    assert truths
    for truth in truths:
        assert truth["lv_ef_pct"] == pytest.approx(
            100.0 * (truth["lv_edv_ml"] - truth["lv_esv_ml"]) / truth["lv_edv_ml"], abs=0.2
        )
        assert truth["lv_edv_index_ml_m2"] == pytest.approx(truth["lv_edv_ml"] / truth["bsa_m2"], rel=0.01)
        assert truth["lv_mass_index_g_m2"] == pytest.approx(truth["lv_mass_g"] / truth["bsa_m2"], rel=0.01)
        assert 1 <= truth["max_wall_thickness_aha_segment"] <= 17
        if case_type == "normal":
            assert truth["max_wall_thickness_mm"] < 12 and 55 <= truth["lv_ef_pct"] <= 75
            assert (truth["diagnosis"], truth["hypertrophy_pattern"], truth["lge"]) == (
                "normal",
                "none",
                "absent",
            )
        elif case_type == "dcm":
            assert truth["lv_ef_pct"] < 40 and truth["lv_edv_index_ml_m2"] > 100
            assert truth["diagnosis"] == "dcm"
        else:
            assert 15 <= truth["max_wall_thickness_mm"] <= 30 and truth["diagnosis"] == "hcm"
            expected = {"hcm_septal": ("asymmetric_septal", "septal"), "hcm_apical": ("apical", "apical")}
            assert (truth["hypertrophy_pattern"], truth["max_wall_thickness_location"]) == expected[case_type]
        if truth["lge"] == "absent":
            assert truth["lge_pattern"] is None and truth["lge_extent_pct"] == 0
        else:
            assert 0 < truth["lge_extent_pct"] < 40


def test_ejection_fraction_follows_the_sampled_target_for_each_kind_of_heart(tmp_path):
    for seed, case_type in ((1, "normal"), (2, "dcm"), (3, "hcm_apical")):
        params = sample_case_params(seed=seed, case_type=case_type, matrix=64, phases=6)
        truth = write_case(tmp_path / str(seed), params=params)
        # Phases are coarse here, so end-systole may miss the curve's minimum slightly.
        assert truth["lv_ef_pct"] == pytest.approx(100 * params.heart.ejection_fraction, abs=3.0)


def test_the_cine_beats_in_the_pixels(batch):
    truth, series = next(item for item in batch if item[0]["case_type"] == "normal")
    sax = _series_of_kind(truth, series, "cine_sax")
    middle = sorted({float(ds.SliceLocation) for ds in sax})[
        len({float(ds.SliceLocation) for ds in sax}) // 2
    ]
    frames = {
        int(ds.TemporalPositionIdentifier) - 1: ds.pixel_array
        for ds in sax
        if float(ds.SliceLocation) == middle
    }
    bright_threshold = 0.7 * float(sax[0].WindowCenter) * 2
    bright_ed = (frames[truth["ed_phase_index"]] > bright_threshold).sum()
    bright_es = (frames[truth["es_phase_index"]] > bright_threshold).sum()
    assert bright_ed > bright_es + 20  # the blood pool shrinks in systole


@pytest.mark.parametrize("pattern", ["patchy_midwall", "rv_insertion", "midwall_septal"])
def test_lge_image_is_brighter_where_enhancement_was_drawn(tmp_path, pattern):
    case_type = "dcm" if pattern == "midwall_septal" else "hcm_septal"
    seed = _seed_with(lambda p: p.heart.lge_pattern == pattern, case_type=case_type)
    params = sample_case_params(seed=seed, case_type=case_type, **SMALL)
    truth = write_case(tmp_path, params=params)
    assert (truth["lge"], truth["lge_pattern"]) == ("present", pattern)
    _, series = _read_case(tmp_path)
    lge = sorted(_series_of_kind(truth, series, "lge_sax"), key=lambda ds: int(ds.InstanceNumber))
    acquisition = params.acquisition
    frame = heart_frame(base_center_mm=acquisition.base_center_mm, long_axis=acquisition.long_axis)
    planes = sax_planes(
        frame=frame,
        slice_z_mm=acquisition.slice_z_mm,
        lateral_offset_mm=acquisition.sax_lateral_offset_mm,
        pixel_spacing_mm=acquisition.pixel_spacing_mm,
        matrix=acquisition.matrix,
    )
    es_fraction = round(acquisition.es_fraction * acquisition.phases) / acquisition.phases
    contraction = contraction_curve(phase_fraction=np.array([LGE_TRIGGER_FRACTION]), es_fraction=es_fraction)
    enhanced, remote = [], []
    for plane, ds in zip(planes, lge, strict=True):
        maps = render_plane(
            heart=params.heart,
            frame=frame,
            plane=plane,
            contraction=contraction,
            contrast=LGE_CONTRAST,
            rng=np.random.default_rng(0),
            short_axis=True,
            with_enhancement=True,
        )
        pixels = ds.pixel_array.astype(float)
        enhanced.extend(pixels[maps.enhancement[0] > 0.6])
        remote.extend(pixels[(maps.lv_myocardium[0] > 0.95) & (maps.enhancement[0] < 0.01)])
    assert len(enhanced) >= 3 and len(remote) >= 20
    assert np.mean(enhanced) > 3 * np.mean(remote)
    assert np.mean(remote) < 150  # nulled myocardium is dark


def test_planted_identifiers_are_findable_by_byte_search(batch, tmp_path):
    params = sample_case_params(seed=5, case_type="normal", matrix=32, phases=3)
    truth = write_case(tmp_path, params=params)
    files = sorted(tmp_path.glob("*.dcm"))
    blob = b"".join(path.read_bytes() for path in files)
    planted = truth["planted_identifiers"]
    assert len(planted) >= 25
    for label, value in planted.items():
        assert value and value.encode("ascii") in blob, label
    for path in files:  # every single file carries the core identifiers, not just some of them
        data = path.read_bytes()
        for label in ("patient_name", "patient_id", "accession_number", "study_instance_uid", "study_date"):
            assert planted[label].encode("ascii") in data, (path.name, label)
    assert truth["accession_number"] == planted["accession_number"]
    assert truth["study_instance_uid"] == planted["study_instance_uid"]
    first = pydicom.dcmread(files[0])
    assert first.PatientName == planted["patient_name"]
    assert (
        planted["patient_name_text"] in first.StudyDescription
        and planted["patient_name_text"] in first.ImageComments
    )
    assert first.RequestAttributesSequence[0].RequestedProcedureID == planted["requested_procedure_id"]
    assert first.ReferencedImageSequence[0].ReferencedSOPInstanceUID.startswith("1.2.826.0.1.3680043.8.498.")
    assert planted["patient_name"].encode("ascii") in first[0x0029, 0x1010].value
    assert first.PatientAge == f"{truth['patient']['age_years']:03d}Y"


def test_some_series_descriptions_are_deliberately_uninformative():
    descriptions = [
        plan.description for seed in range(120) for plan in sample_case_params(seed=seed).acquisition.series
    ]
    vague = [d for d in descriptions if d == "" or d.startswith("Series ")]
    assert 0.04 < len(vague) / len(descriptions) < 0.2
    assert len(set(descriptions)) > 25


def test_aha_segments_follow_the_documented_convention():
    length = 90.0
    basal = [
        aha_segment(z_mm=10.0, angle_deg=a, cavity_length_mm=length) for a in (90, 150, 210, 270, 330, 30)
    ]
    assert basal == [1, 2, 3, 4, 5, 6]
    assert aha_segment(z_mm=45.0, angle_deg=200, cavity_length_mm=length) == 9
    apical = [aha_segment(z_mm=70.0, angle_deg=a, cavity_length_mm=length) for a in (90, 180, 270, 0)]
    assert apical == [13, 14, 15, 16]
    assert aha_segment(z_mm=95.0, angle_deg=0, cavity_length_mm=length) == 17


def test_synth_cases_command_writes_one_folder_per_case(tmp_path, capsys):
    call_command(
        "synth_cases", str(tmp_path / "out"), "--cases", "2", "--seed", "3", "--matrix", "32", "--phases", "3"
    )
    folders = sorted(p for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert [p.name for p in folders] == ["case_000", "case_001"]
    for folder in folders:
        assert (folder / GROUND_TRUTH_FILE).is_file() and len(list(folder.glob("*.dcm"))) > 20
    assert "Wrote 2 synthetic cases" in capsys.readouterr().out


def test_files_are_byte_identical_to_what_pydicom_dcmwrite_would_write(batch, tmp_path):
    # The writer splices pre-encoded elements for speed; a read-and-rewrite must not change a byte.
    params = sample_case_params(seed=9, case_type="hcm_apical", matrix=32, phases=3)
    write_case(tmp_path, params=params)
    for path in sorted(tmp_path.glob("*.dcm"))[::7]:
        original = path.read_bytes()
        buffer = io.BytesIO()
        pydicom.dcmwrite(buffer, pydicom.dcmread(io.BytesIO(original)), enforce_file_format=True)
        assert buffer.getvalue() == original, path.name
