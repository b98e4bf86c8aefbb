"""Ordering slices along a stack's normal, base to apex, and each slice's phases in time.

Slice positions are the site's (``series_facts``): the plane normal is the cross product of the
ImageOrientationPatient cosines, a slice's position the dot product of the normal with
ImagePositionPatient, and positions within 1 mm are one slice.

Which end is basal: the normal alone has no preferred sign, so its sign is taken from anatomy.
In patient coordinates (LPS: +x left, +y posterior, +z head) the left ventricle's long axis runs
from the base towards the apex to the patient's left, anterior and inferior, i.e. along
(+1, -1, -1) / sqrt(3) (the electrical and anatomical axis of a levocardic heart; Kramer et al.,
JCMR 2020;22:17 plan the SAX stack perpendicular to this axis). A short-axis normal within about
70 degrees of that direction (|cosine| >= 0.3) is signed to point to the apex and slices are
sorted along it, the base first. Where the geometry cannot say (no orientation, or a stack whose
normal is nearly perpendicular to the usual axis, as in dextrocardia or a mislabelled series),
the order of acquisition decides: SCMR protocols acquire the SAX stack from the base to the apex,
so the slice acquired first (lowest series then instance number) is basal.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cmr_reader.domain.series_facts import header_number, located_positions, slice_position_keys
from inference.inputs.study_files import FrameRecord

BASE_TO_APEX_PRIOR = (1 / math.sqrt(3), -1 / math.sqrt(3), -1 / math.sqrt(3))
MIN_PRIOR_AGREEMENT = 0.3
SAME_PHASE_MS = 1.0


@dataclass(frozen=True)
class StackSlice:
    """One slice position from one series: its frames in cardiac-phase order."""

    records: tuple[FrameRecord, ...]

    @property
    def series_uid(self) -> str:
        return self.records[0].series_uid


@dataclass(frozen=True)
class Stack:
    slices: tuple[StackSlice, ...]  # base to apex for a short-axis stack
    order_rule: str  # "anatomy" or "acquisition"
    left_out: tuple[FrameRecord, ...]  # frames in another orientation, or repeated positions


def build_stack(records: Sequence[FrameRecord]) -> Stack:
    """Slices of the plane holding the most positions, ordered base to apex (module docstring).

    Where one position is covered by several series (a repeated slice), the series acquired last
    (highest series number) is kept: a slice is usually repeated because the first was spoiled.
    """
    located = located_positions(headers=[r.header for r in records])
    keys = slice_position_keys(located=located)
    positions: dict[tuple[int, int], list[int]] = {}
    for index, key in enumerate(keys):
        positions.setdefault(key, []).append(index)
    per_plane: dict[int, int] = {}
    for plane, _ in positions:
        per_plane[plane] = per_plane.get(plane, 0) + 1
    plane = max(sorted(per_plane), key=lambda p: per_plane[p])
    slices, left_out = [], []
    for key, members in positions.items():
        if key[0] != plane:
            left_out += [records[i] for i in members]
            continue
        latest = max(records[i].series_number for i in members)
        left_out += [records[i] for i in members if records[i].series_number != latest]
        kept = [records[i] for i in members if records[i].series_number == latest]
        slices.append(StackSlice(records=order_phases(kept)))
    direction = _apex_direction(records=[s.records[0] for s in slices]) if plane >= 0 else None
    if direction is not None:
        slices.sort(key=lambda s: _mean_position_along(s.records, direction))
        rule = "anatomy"
    else:
        slices.sort(key=lambda s: min((r.series_number, r.instance_number, r.frame_index) for r in s.records))
        rule = "acquisition"
    return Stack(slices=tuple(slices), order_rule=rule, left_out=tuple(left_out))


def order_phases(records: Sequence[FrameRecord]) -> tuple[FrameRecord, ...]:
    """Frames of one slice by TriggerTime (else instance, frame number), one per trigger time."""
    ordered = sorted(records, key=_phase_key)
    kept: list[FrameRecord] = []
    for record in ordered:
        trigger = header_number(record.header, "TriggerTime")
        previous = header_number(kept[-1].header, "TriggerTime") if kept else None
        if trigger is not None and previous is not None and abs(trigger - previous) < SAME_PHASE_MS:
            continue  # the same phase stored twice
        kept.append(record)
    return tuple(kept)


def _phase_key(record: FrameRecord) -> tuple[float, int, int, str]:
    trigger = header_number(record.header, "TriggerTime")
    return (
        trigger if trigger is not None else float(record.instance_number),
        record.instance_number,
        record.frame_index,
        record.sop_instance_uid,
    )


def _apex_direction(*, records: Sequence[FrameRecord]) -> tuple[float, float, float] | None:
    normal = next((n for r in records if (n := _normal(r)) is not None), None)
    if normal is None:
        return None
    agreement = _dot(normal, BASE_TO_APEX_PRIOR)
    if abs(agreement) < MIN_PRIOR_AGREEMENT:
        return None
    return normal if agreement > 0 else (-normal[0], -normal[1], -normal[2])


def _normal(record: FrameRecord) -> tuple[float, float, float] | None:
    cosines = _floats(record.get("ImageOrientationPatient"), 6)
    if cosines is None:
        return None
    (rx, ry, rz), (cx, cy, cz) = cosines[:3], cosines[3:]
    normal = (ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx)
    length = math.sqrt(_dot(normal, normal))
    return (normal[0] / length, normal[1] / length, normal[2] / length) if length > 1e-6 else None


def _mean_position_along(records: Sequence[FrameRecord], direction: Sequence[float]) -> float:
    along = [_dot(p, direction) for r in records if (p := _floats(r.get("ImagePositionPatient"), 3))]
    return sum(along) / len(along) if along else 0.0


def _floats(value, length: int) -> tuple[float, ...] | None:
    try:
        numbers = tuple(float(v) for v in value) if value is not None else ()
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == length else None


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))
