"""Ingest: read DICOM from any source, reject what we cannot hold safely, de-identify, store.

Two stages. *Prepare* (``prepare.py``) is pure CPU work on one file's bytes and may run in worker
processes. *Index* runs here, in order, in the calling process: skip what is already held, write
the file (temp name, then rename), and insert its row; rows are inserted in batches, one
transaction each. A bad file gets a reason and the import goes on; a killed import leaves every
stored file intact and is simply run again (held instances are recognised by their mapped SOP
Instance UID, and a file written whose row was lost is rewritten with the same bytes).
"""

import dataclasses
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pydicom
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cmr_reader.imaging.classify import classify_series
from cmr_reader.imaging.deidentify import RejectedFile
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.imaging.prepare import PreparedInstance, prepare_instance, short_error
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.series_facts import CLASSIFICATION_KEYWORDS
from cmr_reader.imaging.sources import DicomSource
from cmr_reader.imaging.storage import write_parts

logger = logging.getLogger(__name__)

ROWS_PER_TRANSACTION = 250
# Files handed to worker processes ahead of the indexer: enough to keep them busy, few enough
# that memory stays bounded (a CMR frame is ~100 kB).
PREFETCH_PER_WORKER = 16
CLASSIFICATION_TAGS = tuple(f"{pydicom.datadict.tag_for_keyword(k):08X}" for k in CLASSIFICATION_KEYWORDS)


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
    workers: int = 1,
) -> ImportSummary:
    """Import every source; return what was imported, skipped and rejected (with reasons).

    ``workers`` > 1 prepares files in that many processes; indexing stays in this one. Series
    touched by the import are (re)classified at the end, from all their instances.
    """
    summary = ImportSummary()
    indexer = _Indexer(storage_root=storage_root, summary=summary)
    try:
        for source, outcome in _prepared(sources, pseudonymizer=pseudonymizer, workers=workers):
            if isinstance(outcome, Rejection):
                summary.rejected.append(outcome)
            else:
                indexer.add(source, outcome)
            summary.processed_files += 1
            if on_progress is not None:
                on_progress(summary)
    finally:
        # Also on the way out of an exception: rows for files already written are kept.
        indexer.flush()
    for series in Series.objects.filter(series_instance_uid__in=indexer.touched_series_uids):
        reclassify_series(series)
    return summary


def reclassify_series(series: Series) -> None:
    headers = [
        pydicom.Dataset.from_json({tag: dicom_json[tag] for tag in CLASSIFICATION_TAGS if tag in dicom_json})
        for dicom_json in series.instances.values_list("dicom_json", flat=True)
    ]
    if not headers:
        return
    result = classify_series(headers)
    Series.objects.filter(pk=series.pk).update(kind=result.kind, classification_reason=result.reason)


def _read_and_prepare(source: DicomSource, pseudonymizer: Pseudonymizer) -> PreparedInstance | Rejection:
    try:
        raw = source.read()
    except Exception as error:
        return Rejection(source.name, _("could not be read (%(error)s)") % {"error": short_error(error)})
    return _prepare_or_reject(source.name, raw, pseudonymizer)


def _prepare_or_reject(name: str, raw: bytes, pseudonymizer: Pseudonymizer) -> PreparedInstance | Rejection:
    try:
        return prepare_instance(raw, pseudonymizer=pseudonymizer)
    except RejectedFile as rejected:
        return Rejection(name, rejected.reason)


def _prepare_in_worker(name: str, raw: bytes, pseudonymizer: Pseudonymizer) -> PreparedInstance | Rejection:
    outcome = _prepare_or_reject(name, raw, pseudonymizer)
    if isinstance(outcome, PreparedInstance) and isinstance(outcome.pixel_data, memoryview):
        # A memoryview cannot cross the process boundary; bytes can.
        outcome = dataclasses.replace(outcome, pixel_data=bytes(outcome.pixel_data))
    return outcome


def _prepared(
    sources: Iterable[DicomSource], *, pseudonymizer: Pseudonymizer, workers: int
) -> Iterator[tuple[DicomSource, PreparedInstance | Rejection]]:
    if workers <= 1:
        for source in sources:
            yield source, _read_and_prepare(source, pseudonymizer)
        return
    # fork: the children inherit configured Django settings and the pseudonymizer; they never
    # touch the database (prepare is pure), so the parent's connection is never shared.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        in_flight: deque = deque()
        for source in sources:
            try:
                raw = source.read()
            except Exception as error:
                in_flight.append((source, Rejection(source.name, _("could not be read (%(error)s)") % {"error": short_error(error)})))
            else:
                in_flight.append((source, pool.submit(_prepare_in_worker, source.name, raw, pseudonymizer)))
            while len(in_flight) > workers * PREFETCH_PER_WORKER:
                yield _settle(in_flight.popleft())
        while in_flight:
            yield _settle(in_flight.popleft())


def _settle(entry):
    source, outcome = entry
    return source, outcome if isinstance(outcome, Rejection) else outcome.result()


class _Indexer:
    """Writes prepared instances and indexes them, in order, in batched transactions."""

    def __init__(self, *, storage_root: Path, summary: ImportSummary):
        self.storage_root = storage_root
        self.summary = summary
        self.series_cache: dict[str, Series] = {}
        self.case_cache: dict[str, Case] = {}
        self.known_uids: dict[int, set[str]] = {}  # series pk -> SOP UIDs already held
        self.pending: list[Instance] = []
        self.touched_series_uids: set[str] = set()

    def add(self, source: DicomSource, prepared: PreparedInstance) -> None:
        fields = prepared.fields
        study_uid, series_uid, sop_uid = fields["StudyInstanceUID"], fields["SeriesInstanceUID"], fields["SOPInstanceUID"]
        series = self._existing_series(series_uid)
        if series is not None:
            if series.case.study_instance_uid != study_uid:
                self.summary.rejected.append(
                    Rejection(source.name, _("inconsistent series: this series already belongs to another study"))
                )
                return
            if sop_uid in self._known_uids(series):
                self.summary.duplicates_skipped += 1
                return
        relative = f"{study_uid}/{series_uid}/{sop_uid}.dcm"
        size = write_parts(
            [prepared.header, prepared.pixel_element, prepared.pixel_data], relative=relative, root=self.storage_root
        )
        if series is None:
            series = self._create_series(prepared)
        self._known_uids(series).add(sop_uid)
        self.pending.append(
            Instance(
                series=series,
                sop_instance_uid=sop_uid,
                sop_class_uid=fields["SOPClassUID"],
                instance_number=_int_or_none(fields.get("InstanceNumber")),
                file_path=relative,
                file_size=size,
                transfer_syntax_uid="1.2.840.10008.1.2.1",
                rows=int(fields["Rows"]),
                columns=int(fields["Columns"]),
                number_of_frames=prepared.number_of_frames,
                pixel_data_offset=len(prepared.header) + len(prepared.pixel_element),
                frame_length=prepared.frame_length,
                slice_location=_float_or_none(fields.get("SliceLocation")),
                trigger_time=_float_or_none(fields.get("TriggerTime")),
                dicom_json=prepared.dicom_json,
            )
        )
        self.summary.instances_imported += 1
        self.summary.case_ids.add(series.case.case_id)
        self.summary.series_uids.add(series_uid)
        self.touched_series_uids.add(series_uid)
        if len(self.pending) >= ROWS_PER_TRANSACTION:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            with transaction.atomic():
                Instance.objects.bulk_create(batch)
        except IntegrityError:
            # Another import stored some of these between our check and our insert: insert
            # one by one and count those as duplicates.
            for instance in batch:
                try:
                    with transaction.atomic():
                        instance.pk = None
                        instance.save(force_insert=True)
                except IntegrityError:
                    self.summary.instances_imported -= 1
                    self.summary.duplicates_skipped += 1

    def _existing_series(self, series_uid: str) -> Series | None:
        if series_uid not in self.series_cache:
            series = Series.objects.select_related("case").filter(series_instance_uid=series_uid).first()
            if series is None:
                return None
            self.series_cache[series_uid] = series
        return self.series_cache[series_uid]

    def _known_uids(self, series: Series) -> set[str]:
        if series.pk not in self.known_uids:
            self.known_uids[series.pk] = set(series.instances.values_list("sop_instance_uid", flat=True))
        return self.known_uids[series.pk]

    def _create_series(self, prepared: PreparedInstance) -> Series:
        fields = prepared.fields
        case = self._case_for(prepared)
        series, _created = Series.objects.get_or_create(
            series_instance_uid=fields["SeriesInstanceUID"],
            defaults={
                "case": case,
                "series_number": _int_or_none(fields.get("SeriesNumber")),
                "description": str(fields.get("SeriesDescription") or "")[:128],
                "modality": str(fields.get("Modality") or "MR")[:16],
            },
        )
        series.case = case
        self.series_cache[series.series_instance_uid] = series
        return series

    def _case_for(self, prepared: PreparedInstance) -> Case:
        fields, identity = prepared.fields, prepared.identity
        study_uid = fields["StudyInstanceUID"]
        if study_uid not in self.case_cache:
            self.case_cache[study_uid], _created = Case.objects.get_or_create(
                study_instance_uid=study_uid,
                defaults={
                    "case_id": identity.case_id,
                    "patient_pseudonym": identity.patient_pseudonym,
                    "accession_hash": identity.accession_hash,
                    "original_study_uid_hash": identity.original_study_uid_hash,
                    "study_date": _date_or_none(fields.get("StudyDate")),
                    "study_description": str(fields.get("StudyDescription") or "")[:128],
                    "patient_sex": str(fields.get("PatientSex") or "")[:1],
                    "patient_age": str(fields.get("PatientAge") or "")[:4],
                    "patient_size_m": _float_or_none(fields.get("PatientSize")),
                    "patient_weight_kg": _float_or_none(fields.get("PatientWeight")),
                },
            )
        return self.case_cache[study_uid]


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
