"""Tissue contrasts and the static anatomy around the heart.

The torso is modelled once in patient coordinates (LPS, mm) and sampled by every plane, so the
short- and long-axis views of a case see the same lungs, liver, spine and chest wall. The atria
and the aortic root are modelled in the heart frame because they move with the mitral plane.
Edges are anti-aliased with a one-pixel linear ramp of an approximate signed distance, which also
stands in for partial-volume blurring.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class Contrast:
    """Signal of each tissue (12-bit scale) in one sequence, and the noise level."""

    fat: float
    muscle: float
    soft_tissue: float
    lung: float
    liver: float
    bone: float
    vessel: float
    blood: float
    myocardium: float
    enhanced: float
    noise_sigma: float

    def scaled(self, factor: float) -> "Contrast":
        values = {name: getattr(self, name) * factor for name in self.__dataclass_fields__}
        return Contrast(**values)


# Balanced SSFP cine: bright blood and fat, dark myocardium, dark lungs.
CINE_CONTRAST = Contrast(
    fat=880,
    muscle=210,
    soft_tissue=290,
    lung=40,
    liver=330,
    bone=300,
    vessel=950,
    blood=1050,
    myocardium=240,
    enhanced=240,
    noise_sigma=22,
)
# Inversion-recovery LGE with the inversion time set to null normal myocardium.
LGE_CONTRAST = Contrast(
    fat=560,
    muscle=110,
    soft_tissue=160,
    lung=20,
    liver=170,
    bone=200,
    vessel=460,
    blood=520,
    myocardium=28,
    enhanced=960,
    noise_sigma=20,
)


def soft_inside(*, signed_distance, pixel_mm: float):
    """Fraction of a pixel inside a shape from its signed distance (positive inside)."""
    return np.clip(0.5 + signed_distance / pixel_mm, 0.0, 1.0)


def paint(image: np.ndarray, *, coverage, value: float) -> None:
    """Alpha-composite ``value`` over ``image`` in place, weighted by ``coverage``."""
    image += (value - image) * coverage


def ellipsoid_distance(*, offsets, semi_axes) -> np.ndarray:
    """Approximate signed distance to an axis-aligned ellipsoid (positive inside)."""
    scaled = sum((offset / semi) ** 2 for offset, semi in zip(offsets, semi_axes, strict=True))
    return (1.0 - np.sqrt(scaled)) * min(semi_axes)


def torso_background(*, points: np.ndarray, contrast: Contrast, pixel_mm: float) -> np.ndarray:
    """The torso without the heart, sampled at ``points`` (…, 3) in patient coordinates."""
    x = points[..., 0].astype(np.float32)
    y = points[..., 1].astype(np.float32)
    z = points[..., 2].astype(np.float32)
    image = np.zeros(x.shape, dtype=np.float32)
    body = ellipsoid_distance(offsets=(x, y - 5.0), semi_axes=(170.0, 125.0))
    paint(image, coverage=soft_inside(signed_distance=body, pixel_mm=pixel_mm), value=contrast.fat)
    for depth, value in ((14.0, contrast.muscle), (26.0, contrast.soft_tissue)):
        paint(image, coverage=soft_inside(signed_distance=body - depth, pixel_mm=pixel_mm), value=value)
    organs = (
        ((x + 45.0, y - 15.0, z + 125.0), (115.0, 95.0, 75.0), contrast.liver),
        ((x + 80.0, y - 15.0, z - 10.0), (55.0, 75.0, 120.0), contrast.lung),
        ((x - 95.0, y - 15.0, z - 10.0), (55.0, 75.0, 120.0), contrast.lung),
        ((x, y - 95.0), (22.0, 22.0), contrast.bone),
        ((x - 22.0, y - 62.0), (12.0, 12.0), contrast.vessel),
    )
    for offsets, semi_axes, value in organs:
        distance = ellipsoid_distance(offsets=offsets, semi_axes=semi_axes)
        paint(image, coverage=soft_inside(signed_distance=distance, pixel_mm=pixel_mm), value=value)
    return image


def great_vessel_masks(*, x, y, z, scale: float, pixel_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Coverage of the atrial/aortic walls and of their blood, in the heart frame.

    Left atrium behind and above the base, right atrium on the septal side, the aortic root
    leaving the base anteroseptally: enough for the 4-, 2- and 3-chamber views to look familiar.
    """
    wall = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(z)), dtype=np.float32)
    blood = np.zeros_like(wall)
    chambers = (
        ((6.0, -6.0, -30.0), (24.0, 24.0, 28.0)),
        ((-48.0, -4.0, -26.0), (22.0, 22.0, 26.0)),
    )
    for center, semi in chambers:
        offsets = (x - center[0] * scale, y - center[1] * scale, z - center[2] * scale)
        distance = ellipsoid_distance(offsets=offsets, semi_axes=tuple(s * scale for s in semi))
        wall = np.maximum(wall, soft_inside(signed_distance=distance + 2.0, pixel_mm=pixel_mm))
        blood = np.maximum(blood, soft_inside(signed_distance=distance, pixel_mm=pixel_mm))
    direction = np.array([-0.3, 0.25, -1.0], dtype=np.float32)
    direction /= np.linalg.norm(direction)
    rel = (x + 8.0 * scale, y - 10.0 * scale, z - 2.0)
    along = rel[0] * direction[0] + rel[1] * direction[1] + rel[2] * direction[2]
    along_clipped = np.clip(along, 0.0, 80.0)
    across = np.sqrt(sum((r - along_clipped * d) ** 2 for r, d in zip(rel, direction, strict=True)))
    radius = 12.0 * scale
    wall = np.maximum(wall, soft_inside(signed_distance=radius + 2.0 - across, pixel_mm=pixel_mm))
    blood = np.maximum(blood, soft_inside(signed_distance=radius - across, pixel_mm=pixel_mm))
    return wall, blood
