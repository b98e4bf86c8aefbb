"""DICOM JSON (PS3.18 Annex F.2) for QIDO-RS results and WADO-RS metadata.

QIDO-RS answers are assembled from database rows (PS3.18 10.6.3.3 lists the attributes each
level returns); WADO-RS metadata is each instance's stored, de-identified header with Pixel Data
pointing at a bulk data URI (F.2.2). Nothing here reads a file or adds a value from outside the
stored, de-identified data.
"""

import json
from collections.abc import Iterable
from datetime import date

PIXEL_DATA = "7FE00010"
BITS_ALLOCATED = "00280100"

# Study-level attributes taken from a stored header when the Case row has no column for them.
# They are de-identified at ingest like everything stored (Study Time is kept, Study ID is the
# case id, Referring Physician's Name is emptied).
STUDY_HEADER_TAGS = (
    "00080030",  # StudyTime
    "00080090",  # ReferringPhysicianName
    "00100010",  # PatientName
    "00100030",  # PatientBirthDate
    "00200010",  # StudyID
)


def element(vr: str, *values) -> dict:
    """One DICOM JSON attribute; ``None`` and "" values are left out (a zero-length value)."""
    present = [value for value in values if value is not None and value != ""]
    if not present:
        return {"vr": vr}
    if vr == "PN":
        present = [{"Alphabetic": str(value)} for value in present]
    return {"vr": vr, "Value": present}


def dicom_date(value: date | None) -> str | None:
    return value.strftime("%Y%m%d") if value else None


def study_attributes(
    *,
    study_instance_uid: str,
    patient_id: str,
    study_date: date | None,
    study_description: str,
    patient_sex: str,
    patient_age: str,
    modalities: Iterable[str],
    number_of_series: int,
    number_of_instances: int,
    header: dict | None,
    retrieve_url: str,
) -> dict:
    """Study-level QIDO-RS result (PS3.18 Table 10.6.3-3)."""
    attributes = {tag: header[tag] for tag in STUDY_HEADER_TAGS if header and tag in header}
    attributes.update(
        {
            "00080020": element("DA", dicom_date(study_date)),
            # Accession numbers survive only as a keyed hash; the attribute is Type 2, so empty.
            "00080050": element("SH"),
            "00080061": element("CS", *sorted(set(modalities))),
            "00081030": element("LO", study_description),
            "00081190": element("UR", retrieve_url),
            "00100020": element("LO", patient_id),
            "00100040": element("CS", patient_sex),
            "00101010": element("AS", patient_age),
            "0020000D": element("UI", study_instance_uid),
            "00201206": element("IS", number_of_series),
            "00201208": element("IS", number_of_instances),
        }
    )
    return dict(sorted(attributes.items()))


def series_attributes(
    *,
    study_instance_uid: str,
    series_instance_uid: str,
    modality: str,
    series_number: int | None,
    series_description: str,
    number_of_instances: int,
    retrieve_url: str,
) -> dict:
    """Series-level QIDO-RS result (PS3.18 Table 10.6.3-4)."""
    return {
        "00080060": element("CS", modality),
        "0008103E": element("LO", series_description),
        "00081190": element("UR", retrieve_url),
        "0020000D": element("UI", study_instance_uid),
        "0020000E": element("UI", series_instance_uid),
        "00200011": element("IS", series_number),
        "00201209": element("IS", number_of_instances),
    }


def instance_attributes(
    *,
    study_instance_uid: str,
    series_instance_uid: str,
    sop_class_uid: str,
    sop_instance_uid: str,
    instance_number: int | None,
    rows: int,
    columns: int,
    number_of_frames: int,
    retrieve_url: str,
) -> dict:
    """Instance-level QIDO-RS result (PS3.18 Table 10.6.3-5)."""
    return {
        "00080016": element("UI", sop_class_uid),
        "00080018": element("UI", sop_instance_uid),
        "00081190": element("UR", retrieve_url),
        "0020000D": element("UI", study_instance_uid),
        "0020000E": element("UI", series_instance_uid),
        "00200013": element("IS", instance_number),
        "00280008": element("IS", number_of_frames),
        "00280010": element("US", rows),
        "00280011": element("US", columns),
    }


def instance_metadata_text(*, header_text: str, bits_allocated, bulk_data_uri: str) -> str:
    """``instance_metadata`` on the stored header's JSON text, without decoding it.

    ``bits_allocated`` is the header's BitsAllocated value (as the database extracts it, a number
    or its text; None when absent). A header that holds Pixel Data itself (never written by
    ingest) goes the decoding way, so the result never has the element twice.
    """
    body = header_text.strip()
    if f'"{PIXEL_DATA}"' in body or not (body.startswith("{") and body.endswith("}")):
        return json.dumps(
            instance_metadata(header=json.loads(body), bulk_data_uri=bulk_data_uri), separators=(",", ":")
        )
    bits = int(bits_allocated) if bits_allocated not in (None, "") else 16
    pixel_data = json.dumps(
        {"vr": "OW" if bits > 8 else "OB", "BulkDataURI": bulk_data_uri}, separators=(",", ":")
    )
    inner = body[1:-1].strip()
    return "{" + inner + ("," if inner else "") + f'"{PIXEL_DATA}":' + pixel_data + "}"


def instance_metadata(*, header: dict, bulk_data_uri: str) -> dict:
    """A stored header with Pixel Data as a bulk data reference (PS3.18 F.2.2, F.3.1).

    The VR follows what storage wrote: OW above 8 bits allocated, OB otherwise.
    """
    bits = header.get(BITS_ALLOCATED, {}).get("Value", [16])[0]
    # Pixel Data is the highest tag kept in storage, so appending keeps the tags in order.
    return {**header, PIXEL_DATA: {"vr": "OW" if bits > 8 else "OB", "BulkDataURI": bulk_data_uri}}
