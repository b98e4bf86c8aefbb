"""Ingest: read DICOM from any source, reject what we cannot hold safely, de-identify, store.

One file at a time, each in its own transaction: a bad file gets a reason and the import goes
on; a killed import leaves every finished file stored and is simply run again (files already
held are recognised by their mapped SOP Instance UID and skipped as duplicates).
"""

import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pydicom
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from pydicom.errors import InvalidDicomError
from pydicom.uid import ExplicitVRBigEndian

from cmr_reader.imaging.classify import classify_series
from cmr_reader.imaging.deidentify import DeidentifiedIdentity, RejectedFile, check_acceptable, deidentify
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import DicomSource
from cmr_reader.imaging.storage import frame_length_of, write_instance

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rejection:
    file: str
    reason: str


@dataclass
class ImportSummary:
    case_ids: set[str] = field(default_factory=set)
    series_uids: set[str] = field(default_factory=set)
    instances_imported: int = 0
    duplicates_skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    processed_files: int = 0

    def as_dict(self) -> dict:
        return {
            "studies": len(self.case_ids),
            "case_ids": sorted(self.case_ids),
            "series": len(self.series_uids),
            "instances_imported": self.instances_imported,
            "duplicates_skipped": self.duplicates_skipped,
            "rejected": [{"file": r.file, "reason": r.reason} for r in self.rejected],
            "processed_files": self.processed_files,
        }


ProgressCallback = Callable[[ImportSummary], None]


def import_sources(
    sources: Iterable[DicomSource],
    *,
    pseudonymizer: Pseudonymizer,
    storage_root: Path,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import every source; return what was imported, skipped and rejected (with reasons).

    Series touched by the import are (re)classified at the end, from all their instances.
    """
    summary = ImportSummary()
    importer = _Importer(pseudonymizer=pseudonymizer, storage_root=storage_root)
    for source in sources:
        try:
            imported = importer.import_one(source)
        except RejectedFile as rejected:
            summary.rejected.append(Rejection(file=source.name, reason=rejected.reason))
        else:
            if imported is None:
                summary.duplicates_skipped += 1
            else:
                summary.instances_imported += 1
                summary.case_ids.add(imported.series.case.case_id)
                summary.series_uids.add(imported.series.series_instance_uid)
        summary.processed_files += 1
        if on_progress is not None:
            on_progress(summary)
    for series in Series.objects.filter(series_instance_uid__in=importer.touched_series_uids):
        reclassify_series(series)
    return summary


def reclassify_series(series: Series) -> None:
    headers = [
        pydicom.Dataset.from_json(dicom_json)
        for dicom_json in series.instances.values_list("dicom_json", flat=True)
    ]
    if not headers:
        return
    result = classify_series(headers)
    Series.objects.filter(pk=series.pk).update(kind=result.kind, classification_reason=result.reason)


def read_dataset(raw: bytes) -> pydicom.Dataset:
    """Parse bytes as DICOM, turning every way that can fail into a RejectedFile with a reason."""
    try:
        ds = pydicom.dcmread(io.BytesIO(raw))
    except InvalidDicomError:
        # Some archives hold Part 10 files without the 128-byte preamble: accept those only if
        # a forced parse finds a real image object in them.
        try:
            ds = pydicom.dcmread(io.BytesIO(raw), force=True)
            if "SOPClassUID" not in ds or "PixelData" not in ds:
                raise InvalidDicomError
        except Exception:
            raise RejectedFile(_("not a DICOM file")) from None
    except Exception as error:  # pydicom raises many kinds on truncated or garbled input
        raise RejectedFile(_("unreadable DICOM (%(error)s)") % {"error": _short(error)}) from None
    return ds


def decode_pixels(ds: pydicom.Dataset) -> None:
    """Make Pixel Data native little endian; compressed syntaxes go through the pylibjpeg plugins."""
    transfer_syntax = ds.file_meta.get("TransferSyntaxUID")
    if transfer_syntax == ExplicitVRBigEndian:
        raise RejectedFile(_("retired Explicit VR Big Endian transfer syntax is not supported"))
    if transfer_syntax is not None and transfer_syntax.is_compressed:
        try:
            ds.decompress()
        except Exception as error:
            raise RejectedFile(
                _("compressed pixel data (%(syntax)s) could not be decoded: %(error)s")
                % {"syntax": transfer_syntax.name, "error": _short(error)}
            ) from None
    expected = frame_length_of(ds) * int(getattr(ds, "NumberOfFrames", 1) or 1)
    actual = len(ds.PixelData)
    if actual < expected:
        raise RejectedFile(
            _("pixel data is truncated: %(actual)d bytes where %(expected)d are needed")
            % {"actual": actual, "expected": expected}
        )


class _Importer:
    def __init__(self, *, pseudonymizer: Pseudonymizer, storage_root: Path):
        self.pseudonymizer = pseudonymizer
        self.storage_root = storage_root
        self.series_cache: dict[str, Series] = {}
        self.touched_series_uids: set[str] = set()

    def import_one(self, source: DicomSource) -> Instance | None:
        """Store one file; None when it is already held. Raises RejectedFile with a reason."""
        try:
            raw = source.read()
        except Exception as error:
            raise RejectedFile(_("could not be read (%(error)s)") % {"error": _short(error)}) from None
        ds = read_dataset(raw)
        try:
            check_acceptable(ds)
            sop_uid = self.pseudonymizer.uid(str(ds.SOPInstanceUID))
            if Instance.objects.filter(sop_instance_uid=sop_uid).exists():
                return None
            decode_pixels(ds)
            identity = deidentify(ds, pseudonymizer=self.pseudonymizer)
        except RejectedFile:
            raise
        except Exception as error:
            # pydicom parses element values lazily, so a garbled header can surface only here.
            raise RejectedFile(_("corrupt DICOM header (%(error)s)") % {"error": _short(error)}) from None
        self._check_series_consistency(ds)
        stored = write_instance(ds, root=self.storage_root)
        dicom_json = ds.to_json_dict()
        try:
            with transaction.atomic():
                case = self._case_for(ds, identity)
                series = self._series_for(ds, case)
                instance = Instance.objects.create(
                    series=series,
                    sop_instance_uid=str(ds.SOPInstanceUID),
                    sop_class_uid=str(ds.SOPClassUID),
                    instance_number=_int_or_none(ds.get("InstanceNumber")),
                    file_path=stored.relative_path,
                    file_size=stored.size,
                    transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
                    rows=int(ds.Rows),
                    columns=int(ds.Columns),
                    number_of_frames=stored.number_of_frames,
                    pixel_data_offset=stored.pixel_data_offset,
                    frame_length=stored.frame_length,
                    slice_location=_float_or_none(ds.get("SliceLocation")),
                    trigger_time=_float_or_none(ds.get("TriggerTime")),
                    dicom_json=dicom_json,
                )
        except IntegrityError:
            # Another import stored the same instance between our check and our insert.
            self.series_cache.clear()
            return None
        self.touched_series_uids.add(series.series_instance_uid)
        return instance

    def _check_series_consistency(self, ds: pydicom.Dataset) -> None:
        series = self._cached_series(str(ds.SeriesInstanceUID))
        if series is not None and series.case.study_instance_uid != str(ds.StudyInstanceUID):
            raise RejectedFile(_("inconsistent series: this series already belongs to another study"))

    def _cached_series(self, series_uid: str) -> Series | None:
        if series_uid not in self.series_cache:
            series = Series.objects.select_related("case").filter(series_instance_uid=series_uid).first()
            if series is None:
                return None
            self.series_cache[series_uid] = series
        return self.series_cache[series_uid]

    def _case_for(self, ds: pydicom.Dataset, identity: DeidentifiedIdentity) -> Case:
        case, _created = Case.objects.get_or_create(
            study_instance_uid=str(ds.StudyInstanceUID),
            defaults={
                "case_id": identity.case_id,
                "patient_pseudonym": identity.patient_pseudonym,
                "accession_hash": identity.accession_hash,
                "original_study_uid_hash": identity.original_study_uid_hash,
                "study_date": _date_or_none(ds.get("StudyDate")),
                "study_description": str(ds.get("StudyDescription", ""))[:128],
                "patient_sex": str(ds.get("PatientSex", ""))[:1],
                "patient_age": str(ds.get("PatientAge", ""))[:4],
                "patient_size_m": _float_or_none(ds.get("PatientSize")),
                "patient_weight_kg": _float_or_none(ds.get("PatientWeight")),
            },
        )
        return case

    def _series_for(self, ds: pydicom.Dataset, case: Case) -> Series:
        series_uid = str(ds.SeriesInstanceUID)
        series = self._cached_series(series_uid)
        if series is None:
            series, _created = Series.objects.get_or_create(
                series_instance_uid=series_uid,
                defaults={
                    "case": case,
                    "series_number": _int_or_none(ds.get("SeriesNumber")),
                    "description": str(ds.get("SeriesDescription", ""))[:128],
                    "modality": str(ds.get("Modality", "MR"))[:16],
                },
            )
            series.case = case if series.case_id == case.pk else series.case
            self.series_cache[series_uid] = series
        return series


def _short(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float_or_none(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date_or_none(value) -> date | None:
    text = str(value or "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
