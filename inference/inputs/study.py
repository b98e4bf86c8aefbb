"""``load_study_inputs``: a study's DICOM files to the frames a multimodal model reads."""

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from inference import frame_cache
from inference.inputs.item_plan import PlannedItem, plan_items
from inference.inputs.items import InputConfig, InputError, PatientInfo, StudyInputs, VisualItem
from inference.inputs.pixels import (
    centre_crop,
    centre_window,
    decode_records,
    resize_frame,
    target_size,
    to_uint8,
    window_limits,
)
from inference.inputs.study_files import find_study_files, read_frame_records, read_patient

# Part of every fingerprint: bump it when a change to this package changes the frames it makes.
PIPELINE_VERSION = "inputs-1"
ITEM_FIELDS = (
    "kind",
    "position",
    "modality",
    "fps",
    "series_uid",
    "description",
    "slice_index",
    "slice_count",
)

logger = logging.getLogger(__name__)


def load_study_inputs(
    source: Path | Sequence[Path],
    *,
    config: InputConfig = InputConfig(),  # noqa: B008 - frozen, so a shared default is safe
    cache_dir: Path | None = None,
    series_kinds: Mapping[str, str] | None = None,
) -> StudyInputs:
    """Read, select, decode, resize and window a study's cine and LGE frames.

    ``source`` is a folder (searched recursively; files that are not DICOM are skipped) or a list
    of files. ``series_kinds`` maps SeriesInstanceUID to the site's stored kind ("cine_sax",
    "lge_lax", ...); series it does not name are classified from their headers with the site's
    rules. Items come in reading order: SAX cine base to apex, then the 4-, 2-, 3-chamber and
    other long-axis cines, then LGE (short axis, then long axis); ``item_plan`` and ``sax_stack``
    document the choices. With ``cache_dir``, decoded frames are stored under the fingerprint
    and a rerun on the same files and settings reads only the DICOM file meta groups.
    Raises ``InputError`` when no DICOM file or no usable cine or LGE series is found.
    """
    files = find_study_files(source)
    if not files.paths_by_uid:
        found_bad = f" ({len(files.skipped)} unreadable: {files.skipped[0]})" if files.skipped else ""
        raise InputError(f"No DICOM files found in {_describe(source)}{found_bad}.")
    fingerprint = inputs_fingerprint(
        sop_instance_uids=list(files.paths_by_uid), config=config, series_kinds=series_kinds
    )
    started = time.perf_counter()
    if cache_dir is not None:
        entry = frame_cache.read_entry(cache_dir=Path(cache_dir), key=fingerprint)
        cached = _from_cache(entry=entry, fingerprint=fingerprint, started=started) if entry else None
        if cached is not None:
            return cached
    records, header_skips, headers = read_frame_records(files)
    planned, plan_skips = plan_items(records=records, config=config, series_kinds=series_kinds)
    skipped = [*files.skipped, *header_skips, *plan_skips]
    if not planned:
        raise InputError(_nothing_usable(count=len(files.paths_by_uid), skipped=skipped))
    items, decode_skips = _render(planned=planned, config=config)
    skipped += decode_skips
    if not items:
        raise InputError(_nothing_usable(count=len(files.paths_by_uid), skipped=skipped))
    inputs = StudyInputs(
        items=tuple(items),
        patient=read_patient(headers),
        fingerprint=fingerprint,
        skipped=tuple(skipped),
        decode_seconds=time.perf_counter() - started,
        cache_hit=False,
    )
    if cache_dir is not None:
        _store(inputs=inputs, cache_dir=Path(cache_dir))
    return inputs


def inputs_fingerprint(
    *, sop_instance_uids: Sequence[str], config: InputConfig, series_kinds: Mapping[str, str] | None
) -> str:
    """SHA-256 over the sorted SOP Instance UIDs, the settings, the kinds given and the pipeline
    version: the same instances read the same way give the same fingerprint."""
    document = {
        "pipeline": PIPELINE_VERSION,
        "sop_instance_uids": sorted(sop_instance_uids),
        "config": config.as_dict(),
        "series_kinds": dict(sorted(series_kinds.items())) if series_kinds else None,
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _render(*, planned: list[PlannedItem], config: InputConfig) -> tuple[list[VisualItem], list[str]]:
    decoded, failed = decode_records(r for item in planned for r in item.records)
    skipped = [f"{path.name}: pixel data would not decode ({why})" for path, why in failed.items()]
    sized: list[list[np.ndarray]] = []
    for item in planned:
        shapes = [(int(r.get("Rows")), int(r.get("Columns"))) for r in item.records]
        rows, columns = max(set(shapes), key=shapes.count)
        fraction = config.centre_fraction
        rows, columns = (_kept(rows, fraction), _kept(columns, fraction))
        size = target_size(
            rows=rows, columns=columns, max_pixels=config.max_pixels, patch_side=config.patch_side
        )
        found = [decoded.get((r.path, r.frame_index)) for r in item.records]
        sized.append(
            [resize_frame(centre_crop(f, fraction=fraction), size=size) for f in found if f is not None]
        )
    per_series: dict[str, list[np.ndarray]] = {}
    for item, frames in zip(planned, sized, strict=True):
        for record, frame in zip((r for r in item.records if r.path not in failed), frames, strict=True):
            per_series.setdefault(record.series_uid, []).append(frame)
    limits = {
        uid: window_limits(frames, percentiles=config.window_percentiles)
        for uid, frames in per_series.items()
    }
    items = []
    for item, frames in zip(planned, sized, strict=True):
        if not frames:
            skipped.append(f"{item.description or item.kind}: no frame of this item could be decoded")
            continue
        sources = [r.series_uid for r in item.records if r.path not in failed]
        windowed = np.stack([to_uint8(f, limits=limits[uid]) for f, uid in zip(frames, sources, strict=True)])
        items.append(
            VisualItem(
                kind=item.kind,
                position=item.position,
                modality=item.modality,
                frames=windowed,
                fps=item.fps,
                series_uid=item.series_uid,
                description=item.description,
                slice_index=item.slice_index,
                slice_count=item.slice_count,
            )
        )
    return items, skipped


def _kept(length: int, fraction: float) -> int:
    window = centre_window(length, fraction)
    return window.stop - window.start


def _store(*, inputs: StudyInputs, cache_dir: Path) -> None:
    meta = {
        "patient": dataclasses.asdict(inputs.patient),
        "skipped": list(inputs.skipped),
        "items": [{name: getattr(item, name) for name in ITEM_FIELDS} for item in inputs.items],
    }
    arrays = {f"item_{index:03d}": item.frames for index, item in enumerate(inputs.items)}
    try:
        frame_cache.write_entry(cache_dir=cache_dir, key=inputs.fingerprint, meta=meta, arrays=arrays)
    except OSError as error:
        # The cache only saves time; a full or read-only disk must not lose the decoded inputs.
        logger.warning("Could not write the frame cache in %s: %s", cache_dir, error)


def _from_cache(*, entry: frame_cache.CacheEntry, fingerprint: str, started: float) -> StudyInputs | None:
    try:
        items = tuple(
            VisualItem(frames=entry.arrays[f"item_{index:03d}"], **fields)
            for index, fields in enumerate(entry.meta["items"])
        )
        patient = PatientInfo(**entry.meta["patient"])
        skipped = tuple(entry.meta["skipped"])
    except (KeyError, TypeError) as error:
        logger.warning("Ignoring a frame cache entry that does not fit these inputs: %s", error)
        return None
    return StudyInputs(
        items=items,
        patient=patient,
        fingerprint=fingerprint,
        skipped=skipped,
        decode_seconds=time.perf_counter() - started,
        cache_hit=True,
    )


def _nothing_usable(*, count: int, skipped: list[str]) -> str:
    reasons = "; ".join(skipped[:8]) + (f"; and {len(skipped) - 8} more" if len(skipped) > 8 else "")
    return f"No usable cine or LGE series among {count} DICOM file(s): {reasons or 'no image series'}."


def _describe(source: Path | Sequence[Path]) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return f"the {len(source)} listed file(s)"
