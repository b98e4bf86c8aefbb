"""The real short-axis stack in ../shared/data (GE, Sunnybrook SC-HF-I-1): no descriptions, its
own trigger times per slice position, an invalid StudyDate and non-conformant UIDs. Through import,
de-identification, classification from the data alone, the viewer's series grid and the inference
inputs (issue 24, item 4). Skipped where ../shared is absent."""

import io
import json
import statistics
from collections import defaultdict
from pathlib import Path

import pydicom
import pytest
from django.core.management import call_command

from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.viewer.manifest import build_viewer_manifest
from inference.inputs import InputConfig, load_study_inputs

SAX_STACK = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-cmr-sax-stack-sunnybrook"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def originals() -> dict:
    """What the files say, read with pydicom: UIDs, the patient, and trigger times per position."""
    if not SAX_STACK.is_dir():
        pytest.skip(f"real SAX stack not available at {SAX_STACK} (../shared/data is absent)")
    uids, names, triggers = set(), set(), defaultdict(list)
    for path in sorted(SAX_STACK.glob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        uids.update(
            str(ds[keyword].value) for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
        )
        names.add(str(ds.PatientName))
        position = tuple(round(float(v), 2) for v in ds.ImagePositionPatient)
        triggers[position].append(float(ds.TriggerTime))
    spacings = [
        later - earlier
        for times in triggers.values()
        for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    return {"uids": uids, "names": names, "positions": triggers, "spacing": statistics.median(spacings)}


@pytest.fixture
def imported(originals) -> Case:
    out = io.StringIO()
    call_command("import_dicom", str(SAX_STACK), "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["instances_imported"] == 240
    # The folder's README is the one file refused, with its reason.
    assert [r["reason"] for r in summary["rejected"]] == ["not a DICOM file"]
    return Case.objects.get()


def test_it_is_imported_de_identified_and_classified_as_a_sax_cine_from_its_data_alone(imported, originals):
    (series,) = Series.objects.filter(case=imported)
    assert series.description == ""  # nothing names the view or the sequence
    assert series.kind == "cine_sax"
    assert "from the data" in series.classification_reason
    assert imported.study_date is None  # "20120000" is not a date: no date rather than a wrong one
    stored = {
        *Instance.objects.values_list("sop_instance_uid", flat=True),
        series.series_instance_uid,
        imported.study_instance_uid,
    }
    assert not stored & originals["uids"]
    assert not any(str(name) in imported.patient_pseudonym for name in originals["names"])


def test_the_viewer_grid_is_12_positions_by_20_phases_at_its_own_trigger_spacing(imported, originals):
    manifest = build_viewer_manifest(imported, dicomweb_root="/dicomweb")
    (series,) = manifest["series"]

    assert len(series["slices"]) == len(originals["positions"]) == 12
    assert [len(s["frames"]) for s in series["slices"]] == [20] * 12
    assert series["frame_ms"] == pytest.approx(originals["spacing"], abs=0.5)  # ~38 ms, not 1000/20


def test_the_inference_inputs_take_short_axis_levels_of_20_frames_at_its_own_rate(originals):
    inputs = load_study_inputs(SAX_STACK, config=InputConfig(frames_per_cine=None))

    assert inputs.items and {item.kind for item in inputs.items} == {"cine_sax"}
    for item in inputs.items:
        assert item.modality == "video" and item.frames.shape[0] == 20
        assert item.fps == pytest.approx(1000 / originals["spacing"], rel=0.02)
    assert inputs.skipped == ()
