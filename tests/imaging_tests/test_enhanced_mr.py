"""Enhanced MR: a whole series in one multi-frame object with functional groups (decisions/0027).

The objects are made by a maintained library, highdicom's legacy conversion
(``LegacyConvertedEnhancedMRImage``, SOP class ...4.4), from the synthetic study's single-frame
series and, where ../shared is present, from the real Sunnybrook stack; an Enhanced MR (...4.1)
variant moves the trigger times into Cardiac Synchronization macros and fills Frame Content's
stack and temporal indices as a scanner would. Each is parsed by pydicom, imported, and checked
for de-identification inside the functional groups, classification and the series grid from the
per-frame groups, WADO-RS frames through Django's test client, and the inference inputs.
"""

import copy
import json
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.test import Client
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cmr_reader.domain.frame_headers import frame_headers
from cmr_reader.imaging import frame_grants
from cmr_reader.imaging.fast_deidentify import deidentify_part10
from cmr_reader.imaging.frame_fast_lane import FrameFastLane
from cmr_reader.imaging.ingest import CLASSIFICATION_TAGS, import_sources
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.imaging.prepare import _prepare_with_pydicom
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.viewer.manifest import build_viewer_manifest
from inference.inputs import InputConfig, load_study_inputs
from tests.dicomweb_tests.conftest import instance_path
from tests.dicomweb_tests.test_frame_fast_lane import CountingApp, frame_part, session_cookie, wsgi_get
from tests.imaging_tests.test_planted_identifiers import everything_stored, planted_needles

highdicom = pytest.importorskip("highdicom", reason="highdicom (requirements-dev.txt) makes the test objects")

pytestmark = pytest.mark.django_db

ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"
LEGACY_CONVERTED_ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.4"
SAX_CINE_SERIES = 12  # the synthetic study's short-axis cine: 11 positions x 6 phases
LGE_SERIES = 19
PLANTED_FRAME_LABEL = "Planted^Framelabel"
OCTET_MULTIPART = 'multipart/related; type="application/octet-stream"'
SAX_STACK = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-cmr-sax-stack-sunnybrook"


# --- Making the objects ---------------------------------------------------------------------------


def legacy_converted(sources: list[Dataset], *, series_number: int = 99) -> Dataset:
    """highdicom's Legacy Converted Enhanced MR Image of ``sources`` (one series)."""
    first = sources[0]
    converted = highdicom.legacy.LegacyConvertedEnhancedMRImage(
        sources,
        series_instance_uid=generate_uid(entropy_srcs=["series", str(first.SeriesInstanceUID)]),
        series_number=series_number,
        sop_instance_uid=generate_uid(entropy_srcs=["instance", str(first.SeriesInstanceUID)]),
        instance_number=1,
        transfer_syntax_uid=ExplicitVRLittleEndian,
    )
    return pydicom.dcmread(_as_bytes(converted))  # as a reader meets it: from bytes


def as_enhanced_mr(converted: Dataset) -> Dataset:
    """The same frames as an Enhanced MR Image would carry them: trigger times in each frame's
    Cardiac Synchronization macro (not in the unassigned attributes), the R-R interval in the
    shared one, and Frame Content's stack, in-stack position and temporal position indices."""
    ds = copy.deepcopy(converted)
    ds.SOPClassUID = ENHANCED_MR
    ds.file_meta.MediaStorageSOPClassUID = ENHANCED_MR
    shared = ds.SharedFunctionalGroupsSequence[0]
    unassigned_shared = shared.UnassignedSharedConvertedAttributesSequence[0]
    synchronisation = Dataset()
    synchronisation.RRIntervalTimeNominal = float(unassigned_shared.NominalInterval)
    shared.CardiacSynchronizationSequence = Sequence([synchronisation])
    del unassigned_shared.NominalInterval
    positions = sorted({_slice_location(g) for g in ds.PerFrameFunctionalGroupsSequence})
    for group in ds.PerFrameFunctionalGroupsSequence:
        unassigned = group.UnassignedPerFrameConvertedAttributesSequence[0]
        frame_sync = Dataset()
        frame_sync.NominalCardiacTriggerDelayTime = float(unassigned.TriggerTime)
        group.CardiacSynchronizationSequence = Sequence([frame_sync])
        content = group.FrameContentSequence[0]
        content.StackID = "1"
        content.InStackPositionNumber = positions.index(_slice_location(group)) + 1
        content.TemporalPositionIndex = int(unassigned.TemporalPositionIdentifier)
        content.DimensionIndexValues = [content.InStackPositionNumber, content.TemporalPositionIndex]
        del unassigned.TriggerTime
        del unassigned.SliceLocation
    return ds


def plant_in_functional_groups(ds: Dataset, *, referenced_sop_instance_uid: str) -> None:
    """A name in a free-text attribute inside a per-frame group, and a reference to another
    instance (its original UID) in a per-frame Referenced Image macro."""
    group = ds.PerFrameFunctionalGroupsSequence[3]
    group.FrameContentSequence[0].FrameLabel = PLANTED_FRAME_LABEL
    reference = Dataset()
    reference.ReferencedSOPClassUID = pydicom.uid.MRImageStorage
    reference.ReferencedSOPInstanceUID = referenced_sop_instance_uid
    group.ReferencedImageSequence = Sequence([reference])


def source_of_frame(ds: Dataset, frame: int) -> str:
    """The original SOP Instance UID of frame ``frame`` (from 1), from Conversion Source."""
    group = ds.PerFrameFunctionalGroupsSequence[frame - 1]
    return str(group.ConversionSourceAttributesSequence[0].ReferencedSOPInstanceUID)


def _slice_location(group: Dataset) -> float:
    return round(float(group.UnassignedPerFrameConvertedAttributesSequence[0].SliceLocation), 3)


def _as_bytes(ds: Dataset):
    buffer = pydicom.filebase.DicomBytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    return buffer


def read_series(folder: Path) -> dict[int, list[Dataset]]:
    by_number: dict[int, list[Dataset]] = defaultdict(list)
    for path in sorted(folder.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        by_number[int(ds.SeriesNumber)].append(ds)
    return by_number


@pytest.fixture
def synthetic_series(synthetic_case_dir) -> dict[int, list[Dataset]]:
    return read_series(synthetic_case_dir)


@pytest.fixture(params=[LEGACY_CONVERTED_ENHANCED_MR, ENHANCED_MR], ids=["legacy-converted", "enhanced"])
def study_with_enhanced_sax(request, synthetic_case_dir, synthetic_series, tmp_path):
    """The synthetic study with its short-axis cine replaced by one enhanced object (descriptions
    removed, so only the data can say what it is), identifiers planted in its functional groups."""
    sources = synthetic_series[SAX_CINE_SERIES]
    for source in sources:
        for keyword in ("SeriesDescription", "ProtocolName"):
            if keyword in source:
                delattr(source, keyword)
    converted = legacy_converted(sources)
    if request.param == ENHANCED_MR:
        converted = as_enhanced_mr(converted)
    lge_uid = str(synthetic_series[LGE_SERIES][0].SOPInstanceUID)
    plant_in_functional_groups(converted, referenced_sop_instance_uid=lge_uid)
    folder = tmp_path / "study"
    folder.mkdir()
    for path in synthetic_case_dir.glob("*.dcm"):
        if int(pydicom.dcmread(path, stop_before_pixels=True).SeriesNumber) != SAX_CINE_SERIES:
            (folder / path.name).write_bytes(path.read_bytes())
    (folder / "enhanced_sax.dcm").write_bytes(_as_bytes(converted).getvalue())
    return {"folder": folder, "object": converted, "sources": sources, "lge_uid": lge_uid}


def import_folder(folder: Path, settings):
    return import_sources(iter_path_sources([folder]), pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY))


# --- The objects themselves -----------------------------------------------------------------------


def test_the_converted_object_holds_every_source_frame_with_its_geometry(synthetic_series):
    sources = synthetic_series[SAX_CINE_SERIES]
    converted = legacy_converted(sources)

    assert converted.SOPClassUID == LEGACY_CONVERTED_ENHANCED_MR
    assert (
        int(converted.NumberOfFrames) == len(sources) == len(converted.PerFrameFunctionalGroupsSequence) == 66
    )
    by_uid = {str(s.SOPInstanceUID): s for s in sources}
    headers = frame_headers(converted.to_json_dict(), tags=CLASSIFICATION_TAGS)
    pixels = converted.pixel_array
    for frame, header in enumerate(headers, start=1):
        source = by_uid[source_of_frame(converted, frame)]
        assert header["ImagePositionPatient"] == pytest.approx(
            [float(v) for v in source.ImagePositionPatient]
        )
        assert float(header["TriggerTime"]) == pytest.approx(float(source.TriggerTime))
        assert np.array_equal(pixels[frame - 1], source.pixel_array)


# --- Ingest and de-identification -----------------------------------------------------------------


def test_it_is_imported_as_one_instance_of_all_its_frames(study_with_enhanced_sax, settings, private_storage):
    summary = import_folder(study_with_enhanced_sax["folder"], settings)

    assert summary.rejected == []
    instance = Instance.objects.get(number_of_frames=66)
    assert instance.sop_class_uid == study_with_enhanced_sax["object"].SOPClassUID
    stored = pydicom.dcmread(private_storage / instance.file_path)
    assert stored.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert len(stored.PerFrameFunctionalGroupsSequence) == 66
    assert np.array_equal(stored.pixel_array, study_with_enhanced_sax["object"].pixel_array)


def test_no_identifier_survives_inside_the_functional_groups(
    study_with_enhanced_sax, synthetic_case_dir, settings, private_storage
):
    converted = study_with_enhanced_sax["object"]
    groups = converted.SharedFunctionalGroupsSequence[0]
    planted_inside = groups.UnassignedSharedConvertedAttributesSequence[0]
    assert planted_inside.PatientAddress and planted_inside.OtherPatientIDs  # moved there by highdicom

    import_folder(study_with_enhanced_sax["folder"], settings)

    truth = json.loads((synthetic_case_dir / "ground_truth.json").read_text())
    needles = planted_needles(truth)
    needles["frame label"] = PLANTED_FRAME_LABEL.encode()
    needles["frame label part"] = b"Framelabel"
    needles["address"] = str(planted_inside.PatientAddress).encode()
    needles["other patient id"] = str(planted_inside.OtherPatientIDs).encode()
    needles["source image uid"] = source_of_frame(converted, 1).encode()
    needles["referenced lge uid"] = study_with_enhanced_sax["lge_uid"].encode()
    enhanced_bytes = (study_with_enhanced_sax["folder"] / "enhanced_sax.dcm").read_bytes()
    for label in ("frame label", "address", "other patient id", "source image uid", "referenced lge uid"):
        assert needles[label] in enhanced_bytes, f"{label} was never planted in the enhanced object"
    for where, blob in everything_stored(private_storage):
        for label, needle in needles.items():
            assert needle not in blob, f"planted {label} ({needle!r}) survived in {where}"


def test_references_inside_the_groups_point_at_the_same_pseudonymous_uids(
    study_with_enhanced_sax, settings, private_storage
):
    import_folder(study_with_enhanced_sax["folder"], settings)
    pseudonymizer = Pseudonymizer(settings.PSEUDONYM_KEY)
    stored = pydicom.dcmread(private_storage / Instance.objects.get(number_of_frames=66).file_path)

    referenced = (
        stored.PerFrameFunctionalGroupsSequence[3].ReferencedImageSequence[0].ReferencedSOPInstanceUID
    )
    # The LGE image it references was imported too, under the same replacement UID.
    assert Instance.objects.filter(sop_instance_uid=referenced, series__series_number=LGE_SERIES).exists()
    converted = study_with_enhanced_sax["object"]
    for frame in (1, 66):
        source = stored.PerFrameFunctionalGroupsSequence[frame - 1].ConversionSourceAttributesSequence[0]
        assert source.ReferencedSOPInstanceUID == pseudonymizer.uid(source_of_frame(converted, frame))
    assert "FrameLabel" not in stored.PerFrameFunctionalGroupsSequence[3].FrameContentSequence[0]
    assert stored.PatientIdentityRemoved == "YES"


def test_the_fast_and_the_pydicom_paths_store_the_same_header(study_with_enhanced_sax, pseudonymizer):
    raw = (study_with_enhanced_sax["folder"] / "enhanced_sax.dcm").read_bytes()

    fast = deidentify_part10(raw, pseudonymizer=pseudonymizer)
    reference = _prepare_with_pydicom(raw, pseudonymizer=pseudonymizer)

    assert fast.dicom_json == reference.dicom_json
    assert bytes(fast.pixel_data) == bytes(reference.pixel_data)
    assert fast.number_of_frames == 66


# --- Classification and the series grid from the per-frame groups ---------------------------------


def test_it_is_classified_as_a_short_axis_cine_from_its_data_alone(study_with_enhanced_sax, settings):
    import_folder(study_with_enhanced_sax["folder"], settings)

    series = Series.objects.get(instances__number_of_frames=66)
    assert series.description == ""
    assert series.kind == "cine_sax"
    assert "from the data" in series.classification_reason
    assert "6 phases" in series.classification_reason
    assert "11 slice positions" in series.classification_reason


def test_the_viewer_grid_is_slices_by_phases_of_frames_of_the_one_instance(study_with_enhanced_sax, settings):
    import_folder(study_with_enhanced_sax["folder"], settings)
    converted, sources = study_with_enhanced_sax["object"], study_with_enhanced_sax["sources"]
    by_uid = {str(s.SOPInstanceUID): s for s in sources}
    instance = Instance.objects.get(number_of_frames=66)

    manifest = build_viewer_manifest(Case.objects.get(), dicomweb_root="/dicomweb")
    (entry,) = [s for s in manifest["series"] if s["uid"] == instance.series.series_instance_uid]

    assert [len(s["frames"]) for s in entry["slices"]] == [6] * 11
    assert entry["phase_count"] == 6 and entry["is_cine"]
    frames = [tuple(f) for s in entry["slices"] for f in s["frames"]]
    assert sorted(frames) == [(instance.sop_instance_uid, n) for n in range(1, 67)]
    positions = [s["position_mm"] for s in entry["slices"]]
    assert positions == sorted(positions)
    spacing = statistics.median(b - a for a, b in zip(positions, positions[1:], strict=False))
    assert spacing == pytest.approx(float(sources[0].SpacingBetweenSlices), abs=0.01)
    for slice_entry in entry["slices"]:
        originals = [by_uid[source_of_frame(converted, frame)] for _sop, frame in slice_entry["frames"]]
        assert len({tuple(round(float(v), 2) for v in o.ImagePositionPatient) for o in originals}) == 1
        assert [float(o.TriggerTime) for o in originals] == sorted(float(o.TriggerTime) for o in originals)
    triggers = sorted({float(s.TriggerTime) for s in sources})
    assert entry["frame_ms_source"] == "trigger_time"
    assert entry["frame_ms"] == pytest.approx(triggers[1] - triggers[0], abs=0.01)
    assert entry["trigger_ms"] == pytest.approx(triggers, abs=0.01)


# --- WADO-RS frames -------------------------------------------------------------------------------


def test_wado_rs_serves_frame_k_of_the_object_as_the_source_image_k(
    study_with_enhanced_sax, settings, coordinator
):
    import_folder(study_with_enhanced_sax["folder"], settings)
    converted, sources = study_with_enhanced_sax["object"], study_with_enhanced_sax["sources"]
    by_uid = {str(s.SOPInstanceUID): s for s in sources}
    instance = Instance.objects.select_related("series__case").get(number_of_frames=66)
    client = Client()
    client.force_login(coordinator)
    base = instance_path(instance)

    for frame in (1, 37, 66):
        response = client.get(f"{base}/frames/{frame}", HTTP_ACCEPT=OCTET_MULTIPART)
        assert response.status_code == 200
        source_pixels = by_uid[source_of_frame(converted, frame)].pixel_array.astype("<u2").tobytes()
        assert source_pixels in response.content
    assert client.get(f"{base}/frames/67", HTTP_ACCEPT=OCTET_MULTIPART).status_code == 404

    metadata = client.get(f"{base}/metadata", HTTP_ACCEPT="application/dicom+json").json()
    assert len(metadata[0]["52009230"]["Value"]) == 66  # the viewer's loader reads frames' groups here


@pytest.mark.django_db(transaction=True)
def test_the_frame_fast_lane_serves_frame_k_of_the_object(study_with_enhanced_sax, settings, coordinator):
    import_folder(study_with_enhanced_sax["folder"], settings)
    converted, sources = study_with_enhanced_sax["object"], study_with_enhanced_sax["sources"]
    by_uid = {str(s.SOPInstanceUID): s for s in sources}
    instance = Instance.objects.select_related("series__case").get(number_of_frames=66)
    inner = CountingApp()
    lane, cookie = FrameFastLane(inner), session_cookie(coordinator)
    frame_grants.revoke_all()
    try:
        # Django authorises the session with its first frame; the lane answers the rest.
        for frame in (1, 2, 41, 66):
            status, _headers, body = wsgi_get(
                lane, f"{instance_path(instance)}/frames/{frame}", cookie=cookie
            )
            assert status.startswith("200")
            expected = by_uid[source_of_frame(converted, frame)].pixel_array.astype("<u2").tobytes()
            assert frame_part(body) == expected
        assert inner.calls == 1
        status, _headers, _body = wsgi_get(lane, f"{instance_path(instance)}/frames/67", cookie=cookie)
        assert status.startswith("404")
    finally:
        frame_grants.revoke_all()


# --- The real stack -------------------------------------------------------------------------------


def cleaned_real_stack() -> list[Dataset]:
    """The real stack, read and cleaned where highdicom's checks refuse real-world values."""
    if not SAX_STACK.is_dir():
        pytest.skip(f"real SAX stack not available at {SAX_STACK} (../shared/data is absent)")
    datasets = [pydicom.dcmread(p) for p in sorted(SAX_STACK.glob("*.dcm"), key=lambda p: int(p.stem))]
    for ds in datasets:
        # "20120000" (study, series, acquisition, content) and a birth date of "00000000" are
        # not DA values; highdicom parses dates, and pydicom's DA refuses month 0.
        for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
            setattr(ds, keyword, "20120101")
        del ds.PatientBirthDate
        # Every image has its own Frame of Reference UID (240 in all), where one stack shares
        # one; highdicom requires the frames of one object to share it.
        ds.FrameOfReferenceUID = datasets[0].FrameOfReferenceUID
    return datasets


@pytest.fixture
def real_enhanced_folder(tmp_path) -> Path:
    converted = legacy_converted(cleaned_real_stack())
    folder = tmp_path / "real"
    folder.mkdir()
    (folder / "real_enhanced.dcm").write_bytes(_as_bytes(converted).getvalue())
    return folder


# Its UIDs have components with leading zeros, and its patient name one component: pydicom and
# highdicom say so on every read.
REAL_STACK_WARNINGS = ("ignore:Invalid value for VR UI", "ignore:The string .* is unlikely to represent")


@pytest.mark.filterwarnings(*REAL_STACK_WARNINGS)
def test_the_real_stack_as_one_enhanced_object_is_a_12_by_20_short_axis_cine(real_enhanced_folder, settings):
    summary = import_folder(real_enhanced_folder, settings)

    assert summary.rejected == []
    (series,) = Series.objects.all()
    assert series.kind == "cine_sax"
    assert "from the data" in series.classification_reason
    manifest = build_viewer_manifest(Case.objects.get(), dicomweb_root="/dicomweb")
    (entry,) = manifest["series"]
    assert [len(s["frames"]) for s in entry["slices"]] == [20] * 12
    assert 30 < entry["frame_ms"] < 50  # its own per-slice trigger spacing (~38 ms)


# --- Inference inputs -----------------------------------------------------------------------------


def test_the_inference_inputs_read_the_short_axis_cine_from_the_one_file(study_with_enhanced_sax):
    inputs = load_study_inputs(study_with_enhanced_sax["folder"], config=InputConfig(frames_per_cine=None))

    sax = [item for item in inputs.items if item.kind == "cine_sax"]
    assert sax, [item.kind for item in inputs.items]
    triggers = sorted({float(s.TriggerTime) for s in study_with_enhanced_sax["sources"]})
    for item in sax:
        assert item.modality == "video" and item.frames.shape[0] == 6
        assert item.fps == pytest.approx(1000 / (triggers[1] - triggers[0]), rel=0.02)
    assert inputs.skipped == ()


@pytest.mark.filterwarnings(*REAL_STACK_WARNINGS)
def test_the_inference_inputs_read_the_real_stack_from_the_one_file(real_enhanced_folder):
    inputs = load_study_inputs(real_enhanced_folder, config=InputConfig(frames_per_cine=None))

    assert inputs.items and {item.kind for item in inputs.items} == {"cine_sax"}
    for item in inputs.items:
        assert item.modality == "video" and item.frames.shape[0] == 20
        assert 1000 / 50 < item.fps < 1000 / 30  # its own trigger spacing, ~38 ms
