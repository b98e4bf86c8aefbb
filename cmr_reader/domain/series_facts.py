"""Facts about a series that its headers prove, whatever its description says.

Slice positions come from the DICOM image plane module (PS3.3 C.7.6.2): the plane normal is the
cross product of the row and column cosines of ImageOrientationPatient, and an image's position
along that normal is the dot product of the normal with ImagePositionPatient. Images are one slice
position when their planes are parallel (normals within about 10 degrees) and their positions along
the normal lie within about 1 mm. Cardiac phases are distinct TriggerTime values (PS3.3 C.7.6.16
trigger delay, ms after the R wave); the R-R interval is NominalInterval, else 60000/HeartRate.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# Every header attribute classification reads. Ingest rebuilds small header datasets from the
# stored DICOM JSON with only these, so reclassifying a 300-image series stays cheap.
CLASSIFICATION_KEYWORDS = (
    "SeriesDescription",
    "ProtocolName",
    "ImageType",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "SliceLocation",
    "TriggerTime",
    "CardiacNumberOfImages",
    "NominalInterval",
    "HeartRate",
    "InversionTime",
)

SAME_POSITION_MM = 1.0
PARALLEL_COSINE = math.cos(math.radians(10))


class Header(Protocol):
    """One image's header: anything with ``get(keyword)``, a pydicom Dataset or a dict of plain values."""

    def get(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class SeriesFacts:
    """Counts and flags measured over all headers of one series."""

    image_count: int
    plane_count: int  # distinct non-parallel plane orientations (a tri-plane localizer has 3)
    position_count: int  # distinct slice positions over all planes
    frames_per_position: int  # median number of images at a slice position
    phases_per_position: int | None  # median distinct trigger times; None when unknowable
    trigger_spread_ms: float | None  # median over positions of the latest minus earliest trigger
    rr_interval_ms: float | None
    inversion_times_ms: tuple[float, ...]  # distinct positive inversion times in the series
    inversion_times_per_position: int  # the most distinct inversion times at one position
    has_localizer_image_type: bool
    has_map_image_type: bool
    has_phase_image_type: bool  # phase-contrast phase or velocity images

    @property
    def rr_coverage(self) -> float | None:
        """The share of the R-R interval that the trigger times span."""
        if self.trigger_spread_ms is None or not self.rr_interval_ms:
            return None
        return self.trigger_spread_ms / self.rr_interval_ms


def measure_series(*, headers: Sequence[Header]) -> SeriesFacts:
    """Measure geometry, timing, inversion and image-type facts over the headers of one series."""
    position_keys = _slice_positions(headers=headers)
    triggers: dict[tuple[int, int], list[float]] = {}
    inversions: dict[tuple[int, int], set[float]] = {}
    frames: dict[tuple[int, int], int] = {}
    for header, key in zip(headers, position_keys, strict=True):
        frames[key] = frames.get(key, 0) + 1
        trigger = header_number(header, "TriggerTime")
        if trigger is not None:
            triggers.setdefault(key, []).append(trigger)
        inversion = header_number(header, "InversionTime")
        if inversion is not None and inversion > 0:
            inversions.setdefault(key, set()).add(round(inversion))
    image_types = {str(v).upper() for h in headers for v in _image_type(h)}
    all_inversions = sorted(set().union(*inversions.values())) if inversions else []
    return SeriesFacts(
        image_count=len(headers),
        plane_count=len({plane for plane, _ in frames}),
        position_count=len(frames),
        frames_per_position=statistics.median_low(frames.values()) if frames else 0,
        phases_per_position=_phases_per_position(headers=headers, frames=frames, triggers=triggers),
        trigger_spread_ms=(
            statistics.median_low([max(t) - min(t) for t in triggers.values()]) if triggers else None
        ),
        rr_interval_ms=_rr_interval(headers=headers),
        inversion_times_ms=tuple(float(t) for t in all_inversions),
        inversion_times_per_position=max((len(t) for t in inversions.values()), default=0),
        has_localizer_image_type="LOCALIZER" in image_types,
        has_map_image_type=any(_is_map_type(value) for value in image_types),
        has_phase_image_type=any(_is_phase_type(value) for value in image_types),
    )


def _slice_positions(*, headers: Sequence[Header]) -> list[tuple[int, int]]:
    return slice_position_keys(located=located_positions(headers=headers))


def located_positions(*, headers: Sequence[Header]) -> list[tuple[int, float]]:
    """(plane index, mm along that plane's normal) for each header; plane -1 has no orientation."""
    plane_normals: list[tuple[float, float, float]] = []
    located: list[tuple[int, float]] = []
    for header in headers:
        normal = _plane_normal(header)
        if normal is None:
            # Without orientation, SliceLocation is the scanner's own position along the normal.
            located.append((-1, header_number(header, "SliceLocation") or 0.0))
            continue
        plane = _matching_plane(normal=normal, planes=plane_normals)
        if plane is None:
            plane_normals.append(normal)
            plane = len(plane_normals) - 1
        position = _vector(header, "ImagePositionPatient", 3) or (0.0, 0.0, 0.0)
        located.append((plane, _dot(plane_normals[plane], position)))
    return located


def slice_position_keys(*, located: Sequence[tuple[int, float]]) -> list[tuple[int, int]]:
    """(plane index, position index) for each located image, chaining positions within 1 mm."""
    cluster_of: dict[tuple[int, float], int] = {}
    for plane in {p for p, _ in located}:
        distances = sorted({d for p, d in located if p == plane})
        cluster, previous = 0, distances[0]
        for distance in distances:
            # Chain neighbours within 1 mm: a rounding wobble never splits one slice in two.
            if distance - previous > SAME_POSITION_MM:
                cluster += 1
            cluster_of[(plane, distance)] = cluster
            previous = distance
    return [(plane, cluster_of[(plane, d)]) for plane, d in located]


def _phases_per_position(
    *,
    headers: Sequence[Header],
    frames: dict[tuple[int, int], int],
    triggers: dict[tuple[int, int], list[float]],
) -> int | None:
    if triggers:
        return statistics.median_low(len({round(t) for t in times}) for times in triggers.values())
    frames_each = statistics.median_low(frames.values()) if frames else 0
    if frames_each == 1:
        return 1
    declared = max((header_number(h, "CardiacNumberOfImages") or 0 for h in headers), default=0)
    # Several images per position and no trigger times: only a declared phase count says cine.
    if declared > 1 and frames_each >= declared:
        return int(declared)
    return None


def _rr_interval(*, headers: Sequence[Header]) -> float | None:
    nominal = [n for h in headers if (n := header_number(h, "NominalInterval"))]
    if nominal:
        return statistics.median(nominal)
    rates = [r for h in headers if (r := header_number(h, "HeartRate"))]
    return 60000.0 / statistics.median(rates) if rates else None


def _is_phase_type(value: str) -> bool:
    return value in {"P", "PHASE", "VELOCITY"} or "VELOCITY" in value or "PHASE CONTRAST" in value


def _is_map_type(value: str) -> bool:
    return "MAP" in value and not _is_phase_type(value) and "PHASE" not in value


def _plane_normal(header: Header) -> tuple[float, float, float] | None:
    cosines = _vector(header, "ImageOrientationPatient", 6)
    if cosines is None:
        return None
    (rx, ry, rz), (cx, cy, cz) = cosines[:3], cosines[3:]
    normal = (ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx)
    length = math.sqrt(_dot(normal, normal))
    return tuple(c / length for c in normal) if length > 1e-6 else None  # type: ignore[return-value]


def _matching_plane(
    *, normal: tuple[float, float, float], planes: list[tuple[float, float, float]]
) -> int | None:
    for index, plane in enumerate(planes):
        # A flipped normal is the same plane; the sign of the distance is then flipped for all.
        if abs(_dot(plane, normal)) >= PARALLEL_COSINE:
            return index
    return None


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _vector(header: Header, keyword: str, length: int) -> tuple[float, ...] | None:
    value = header.get(keyword)
    try:
        numbers = tuple(float(v) for v in value) if value is not None else ()
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == length else None


def header_number(header: Header, keyword: str) -> float | None:
    """A numeric attribute as a float; None when absent, empty or not a number."""
    value = header.get(keyword)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _image_type(header: Header) -> list[str]:
    value = header.get("ImageType")
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
