"""Finding a study's DICOM files and reading their headers, one record per frame.

A file is DICOM when it is a DICOM Part 10 file (the "DICM" prefix after a 128-byte preamble).
Multi-frame instances become one record per frame, each with that frame's own position,
orientation, trigger time and inversion time where the file carries per-frame functional groups
(enhanced MR, PS3.3 C.7.6.16), or a trigger time from FrameTime / FrameTimeVector (PS3.3 C.7.6.5)
in a classic multi-frame cine. Classification and ordering then treat every frame alike.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info

from cmr_reader.domain.series_facts import CLASSIFICATION_KEYWORDS, header_number
from inference.inputs.items import InputError, PatientInfo

DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")
RECORD_KEYWORDS = (*CLASSIFICATION_KEYWORDS, "InstanceNumber", "AcquisitionNumber", "Rows", "Columns")


@dataclass(frozen=True)
class FrameRecord:
    """One frame of one instance, with plain header values by keyword (see ``RECORD_KEYWORDS``)."""

    path: Path
    frame_index: int  # from 0 within its file
    frame_count: int  # frames in its file
    header: dict
    sop_instance_uid: str
    series_uid: str
    series_number: int
    instance_number: int

    def get(self, keyword: str, default=None):
        return self.header.get(keyword, default)


@dataclass(frozen=True)
class StudyFiles:
    """The study's DICOM files, by SOP Instance UID, with reasons for the files left out."""

    paths_by_uid: dict[str, Path]
    skipped: tuple[str, ...]


def find_study_files(source: Path | Sequence[Path]) -> StudyFiles:
    """The Part 10 files of ``source`` (a folder, searched recursively, or a list of files).

    Only the file meta group is read (no dataset, no pixels), so this is cheap enough to run
    before every cache lookup. Files without the DICOM prefix are left out; they are reported
    when named like DICOM (``*.dcm``) or listed explicitly, and skipped silently otherwise (a
    folder may hold reports, JSON, thumbnails).
    """
    if isinstance(source, (str, os.PathLike)):
        listed, paths = False, _folder_paths(Path(source))
    else:
        listed, paths = True, _listed_paths(source)
    found: dict[str, Path] = {}
    skipped: list[str] = []
    for path in paths:
        try:
            meta = read_file_meta_info(path)
        except (InvalidDicomError, OSError, EOFError, ValueError, KeyError) as error:
            if listed or path.suffix.lower() in DICOM_SUFFIXES:
                skipped.append(f"{path.name}: not a readable DICOM file ({_short(error)})")
            continue
        uid = str(meta.get("MediaStorageSOPInstanceUID") or "")
        if not uid:
            from_dataset = _sop_instance_uid_from_dataset(path)
            if from_dataset is None:
                skipped.append(f"{path.name}: no SOP Instance UID")
                continue
            uid = from_dataset
        if uid in found:
            skipped.append(f"{path.name}: a copy of {found[uid].name} (same SOP Instance UID)")
            continue
        found[uid] = path
    return StudyFiles(paths_by_uid=found, skipped=tuple(skipped))


def read_frame_records(files: StudyFiles) -> tuple[list[FrameRecord], list[str], list[pydicom.Dataset]]:
    """Read every header (no pixels); returns the frame records, reasons for files left out, and
    the headers themselves (for patient information)."""
    records: list[FrameRecord] = []
    skipped: list[str] = []
    headers: list[pydicom.Dataset] = []
    for uid, path in sorted(files.paths_by_uid.items(), key=lambda item: str(item[1])):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception as error:  # pydicom raises many types for a damaged header
            skipped.append(f"{path.name}: unreadable DICOM header ({_short(error)})")
            continue
        if not ds.get("Rows") or not ds.get("Columns") or not ds.get("SeriesInstanceUID"):
            skipped.append(f"{path.name}: not an image (no rows, columns or series)")
            continue
        headers.append(ds)
        records.extend(_frame_records(ds=ds, path=path, uid=uid))
    return records, skipped, headers


def read_patient(headers: Sequence[pydicom.Dataset]) -> PatientInfo:
    """Sex, age, height and weight: the first non-empty value over the headers, in file order."""
    sex = _first(headers, "PatientSex")
    age = _first(headers, "PatientAge")
    height = _first_number(headers, "PatientSize")
    if height is not None and height > 3.0:
        height = height / 100.0  # some scanners write centimetres where DICOM asks for metres
    sex_text = str(sex).strip().upper() if sex else ""
    return PatientInfo(
        sex=sex_text or None,
        age_years=_age_years(str(age)) if age else None,
        height_m=round(height, 3) if height else None,
        weight_kg=_first_number(headers, "PatientWeight") or None,
    )


def _listed_paths(source: Sequence[Path]) -> list[Path]:
    paths = [Path(p) for p in source]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"{len(missing)} listed file(s) do not exist, e.g. {missing[0]}")
    return sorted(paths)


def _folder_paths(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _sop_instance_uid_from_dataset(path: Path) -> str | None:
    # Rare: a Part 10 file whose meta group lacks MediaStorageSOPInstanceUID.
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
    except Exception:  # pydicom raises many types for a damaged header
        return None
    return str(ds.get("SOPInstanceUID") or "") or None


def _frame_records(*, ds: pydicom.Dataset, path: Path, uid: str) -> list[FrameRecord]:
    count = max(int(header_number(ds, "NumberOfFrames") or 1), 1)
    base = {keyword: _plain(ds.get(keyword)) for keyword in RECORD_KEYWORDS if ds.get(keyword) is not None}
    shared = _functional_groups(ds.get("SharedFunctionalGroupsSequence"), 0)
    frame_times = _frame_times(ds=ds, count=count)
    records = []
    for index in range(count):
        header = {**base, **shared, **_functional_groups(ds.get("PerFrameFunctionalGroupsSequence"), index)}
        if frame_times is not None and "TriggerTime" not in shared:
            header["TriggerTime"] = (header_number(ds, "TriggerTime") or 0.0) + frame_times[index]
        records.append(
            FrameRecord(
                path=path,
                frame_index=index,
                frame_count=count,
                header=header,
                sop_instance_uid=uid,
                series_uid=str(ds.SeriesInstanceUID),
                series_number=int(header_number(ds, "SeriesNumber") or 0),
                instance_number=int(header_number(ds, "InstanceNumber") or 0),
            )
        )
    return records


def _functional_groups(sequence, index: int) -> dict:
    """This frame's position, orientation, trigger and inversion time from functional groups.

    A legacy converted object (PS3.3 A.71, e.g. highdicom's) keeps the source images' Trigger
    Time, Nominal Interval and the like in its Unassigned Converted Attributes sequences under
    their own keywords; those are read first, and the macros win where both say.
    """
    if not sequence or index >= len(sequence):
        return {}
    group = sequence[index]
    values = {}
    for unassigned in (
        "UnassignedSharedConvertedAttributesSequence",
        "UnassignedPerFrameConvertedAttributesSequence",
    ):
        items = group.get(unassigned)
        if items:
            values.update(
                {k: _plain(items[0].get(k)) for k in RECORD_KEYWORDS if items[0].get(k) is not None}
            )
    pairs = (
        ("PlanePositionSequence", "ImagePositionPatient", "ImagePositionPatient"),
        ("PlaneOrientationSequence", "ImageOrientationPatient", "ImageOrientationPatient"),
        ("CardiacSynchronizationSequence", "NominalCardiacTriggerDelayTime", "TriggerTime"),
        ("CardiacSynchronizationSequence", "RRIntervalTimeNominal", "NominalInterval"),
        ("MRModifierSequence", "InversionTimes", "InversionTime"),
        ("MRImageFrameTypeSequence", "FrameType", "ImageType"),
    )
    for sequence_keyword, keyword, as_keyword in pairs:
        items = group.get(sequence_keyword)
        value = items[0].get(keyword) if items else None
        if value is None:
            continue
        value = _plain(value)
        if as_keyword == "InversionTime" and isinstance(value, list):
            value = value[0] if value else None
        values[as_keyword] = value
    return values


def _frame_times(*, ds: pydicom.Dataset, count: int) -> list[float] | None:
    if count < 2 or ds.get("PerFrameFunctionalGroupsSequence"):
        return None
    vector = ds.get("FrameTimeVector")
    if vector is not None and len(vector) == count:
        # Each entry is the time since the previous frame; the first is 0.
        times, total = [], 0.0
        for step in vector:
            total += float(step)
            times.append(total)
        return times
    frame_time = header_number(ds, "FrameTime")
    return [index * frame_time for index in range(count)] if frame_time else None


def _plain(value):
    if isinstance(value, (str, int, float)) or value is None:
        return value
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    try:
        return [_plain(v) for v in value]
    except TypeError:
        return str(value)


def _first(headers: Sequence[pydicom.Dataset], keyword: str):
    return next((value for h in headers if (value := h.get(keyword))), None)


def _first_number(headers: Sequence[pydicom.Dataset], keyword: str) -> float | None:
    return next((n for h in headers if (n := header_number(h, keyword))), None)


def _age_years(text: str) -> int | None:
    """DICOM AgeString (PS3.5 6.2): nnnD, nnnW, nnnM or nnnY."""
    text = text.strip().upper()
    if len(text) < 2 or not text[:-1].isdigit():
        return None
    per_year = {"Y": 1, "M": 12, "W": 52, "D": 365}.get(text[-1])
    return int(text[:-1]) // per_year if per_year else None


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]
