"""Which long-axis view a cine plane is, from its angle to the short-axis stack of the same study.

Used only when a long-axis cine's description names no view and the study has a short-axis cine
stack (``series_decision``; ``decisions/0026``). Coordinates are DICOM patient coordinates (LPS:
+x the patient's left, +y posterior, +z head; PS3.3 C.7.6.2.1.1).

The rule, and why:

1. **The left-ventricular long axis is the stack's normal.** A short-axis stack is planned
   perpendicular to the long axis, so the normal of its planes (the cross product of the row and
   column cosines) is the long axis, up to sign.
2. **A view through the left ventricle contains that axis.** The 4-, 2- and 3-chamber planes are
   all planned through the apex and the mitral valve, so each contains the long axis; a plane
   tilted more than ``MAX_TILT_DEG`` from it (an aortic, atrial or right-ventricular plane, a
   transverse slice) is not placed and stays "other long axis"; one parallel to the stack's
   planes (within 10 degrees) is a short-axis slice stored as a series of its own.
3. **The view is the plane's rotation about the long axis**, measured in the short-axis plane
   from the *horizontal long axis*: the plane through the long axis that is closest to axial, its
   in-plane direction horizontal (perpendicular to both the long axis and the head-foot axis).
   The horizontal long axis is the classical four-chamber view (HLA; an axial image through the
   ventricles is a pseudo-four-chamber view, the right ventricle lying to the right of and in
   front of the left), and the vertical long axis (VLA), the plane through the long axis that
   contains the head-foot direction, 90 degrees away, is the two-chamber view. The three-chamber
   (LVOT) plane runs from the anteroseptal to the inferolateral wall, through the outflow tract:
   between the two, on the side where the septum (patient's right) meets the anterior wall
   (head). Angles run from the horizontal direction toward the patient's left (0 degrees) to the
   projected head direction (90 degrees), modulo 180: 4CH at 0, 2CH at 90, 3CH at 135.
4. **Sectors, with gaps.** A plane within ``SECTOR_HALF_WIDTH_DEG`` of a view's angle is that
   view; a plane in a gap (about 20 to 70 degrees, where no standard view lies, and the narrow
   gaps beside the 3CH sector) stays "other long axis": a view the angle cannot name is left
   unnamed rather than guessed.

Uncertainty, said plainly: real 4CH planes are refined through the tricuspid valve and the
right-ventricular apex and can sit 15-30 degrees from the pure horizontal long axis; the 3CH
plane's angle varies with the aortic root's position more than the others; and the angle alone
cannot tell a right-ventricular long axis whose plane happens to contain the left ventricle's
axis from a two-chamber view (the plane's distance from the left-ventricular centre would, but
the headers classification reads do not locate that centre). A description that names the view
always wins over this rule.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Vector = tuple[float, float, float]

MAX_TILT_DEG = 20.0
# A plane this far from containing the long axis is parallel to the stack (within 10 degrees).
SHORT_AXIS_MIN_TILT_DEG = 80.0
SHORT_AXIS = "cine_sax"
SECTOR_HALF_WIDTH_DEG = 20.0
VIEW_ANGLES_DEG = {"cine_4ch": 0.0, "cine_2ch": 90.0, "cine_3ch": 135.0}
OTHER_LONG_AXIS = "cine_lax_other"
PARALLEL_COSINE = math.cos(math.radians(10))
# Below this (the long axis within about 6 degrees of head-foot) no plane through it is horizontal.
MIN_HORIZONTAL_NORM = 0.1
HEAD: Vector = (0.0, 0.0, 1.0)


class Header(Protocol):
    def get(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class PlanePlacement:
    """Where a long-axis plane lies relative to a short-axis stack, and the view that follows."""

    kind: str  # "cine_4ch", "cine_2ch", "cine_3ch", "cine_lax_other", or "cine_sax" (parallel)
    tilt_deg: float  # angle between the plane and the stack's long axis (0: contains it)
    rotation_deg: float | None  # about the long axis from the horizontal long axis, 0-180; None: unknowable


def plane_normal(header: Header) -> Vector | None:
    """The unit normal of an image's plane from ImageOrientationPatient; None if absent or broken."""
    value = header.get("ImageOrientationPatient")
    try:
        cosines = [float(v) for v in value] if value is not None else []
    except (TypeError, ValueError):
        return None
    if len(cosines) != 6:
        return None
    return _unit(_cross((cosines[0], cosines[1], cosines[2]), (cosines[3], cosines[4], cosines[5])))


def stack_long_axis(headers: Sequence[Header]) -> Vector | None:
    """The long axis of a short-axis stack: its planes' common normal.

    None when no header has an orientation, or when the planes are not parallel (two stacks at
    different angles, or not a stack): then no long-axis cine is placed from it.
    """
    normals = [n for n in (plane_normal(h) for h in headers) if n is not None]
    if not normals:
        return None
    first = normals[0]
    if any(abs(_dot(first, n)) < PARALLEL_COSINE for n in normals[1:]):
        return None
    return first


def place_long_axis_plane(*, plane_normal: Vector, long_axis: Vector) -> PlanePlacement:
    """The view of a plane with normal ``plane_normal``, given the stack's ``long_axis`` (rule above)."""
    axis = _unit(long_axis)
    normal = _unit(plane_normal)
    if axis is None or normal is None:
        return PlanePlacement(kind=OTHER_LONG_AXIS, tilt_deg=90.0, rotation_deg=None)
    tilt = math.degrees(math.asin(min(1.0, abs(_dot(axis, normal)))))
    if tilt >= SHORT_AXIS_MIN_TILT_DEG:
        return PlanePlacement(kind=SHORT_AXIS, tilt_deg=tilt, rotation_deg=None)
    if tilt > MAX_TILT_DEG:
        return PlanePlacement(kind=OTHER_LONG_AXIS, tilt_deg=tilt, rotation_deg=None)
    horizontal = _cross(axis, HEAD)
    if math.sqrt(_dot(horizontal, horizontal)) < MIN_HORIZONTAL_NORM:
        return PlanePlacement(kind=OTHER_LONG_AXIS, tilt_deg=tilt, rotation_deg=None)
    lateral = _unit(horizontal if horizontal[0] >= 0 else _scaled(horizontal, -1.0))
    assert lateral is not None  # horizontal is longer than MIN_HORIZONTAL_NORM
    upward = _unit(_cross(lateral, axis))
    assert upward is not None  # lateral is perpendicular to the unit long axis
    if _dot(upward, HEAD) < 0:
        upward = _scaled(upward, -1.0)
    across = _cross(axis, normal)  # the plane's direction within the short-axis plane
    rotation = math.degrees(math.atan2(_dot(across, upward), _dot(across, lateral))) % 180.0
    kind = OTHER_LONG_AXIS
    for view, angle in VIEW_ANGLES_DEG.items():
        if _line_angle(rotation, angle) <= SECTOR_HALF_WIDTH_DEG:
            kind = view
    return PlanePlacement(kind=kind, tilt_deg=tilt, rotation_deg=rotation)


def _line_angle(a: float, b: float) -> float:
    """The angle between two lines given by their directions in degrees (0-90)."""
    difference = abs(a - b) % 180.0
    return min(difference, 180.0 - difference)


def _cross(a: Sequence[float], b: Sequence[float]) -> Vector:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _scaled(a: Sequence[float], factor: float) -> Vector:
    return (a[0] * factor, a[1] * factor, a[2] * factor)


def _unit(a: Sequence[float]) -> Vector | None:
    length = math.sqrt(_dot(a, a))
    return _scaled(a, 1.0 / length) if length > 1e-6 else None
