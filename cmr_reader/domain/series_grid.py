"""How the images of one series hang in a viewer: slices in space, cardiac phases in time.

Pure: takes one small record per stored instance and returns the series as a grid of slices (in
order along the plane normal, PS3.3 C.7.6.2) each holding its images in trigger-time order (the
cardiac phases, PS3.3 C.7.6.16), and the cine frame interval the acquisition implies.

The frame interval is, in order of preference: the median spacing of distinct trigger times at a
slice; NominalInterval (the R-R interval, ms) divided by CardiacNumberOfImages; the R-R interval
from HeartRate divided by the number of phases; else 40 ms (25 frames per second, a common
display rate). Rates outside 1-120 frames per second are clamped to that range.
"""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cmr_reader.domain.series_facts import header_number as _number
from cmr_reader.domain.series_facts import located_positions, slice_position_keys

DEFAULT_FRAME_MS = 40.0
FASTEST_FRAME_MS = 1000.0 / 120
SLOWEST_FRAME_MS = 1000.0


@dataclass(frozen=True)
class ImageRecord:
    """One stored instance as the grid needs it; ``header`` holds plain values by keyword."""

    sop_instance_uid: str
    instance_number: int | None
    number_of_frames: int
    header: Mapping


@dataclass(frozen=True)
class Slice:
    position_mm: float | None  # along the plane normal; None when the images carry no geometry
    frames: tuple[tuple[str, int], ...]  # (SOP Instance UID, frame number from 1), in phase order


@dataclass(frozen=True)
class SeriesGrid:
    slices: tuple[Slice, ...]
    frame_ms: float
    frame_ms_source: str  # "trigger_time", "nominal_interval", "heart_rate" or "default"

    @property
    def phase_count(self) -> int:
        return max((len(s.frames) for s in self.slices), default=0)


def build_series_grid(records: Sequence[ImageRecord]) -> SeriesGrid:
    """Group ``records`` into slices along the normal, each in cardiac-phase order."""
    if not records:
        return SeriesGrid(slices=(), frame_ms=DEFAULT_FRAME_MS, frame_ms_source="default")
    located = located_positions(headers=[r.header for r in records])
    keys = slice_position_keys(located=located)
    grouped: dict[tuple[int, int], list[int]] = {}
    for index, key in enumerate(keys):
        grouped.setdefault(key, []).append(index)
    slices = []
    for key in sorted(grouped):
        members = sorted(grouped[key], key=lambda i: _phase_order(records[i]))
        has_geometry = key[0] >= 0 or any(
            _number(records[i].header, "SliceLocation") is not None for i in members
        )
        position = statistics.fmean(located[i][1] for i in members) if has_geometry else None
        frames = tuple(
            (records[i].sop_instance_uid, frame)
            for i in members
            for frame in range(1, max(records[i].number_of_frames, 1) + 1)
        )
        slices.append(Slice(position_mm=position, frames=frames))
    frame_ms, source = cine_frame_interval(records=records, groups=[grouped[k] for k in sorted(grouped)])
    return SeriesGrid(slices=tuple(slices), frame_ms=frame_ms, frame_ms_source=source)


def cine_frame_interval(
    *, records: Sequence[ImageRecord], groups: Sequence[Sequence[int]]
) -> tuple[float, str]:
    """The display interval between cine frames in ms, and which header gave it."""
    spacings = []
    for members in groups:
        times = sorted({t for i in members if (t := _number(records[i].header, "TriggerTime")) is not None})
        spacings += [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    if spacings:
        return _clamped(statistics.median(spacings)), "trigger_time"
    phases = max((len(m) for m in groups), default=0)
    declared = _median_header(records, "CardiacNumberOfImages") or phases
    nominal = _median_header(records, "NominalInterval")
    if nominal and declared and declared > 1:
        return _clamped(nominal / declared), "nominal_interval"
    heart_rate = _median_header(records, "HeartRate")
    if heart_rate and phases > 1:
        return _clamped(60000.0 / heart_rate / phases), "heart_rate"
    return DEFAULT_FRAME_MS, "default"


def _phase_order(record: ImageRecord) -> tuple[float, int, str]:
    trigger = _number(record.header, "TriggerTime")
    number = record.instance_number if record.instance_number is not None else 0
    return (trigger if trigger is not None else float(number), number, record.sop_instance_uid)


def _clamped(frame_ms: float) -> float:
    return min(max(frame_ms, FASTEST_FRAME_MS), SLOWEST_FRAME_MS)


def _median_header(records: Sequence[ImageRecord], keyword: str) -> float | None:
    values = [v for r in records if (v := _number(r.header, keyword)) is not None and v > 0]
    return statistics.median(values) if values else None
