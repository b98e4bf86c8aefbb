"""Patient-space geometry of the synthetic heart and of the planes that image it.

Coordinates are DICOM patient coordinates (LPS: +x left, +y posterior, +z head), in millimetres.
The heart has its own orthonormal frame: ``long_axis`` from the base centre to the apex,
``anterior`` and ``lateral`` spanning the short-axis plane. In a short-axis image the frame is
shown the way readers expect: anterior up, lateral (patient's left) to the right, so the septum
and the right ventricle are on the left. Angles in the short-axis plane are counted
counter-clockwise from lateral: 90 deg anterior, 180 deg septal, 270 deg inferior.

Reference: DICOM PS3.3 C.7.6.2.1.1 (Image Position and Image Orientation (Patient)).
"""

from dataclasses import dataclass

import numpy as np

SLICE_THICKNESS_MM = 8.0
SLICE_GAP_MM = 2.0
SLICE_SPACING_MM = SLICE_THICKNESS_MM + SLICE_GAP_MM
LAX_VIEW_ANGLES_DEG = {"cine_4ch": 0.0, "cine_2ch": 90.0, "cine_3ch": 330.0}


@dataclass(frozen=True, kw_only=True)
class HeartFrame:
    origin: np.ndarray
    long_axis: np.ndarray
    anterior: np.ndarray
    lateral: np.ndarray

    def in_plane_direction(self, *, angle_deg: float) -> np.ndarray:
        angle = np.deg2rad(angle_deg)
        return np.cos(angle) * self.lateral + np.sin(angle) * self.anterior


@dataclass(frozen=True, kw_only=True)
class ImagePlane:
    """One image: the centre of its first pixel and its row/column directions (DICOM semantics)."""

    position: np.ndarray
    row_direction: np.ndarray
    column_direction: np.ndarray
    pixel_spacing_mm: float
    rows: int
    columns: int

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.row_direction, self.column_direction)

    @property
    def orientation(self) -> list[float]:
        return [float(v) for v in (*self.row_direction, *self.column_direction)]

    @property
    def slice_location(self) -> float:
        """ImagePositionPatient projected on the slice normal, as scanners write SliceLocation."""
        return float(np.dot(self.position, self.normal))

    def pixel_points(self) -> np.ndarray:
        """Patient coordinates of every pixel centre, shape (rows, columns, 3)."""
        row_index = np.arange(self.rows, dtype=np.float64)[:, None, None]
        column_index = np.arange(self.columns, dtype=np.float64)[None, :, None]
        step = self.pixel_spacing_mm
        return (
            self.position
            + column_index * step * self.row_direction
            + row_index * step * self.column_direction
        )


def heart_frame(*, base_center_mm, long_axis) -> HeartFrame:
    """The heart's frame from its base centre and long axis (base to apex)."""
    axis = np.asarray(long_axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    # The LV's anterior wall faces up and forward, its inferior wall lies on the diaphragm: the
    # heart's "anterior" is the head direction (+z in LPS) across the long axis. So the
    # horizontal long axis (4-chamber: long axis and lateral) is the long-axis plane nearest to
    # axial, as on a scanner, and views can be placed from geometry (decisions/0026).
    toward_head = np.array([0.0, 0.0, 1.0])
    anterior = toward_head - np.dot(toward_head, axis) * axis
    anterior /= np.linalg.norm(anterior)
    lateral = np.cross(anterior, axis)
    if lateral[0] < 0:  # lateral must point to the patient's left (+x)
        lateral = -lateral
    return HeartFrame(
        origin=np.asarray(base_center_mm, dtype=np.float64),
        long_axis=axis,
        anterior=anterior,
        lateral=lateral,
    )


def plane_centred_at(
    *, center, row_direction, column_direction, pixel_spacing_mm: float, matrix: int
) -> ImagePlane:
    """A square image of ``matrix`` pixels whose centre lies at ``center``."""
    half = (matrix - 1) / 2.0 * pixel_spacing_mm
    position = np.asarray(center) - half * row_direction - half * column_direction
    return ImagePlane(
        position=position,
        row_direction=row_direction,
        column_direction=column_direction,
        pixel_spacing_mm=pixel_spacing_mm,
        rows=matrix,
        columns=matrix,
    )


def sax_planes(
    *, frame: HeartFrame, slice_z_mm, lateral_offset_mm: float, pixel_spacing_mm: float, matrix: int
) -> list[ImagePlane]:
    """The short-axis stack: parallel planes along the long axis, the LV right of centre."""
    planes = []
    for z in slice_z_mm:
        center = frame.origin + z * frame.long_axis - lateral_offset_mm * frame.lateral
        planes.append(
            plane_centred_at(
                center=center,
                row_direction=frame.lateral,
                column_direction=-frame.anterior,
                pixel_spacing_mm=pixel_spacing_mm,
                matrix=matrix,
            )
        )
    return planes


def lax_plane(
    *,
    frame: HeartFrame,
    view: str,
    center_z_mm: float,
    rotation_deg: float,
    pixel_spacing_mm: float,
    matrix: int,
) -> ImagePlane:
    """A long-axis plane through the LV axis (4CH, 2CH or 3CH), apex up, rotated in plane."""
    across = frame.in_plane_direction(angle_deg=LAX_VIEW_ANGLES_DEG[view])
    toward_base = -frame.long_axis
    angle = np.deg2rad(rotation_deg)
    row = np.cos(angle) * across + np.sin(angle) * toward_base
    column = -np.sin(angle) * across + np.cos(angle) * toward_base
    return plane_centred_at(
        center=frame.origin + center_z_mm * frame.long_axis,
        row_direction=row,
        column_direction=column,
        pixel_spacing_mm=pixel_spacing_mm,
        matrix=matrix,
    )


def heart_coordinates(*, frame: HeartFrame, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lateral, anterior and long-axis coordinates (mm) of ``points`` in the heart frame."""
    offset = points - frame.origin
    return (
        (offset @ frame.lateral).astype(np.float32),
        (offset @ frame.anterior).astype(np.float32),
        (offset @ frame.long_axis).astype(np.float32),
    )
