"""Ingest: read DICOM from any source, reject what we cannot hold safely, de-identify, store.

Two stages. *Prepare* (``prepare.py``) is pure CPU work on one file's bytes and may run in worker
processes. *Index* runs here, in order, in the calling process: skip what is already held, write
the file (temp name, then rename), and insert its row; rows are inserted in batches, one
transaction each. A bad file gets a reason and the import goes on; a killed import leaves every
stored file intact and is simply run again (held instances are recognised by their mapped SOP
Instance UID, and a file written whose row was lost is rewritten with the same bytes).
"""

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import NamedTuple

import pydicom
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmr_reader.domain.frame_headers import frame_headers, plain_header
from cmr_reader.domain.series_facts import CLASSIFICATION_KEYWORDS
from cmr_reader.domain.view_geometry import Vector, stack_long_axis
from cmr_reader.imaging.classify import classify_series
from cmr_reader.imaging.deidentify import DeidentifiedIdentity, RejectedFile
from cmr_reader.imaging.instance_rows import InstanceRow, encode_dicom_json, insert_instance_rows
from cmr_reader.imaging.instance_store import InstanceStore, LocalInstanceStore, dicom_store
from cmr_reader.imaging.models import Case, Series
from cmr_reader.imaging.prepare import prepare_instance, short_error
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.series_kind import SeriesKind
from cmr_reader.imaging.sources import DicomSource, RefusedSource, read_file
from cmr_reader.imaging.storage import StagedFile

logger = logging.getLogger(__name__)

ROWS_PER_TRANSACTION = 250
# Files per task sent to a worker process, and tasks queued ahead per worker: enough to keep the
# workers busy, few enough that memory stays bounded (a CMR frame is ~100 kB).
FILES_PER_TASK = 16
TASKS_AHEAD_PER_WORKER = 2
CLASSIFICATION_TAGS = tuple(
    (k, f"{pydicom.datadict.tag_for_keyword(k):08X}") for k in CLASSIFICATION_KEYWORDS
)
LONG_AXIS_CINE_KINDS = (
    SeriesKind.CINE_4CH,
    SeriesKind.CINE_2CH,
    SeriesKind.CINE_3CH,
    SeriesKind.CINE_LAX_OTHER,
)
MULTI_VALUED = frozenset({"ImageType", "ImagePositionPatient", "ImageOrientationPatient"})


@dataclass(frozen=True)
class Rejection:
    file: str
    reason: str


@dataclass
class CaseTally:
    """What one import did to one case: whether it created the case, and what it added or found
    already held."""

    created: bool = False
    series_added: int = 0
    instances_added: int = 0
    duplicates_skipped: int = 0


@dataclass
class ImportSummary:
    case_ids: set[str] = field(default_factory=set)
    series_uids: set[str] = field(default_factory=set)
    instances_imported: int = 0
    duplicates_skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    processed_files: int = 0
    # Every case the import reached, those it only found already complete (duplicates) too.
    cases: dict[str, CaseTally] = field(default_factory=dict)

    def reject(self, name: str, reason: str) -> None:
        """Record a rejected file by its position in the import and its (safe) source name."""
        self.rejected.append(Rejection(f"#{self.processed_files + 1} {name}", reason))

    def tally(self, case_id: str) -> CaseTally:
        return self.cases.setdefault(case_id, CaseTally())

    def as_dict(self) -> dict:
        return {
            "studies": len(self.case_ids),
            "case_ids": sorted(self.case_ids),
            "cases": [{"case_id": case_id, **asdict(tally)} for case_id, tally in sorted(self.cases.items())],
            "series": len(self.series_uids),
            "instances_imported": self.instances_imported,
            "duplicates_skipped": self.duplicates_skipped,
            "rejected": [{"file": r.file, "reason": r.reason} for r in self.rejected],
            "processed_files": self.processed_files,
        }


ProgressCallback = Callable[[ImportSummary], None]


@dataclass(frozen=True)
class StagedInstance:
    """A prepared instance whose file is written, under a temporary name where needed (see
    storage.stage_parts).

    Small enough to cross a process boundary cheaply: the pixels stay in the file.
    """

    file: StagedFile
    pixel_data_offset: int
    frame_length: int
    number_of_frames: int
    dicom_json_text: str  # encoded here, in the worker, not in the indexing process
    headers: list[dict]  # what classification reads, one per frame (see classification_headers)
    identity: DeidentifiedIdentity
    fields: dict


def import_sources(
    sources: Iterable[DicomSource],
    *,
    pseudonymizer: Pseudonymizer,
    storage_root: Path | None = None,
    store: InstanceStore | None = None,
    on_progress: ProgressCallback | None = None,
    workers: int = 1,
) -> ImportSummary:
    """Import every source; return what was imported, skipped and rejected (with reasons).

    Files go to ``store``, else to a local folder at ``storage_root``, else to the site's
    configured store (``instance_store.dicom_store``). ``workers`` > 1 prepares files in that
    many processes; indexing stays in this one. Series touched by the import are (re)classified
    at the end, from all their instances.
    """
    if store is None:
        store = LocalInstanceStore(Path(storage_root)) if storage_root is not None else dicom_store()
    summary = ImportSummary()
    indexer = _Indexer(store=store, summary=summary)
    try:
        staged = _staged(sources, pseudonymizer=pseudonymizer, store=store, workers=workers)
        for source, outcome in staged:
            if isinstance(outcome, Rejection):
                summary.reject(outcome.file, outcome.reason)
            else:
                indexer.add(source, outcome)
            summary.processed_files += 1
            if on_progress is not None:
                on_progress(summary)
    finally:
        # Also on the way out of an exception: rows for files already written are kept.
        indexer.flush()
    # Every series the import saw, duplicates-only ones too: a rerun after a crash between
    # indexing and classification must still classify.
    # Headers of the long-axis cines just classified, so that placing them below reads nothing again.
    long_axis_headers: dict[int, list[dict]] = {}
    for series in Series.objects.filter(series_instance_uid__in=indexer.series_cache):
        classified = reclassify_series(
            series, new_headers=indexer.new_headers.get(series.series_instance_uid)
        )
        if classified is not None and classified.kind in LONG_AXIS_CINE_KINDS:
            long_axis_headers[series.pk] = classified.headers
    touched = Series.objects.filter(series_instance_uid__in=indexer.series_cache)
    for case_id in set(touched.values_list("case_id", flat=True)):
        place_long_axis_cines(case_id, known_headers=long_axis_headers)
    return summary


class ClassifiedSeries(NamedTuple):
    kind: SeriesKind
    headers: list[dict]  # what it was classified from, one per frame


def reclassify_series(
    series: Series,
    *,
    new_headers: dict[str, list[dict]] | None = None,
    short_axis_long_axis: Vector | None = None,
    headers: list[dict] | None = None,
) -> ClassifiedSeries | None:
    """Classify ``series`` from all its instances' headers, one per frame; None for a series
    without instances.

    ``new_headers`` (SOP Instance UID -> its frames' headers) are those an import has just
    indexed; only the series' other instances are read back from their stored DICOM JSON.
    ``headers``, when given, are all of them already (``place_long_axis_cines``).
    ``short_axis_long_axis`` places a long-axis cine that names no view.
    """
    if headers is None:
        new_headers = new_headers or {}
        headers = [header for frames in new_headers.values() for header in frames]
        older = (
            series.instances.exclude(sop_instance_uid__in=list(new_headers))
            if new_headers
            else series.instances
        )
        for dicom_json in older.values_list("dicom_json", flat=True):
            headers += classification_headers(dicom_json)
    if not headers:
        return None
    result = classify_series(headers, short_axis_long_axis=short_axis_long_axis)
    Series.objects.filter(pk=series.pk).update(kind=result.kind, classification_reason=result.reason)
    return ClassifiedSeries(kind=result.kind, headers=headers)


def place_long_axis_cines(case_id: int, *, known_headers: Mapping[int, list[dict]] | None = None) -> None:
    """Reclassify a case's long-axis cines with the long axis of its short-axis cine stack, so that
    those whose description names no view are placed by their plane's angle to the stack
    (``domain.view_geometry``, ``decisions/0026``). Nothing changes without a stack or without
    long-axis cines. ``known_headers`` (series pk -> headers) spares reading the series an import
    has just classified again."""
    long_axis_series = list(Series.objects.filter(case_id=case_id, kind__in=LONG_AXIS_CINE_KINDS))
    if not long_axis_series:
        return
    stack_headers = [
        header
        for series in Series.objects.filter(case_id=case_id, kind=SeriesKind.CINE_SAX)
        for dicom_json in series.instances.values_list("dicom_json", flat=True)[:1]
        for header in classification_headers(dicom_json)[:1]
    ]
    long_axis = stack_long_axis(stack_headers)
    if long_axis is None:
        return
    known_headers = known_headers or {}
    for series in long_axis_series:
        reclassify_series(series, short_axis_long_axis=long_axis, headers=known_headers.get(series.pk))


def classification_header(dicom_json: dict) -> dict:
    """The attributes classification reads, as plain values keyed by keyword (see classify_series)."""
    return plain_header(dicom_json, tags=CLASSIFICATION_TAGS, multi_valued=MULTI_VALUED)


def classification_headers(dicom_json: dict) -> list[dict]:
    """``classification_header`` for each frame of an instance.

    An enhanced MR object (one multi-frame instance per series, ``decisions/0027``) gives one
    header per frame, each with that frame's position, orientation, trigger and inversion time
    from its functional groups (``domain.frame_headers``); any other instance gives one header.
    """
    return frame_headers(dicom_json, tags=CLASSIFICATION_TAGS, multi_valued=MULTI_VALUED)


def _stage(
    name: str, raw: bytes, pseudonymizer: Pseudonymizer, store: InstanceStore
) -> StagedInstance | Rejection:
    """Prepare one file and write it under a temporary name; runs in a worker process or here."""
    try:
        prepared = prepare_instance(raw, pseudonymizer=pseudonymizer)
    except RejectedFile as rejected:
        return Rejection(name, rejected.reason)
    fields = prepared.fields
    relative = f"{fields['StudyInstanceUID']}/{fields['SeriesInstanceUID']}/{fields['SOPInstanceUID']}.dcm"
    staged = store.stage([prepared.header, prepared.pixel_element, prepared.pixel_data], relative=relative)
    return StagedInstance(
        file=staged,
        pixel_data_offset=len(prepared.header) + len(prepared.pixel_element),
        frame_length=prepared.frame_length,
        number_of_frames=prepared.number_of_frames,
        dicom_json_text=encode_dicom_json(prepared.dicom_json),
        headers=classification_headers(prepared.dicom_json),
        identity=prepared.identity,
        fields=fields,
    )


def _read(source: DicomSource) -> bytes | Rejection:
    try:
        raw = source.read()
    except RefusedSource as refused:
        return Rejection(source.name, str(refused))
    except Exception as error:
        return Rejection(source.name, _("could not be read (%(error)s)") % {"error": short_error(error)})
    if not raw:
        # Said in words: "not a DICOM file" would send the coordinator looking at the wrong thing.
        return Rejection(source.name, _("the file is empty (0 bytes)"))
    return raw


def _staged(
    sources: Iterable[DicomSource], *, pseudonymizer: Pseudonymizer, store: InstanceStore, workers: int
) -> Iterator[tuple[DicomSource, StagedInstance | Rejection]]:
    if workers <= 1:
        for source in sources:
            raw = _read(source)
            yield (
                source,
                raw if isinstance(raw, Rejection) else _stage(source.name, raw, pseudonymizer, store),
            )
        return
    # fork: the children inherit configured Django settings and the pseudonymizer; they never
    # touch the database (prepare is pure), so the parent's connection is never shared. Files go
    # to the pool in chunks: one round trip per file would cost more than preparing it.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        in_flight: deque = deque()
        # A file on disk travels as its path (the worker reads it); anything else as bytes, read
        # as it is reached (a zip member can only be read while its archive's iterator is open).
        read_as_reached = ((source, source.path or _read(source)) for source in sources)
        for raws in _chunks(read_as_reached, FILES_PER_TASK):
            readable = [(source.name, raw) for source, raw in raws if not isinstance(raw, Rejection)]
            future = pool.submit(_stage_many, readable, pseudonymizer, store)
            in_flight.append((raws, future))
            while len(in_flight) > workers * TASKS_AHEAD_PER_WORKER:
                yield from _settle(*in_flight.popleft())
        while in_flight:
            yield from _settle(*in_flight.popleft())


def _stage_many(
    named_raws: list[tuple[str, bytes | Path]], pseudonymizer: Pseudonymizer, store: InstanceStore
) -> list[StagedInstance | Rejection]:
    outcomes = []
    for name, raw in named_raws:
        if isinstance(raw, Path):
            raw = _read(DicomSource(name=name, read=partial(read_file, raw)))
        outcomes.append(raw if isinstance(raw, Rejection) else _stage(name, raw, pseudonymizer, store))
    return outcomes


def _settle(raws, future) -> Iterator[tuple[DicomSource, StagedInstance | Rejection]]:
    outcomes = iter(future.result())
    for source, raw in raws:
        yield source, raw if isinstance(raw, Rejection) else next(outcomes)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Indexer:
    """Writes prepared instances and indexes them, in order, in batched transactions."""

    def __init__(self, *, store: InstanceStore, summary: ImportSummary):
        self.store = store
        self.summary = summary
        self.series_cache: dict[str, Series] = {}
        self.case_cache: dict[str, Case] = {}
        self.known_uids: dict[int, set[str]] = {}  # series pk -> SOP UIDs already held
        self.pending: list[InstanceRow] = []
        # Series UID -> {SOP UID: classification headers, one per frame} of the instances indexed
        # by this import.
        self.new_headers: dict[str, dict[str, list[dict]]] = {}

    def add(self, source: DicomSource, staged: StagedInstance) -> None:
        fields = staged.fields
        study_uid, series_uid, sop_uid = (
            fields["StudyInstanceUID"],
            fields["SeriesInstanceUID"],
            fields["SOPInstanceUID"],
        )
        series = self._existing_series(series_uid)
        if series is not None:
            if series.case.study_instance_uid != study_uid:
                self.store.discard(staged.file)
                self.summary.reject(
                    source.name, _("inconsistent series: this series already belongs to another study")
                )
                return
            if sop_uid in self._known_uids(series):
                self.store.discard(staged.file)
                self.summary.duplicates_skipped += 1
                self.summary.tally(series.case.case_id).duplicates_skipped += 1
                return
        self.store.commit(staged.file)
        if series is None:
            series = self._create_series(staged)
        self._known_uids(series).add(sop_uid)
        self.pending.append(
            InstanceRow(
                series_id=series.pk,
                sop_instance_uid=sop_uid,
                sop_class_uid=fields["SOPClassUID"],
                instance_number=_int_or_none(fields.get("InstanceNumber")),
                file_path=staged.file.relative_path,
                file_size=staged.file.size,
                transfer_syntax_uid="1.2.840.10008.1.2.1",
                rows=int(fields["Rows"]),
                columns=int(fields["Columns"]),
                number_of_frames=staged.number_of_frames,
                pixel_data_offset=staged.pixel_data_offset,
                frame_length=staged.frame_length,
                slice_location=_float_or_none(fields.get("SliceLocation")),
                trigger_time=_float_or_none(fields.get("TriggerTime")),
                dicom_json_text=staged.dicom_json_text,
            )
        )
        self.new_headers.setdefault(series_uid, {})[sop_uid] = staged.headers
        self.summary.instances_imported += 1
        self.summary.tally(series.case.case_id).instances_added += 1
        self.summary.case_ids.add(series.case.case_id)
        self.summary.series_uids.add(series_uid)
        if len(self.pending) >= ROWS_PER_TRANSACTION:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        now = timezone.now()
        try:
            with transaction.atomic():
                insert_instance_rows(batch, created_at=now)
        except IntegrityError:
            # Another import stored some of these between our check and our insert: insert
            # one by one and count those as duplicates.
            for row in batch:
                try:
                    with transaction.atomic():
                        insert_instance_rows([row], created_at=now)
                except IntegrityError:
                    self.summary.instances_imported -= 1
                    self.summary.duplicates_skipped += 1
                    tally = self.summary.tally(self._case_id_of_series(row.series_id))
                    tally.instances_added -= 1
                    tally.duplicates_skipped += 1

    def _existing_series(self, series_uid: str) -> Series | None:
        if series_uid not in self.series_cache:
            series = Series.objects.select_related("case").filter(series_instance_uid=series_uid).first()
            if series is None:
                return None
            self.series_cache[series_uid] = series
        return self.series_cache[series_uid]

    def _case_id_of_series(self, series_pk: int) -> str:
        return next(s.case.case_id for s in self.series_cache.values() if s.pk == series_pk)

    def _known_uids(self, series: Series) -> set[str]:
        if series.pk not in self.known_uids:
            self.known_uids[series.pk] = set(series.instances.values_list("sop_instance_uid", flat=True))
        return self.known_uids[series.pk]

    def _create_series(self, staged: StagedInstance) -> Series:
        fields = staged.fields
        case = self._case_for(staged)
        series, created = Series.objects.get_or_create(
            series_instance_uid=fields["SeriesInstanceUID"],
            defaults={
                "case": case,
                "series_number": _int_or_none(fields.get("SeriesNumber")),
                "description": str(fields.get("SeriesDescription") or "")[:128],
                "modality": str(fields.get("Modality") or "MR")[:16],
            },
        )
        if created:
            self.summary.tally(case.case_id).series_added += 1
        series.case = case
        self.series_cache[series.series_instance_uid] = series
        return series

    def _case_for(self, staged: StagedInstance) -> Case:
        fields, identity = staged.fields, staged.identity
        study_uid = fields["StudyInstanceUID"]
        if study_uid not in self.case_cache:
            self.case_cache[study_uid], created = Case.objects.get_or_create(
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
            if created:
                self.summary.tally(self.case_cache[study_uid].case_id).created = True
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
