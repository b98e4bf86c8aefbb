"""How the images of one series hang in a viewer: slices in space, cardiac phases in time.

Pure: takes one small record per stored instance and returns the series as a grid of slices (in
order along the plane normal, PS3.3 C.7.6.2) each holding its images in trigger-time order (the
cardiac phases, PS3.3 C.7.6.16), and the cine frame interval the acquisition implies.

The frame interval is, in order of preference: the median spacing of distinct trigger times at a
slice; NominalInterval (the R-R interval, ms) divided by CardiacNumberOfImages; the R-R interval
from HeartRate divided by the number of phases; else 40 ms (25 frames per second, a common
display rate). Rates outside 1-120 frames per second are clamped to that range.

For keeping viewports in step (decision 0023) the grid also gives each phase's trigger time (the
median over the slices) and the cardiac cycle they span: NominalInterval, else the R-R interval
from HeartRate, else the last trigger time plus one phase spacing.
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
    """One stored instance as the grid needs it; ``header`` holds plain values by keyword.

    A frame of an enhanced MR object (one instance per series, ``decisions/0027``) is a record
    of its own: ``frame_number`` (from 1) says which, and ``header`` is that frame's, from its
    functional groups (``frame_headers``). Without it the record stands for all its frames.
    """

    sop_instance_uid: str
    instance_number: int | None
    number_of_frames: int
    header: Mapping
    frame_number: int | None = None

    @property
    def frames(self) -> tuple[tuple[str, int], ...]:
        """(SOP Instance UID, frame number from 1) for each frame this record stands for."""
        if self.frame_number is not None:
            return ((self.sop_instance_uid, self.frame_number),)
        return tuple((self.sop_instance_uid, frame) for frame in range(1, max(self.number_of_frames, 1) + 1))

    @property
    def is_one_frame(self) -> bool:
        """Whether the record is one frame, so that its header's TriggerTime is that frame's own."""
        return self.frame_number is not None or self.number_of_frames <= 1


@dataclass(frozen=True)
class Slice:
    position_mm: float | None  # along the plane normal; None when the images carry no geometry
    frames: tuple[tuple[str, int], ...]  # (SOP Instance UID, frame number from 1), in phase order


@dataclass(frozen=True)
class SeriesGrid:
    slices: tuple[Slice, ...]
    frame_ms: float
    frame_ms_source: str  # "trigger_time", "nominal_interval", "heart_rate" or "default"
    trigger_ms: tuple[float, ...] | None = None  # per phase; None where a trigger time is missing
    cycle_ms: float | None = None  # the R-R interval the phases span; None where nothing says

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
    groups = [sorted(grouped[key], key=lambda i: _phase_order(records[i])) for key in sorted(grouped)]
    slices = []
    for key, members in zip(sorted(grouped), groups, strict=True):
        has_geometry = key[0] >= 0 or any(
            _number(records[i].header, "SliceLocation") is not None for i in members
        )
        position = statistics.fmean(located[i][1] for i in members) if has_geometry else None
        frames = tuple(frame for i in members for frame in records[i].frames)
        slices.append(Slice(position_mm=position, frames=frames))
    frame_ms, source = cine_frame_interval(records=records, groups=groups)
    trigger_ms = phase_trigger_times(records=records, groups=groups)
    return SeriesGrid(
        slices=tuple(slices),
        frame_ms=frame_ms,
        frame_ms_source=source,
        trigger_ms=trigger_ms,
        cycle_ms=cardiac_cycle_ms(records=records, trigger_ms=trigger_ms),
    )


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


def phase_trigger_times(
    *, records: Sequence[ImageRecord], groups: Sequence[Sequence[int]]
) -> tuple[float, ...] | None:
    """Each phase's trigger time (ms after the R wave), the median over the slices that have it.

    None unless every image has its own TriggerTime (a classic multi-frame image has one for all
    its frames; an enhanced object's frame records each have their own) and the times rise from
    phase to phase.
    """
    by_phase: list[list[float]] = []
    for members in groups:
        for phase, index in enumerate(members):
            record = records[index]
            trigger = _number(record.header, "TriggerTime")
            if trigger is None or not record.is_one_frame:
                return None
            if phase == len(by_phase):
                by_phase.append([])
            by_phase[phase].append(trigger)
    times = tuple(statistics.median(values) for values in by_phase)
    if not times or any(b <= a for a, b in zip(times, times[1:], strict=False)):
        return None
    return times


def cardiac_cycle_ms(*, records: Sequence[ImageRecord], trigger_ms: tuple[float, ...] | None) -> float | None:
    """The R-R interval the phases span: NominalInterval, else from HeartRate, else the phases' own.

    A declared interval shorter than the last trigger time is not believed (an arrhythmic beat, a
    header copied from another series); the trigger times then give the cycle.
    """
    last = trigger_ms[-1] if trigger_ms else None
    nominal = _median_header(records, "NominalInterval")
    heart_rate = _median_header(records, "HeartRate")
    for declared in (nominal, 60000.0 / heart_rate if heart_rate else None):
        if declared and (last is None or declared > last):
            return declared
    if trigger_ms and len(trigger_ms) > 1:
        spacing = statistics.median(b - a for a, b in zip(trigger_ms, trigger_ms[1:], strict=False))
        return trigger_ms[-1] + spacing
    return None


def _phase_order(record: ImageRecord) -> tuple[float, int, str, int]:
    """Trigger time, else the frame's temporal position in an enhanced object, else the number."""
    trigger = _number(record.header, "TriggerTime")
    if trigger is None:
        trigger = _number(record.header, "TemporalPositionIndex")
    number = record.instance_number if record.instance_number is not None else 0
    return (
        trigger if trigger is not None else float(number),
        number,
        record.sop_instance_uid,
        record.frame_number or 0,
    )


def _clamped(frame_ms: float) -> float:
    return min(max(frame_ms, FASTEST_FRAME_MS), SLOWEST_FRAME_MS)


def _median_header(records: Sequence[ImageRecord], keyword: str) -> float | None:
    values = [v for r in records if (v := _number(r.header, keyword)) is not None and v > 0]
    return statistics.median(values) if values else None
