"""Drawing one image plane of the phantom at every requested moment of the cardiac cycle.

Each plane is rendered for all its phases at once as (phases, rows, columns) float32 arrays:
the torso is sampled once, the heart is composited over it layer by layer (pericardial fat, atria
and aorta, RV wall and blood, LV myocardium and blood, enhancement), then a smooth coil-sensitivity
field and Rician noise (the magnitude of complex Gaussian noise, as in magnitude MR images) are
applied. The LV coverage maps are returned too, so ground truth is measured on what was drawn.
"""

from dataclasses import dataclass

import numpy as np

from cmr_reader.domain.synthetic.anatomy import (
    Contrast,
    great_vessel_masks,
    paint,
    soft_inside,
    torso_background,
)
from cmr_reader.domain.synthetic.case_params import HeartParams
from cmr_reader.domain.synthetic.geometry import HeartFrame, ImagePlane, heart_coordinates
from cmr_reader.domain.synthetic.lge import lge_weight
from cmr_reader.domain.synthetic.ventricles import base_descent_mm, lv_radii, reference_z, rv_ellipse

MAX_STORED_VALUE = 4095  # BitsStored 12
RV_WALL_MM = 3.0
PERICARDIAL_FAT_MM = 2.5


@dataclass(frozen=True, kw_only=True)
class RenderedPlane:
    """Pixels (phases, rows, columns) as uint16 plus the coverage maps they were drawn from."""

    pixels: np.ndarray
    lv_blood: np.ndarray
    lv_myocardium: np.ndarray
    enhancement: np.ndarray | None

    def area_mm2(self, coverage: np.ndarray, *, pixel_mm: float) -> np.ndarray:
        return coverage.sum(axis=(1, 2), dtype=np.float64) * pixel_mm * pixel_mm


def render_plane(
    *,
    heart: HeartParams,
    frame: HeartFrame,
    plane: ImagePlane,
    contraction: np.ndarray,
    contrast: Contrast,
    rng: np.random.Generator,
    short_axis: bool,
    with_enhancement: bool = False,
) -> RenderedPlane:
    """Render ``plane`` at each value of ``contraction`` (one image per value)."""
    pixel_mm = plane.pixel_spacing_mm
    points = plane.pixel_points()
    background = torso_background(points=points, contrast=contrast, pixel_mm=pixel_mm)
    x, y, z = heart_coordinates(frame=frame, points=points)
    c = np.asarray(contraction, dtype=np.float32)[:, None, None]
    if short_axis:
        # A short-axis plane is perpendicular to the long axis: one z for the whole image,
        # which keeps every z-only quantity a scalar. The base does not move in this model.
        z_ref = np.full((1, 1, 1), float(z.mean()), dtype=np.float32)
    else:
        z_ref = reference_z(heart=heart, z=z[None], descent=base_descent_mm(heart=heart, contraction=c))
    x, y = x[None], y[None]
    radius = np.hypot(x, y)
    angle = np.arctan2(y, x)

    endo, epi = lv_radii(heart=heart, z=z_ref, angle=angle, contraction=c)
    # Beyond the base and the apex there is no ventricle (radii of zero would leave half-covered
    # pixels along the axis in long-axis views).
    total_length = heart.cavity_length_mm + heart.apical_cap_mm
    lv_present = soft_inside(signed_distance=z_ref, pixel_mm=pixel_mm) * soft_inside(
        signed_distance=total_length - z_ref, pixel_mm=pixel_mm
    )
    lv_blood = soft_inside(signed_distance=endo - radius, pixel_mm=pixel_mm) * lv_present
    lv_outer = soft_inside(signed_distance=epi - radius, pixel_mm=pixel_mm) * lv_present
    lv_myocardium = np.maximum(lv_outer - lv_blood, 0.0)

    offset, half_width, half_height = rv_ellipse(heart=heart, z=z_ref, contraction=c)
    stretched = np.sqrt(
        ((x + offset) / np.maximum(half_width, 1e-3)) ** 2 + (y / np.maximum(half_height, 1e-3)) ** 2
    )
    rv_distance = (1.0 - stretched) * np.maximum(np.minimum(half_width, half_height), 1e-3)
    rv_present = soft_inside(signed_distance=z_ref + 3.0, pixel_mm=pixel_mm) * soft_inside(
        signed_distance=0.9 * total_length - z_ref, pixel_mm=pixel_mm
    )
    rv_blood = soft_inside(signed_distance=rv_distance, pixel_mm=pixel_mm) * rv_present
    rv_outer = soft_inside(signed_distance=rv_distance + RV_WALL_MM, pixel_mm=pixel_mm) * rv_present
    fat = np.maximum(
        soft_inside(signed_distance=epi + PERICARDIAL_FAT_MM - radius, pixel_mm=pixel_mm) * lv_present,
        soft_inside(signed_distance=rv_distance + RV_WALL_MM + PERICARDIAL_FAT_MM, pixel_mm=pixel_mm)
        * rv_present,
    )

    shape = np.broadcast_shapes(lv_blood.shape, (len(c), plane.rows, plane.columns))
    images = np.broadcast_to(background, shape).copy()
    paint(images, coverage=fat, value=0.9 * contrast.fat)
    if float(z_ref.min()) < 10.0:
        vessel_wall, vessel_blood = great_vessel_masks(
            x=x, y=y, z=z_ref, scale=heart.cavity_radius_mm / 24.0, pixel_mm=pixel_mm
        )
        paint(images, coverage=vessel_wall, value=contrast.myocardium)
        paint(images, coverage=vessel_blood, value=contrast.blood)
    paint(images, coverage=rv_outer, value=contrast.myocardium)
    paint(images, coverage=rv_blood, value=contrast.blood)
    paint(images, coverage=lv_outer, value=contrast.myocardium)
    paint(images, coverage=lv_blood, value=contrast.blood)
    enhancement = None
    if with_enhancement:
        depth = np.clip((radius - endo) / np.maximum(epi - endo, 1e-3), 0.0, 1.0)
        enhancement = lge_weight(heart=heart, z=z_ref, angle=angle, depth=depth) * lv_myocardium
        paint(images, coverage=enhancement, value=contrast.enhanced)
    pixels = _acquire(images=images, noise_sigma=contrast.noise_sigma, rng=rng)
    return RenderedPlane(
        pixels=pixels,
        lv_blood=np.broadcast_to(lv_blood, shape),
        lv_myocardium=np.broadcast_to(lv_myocardium, shape),
        enhancement=enhancement,
    )


def _acquire(*, images: np.ndarray, noise_sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Apply coil sensitivity and Rician noise, then quantise to 12 bits."""
    _, rows, columns = images.shape
    gradient = rng.uniform(-0.15, 0.15, 2).astype(np.float32)
    row_axis = np.linspace(-1.0, 1.0, rows, dtype=np.float32)[:, None]
    column_axis = np.linspace(-1.0, 1.0, columns, dtype=np.float32)[None, :]
    images *= 1.0 + gradient[0] * row_axis + gradient[1] * column_axis
    real = rng.standard_normal(images.shape, dtype=np.float32)
    real *= noise_sigma
    real += images
    imaginary = rng.standard_normal(images.shape, dtype=np.float32)
    imaginary *= noise_sigma
    magnitude = np.sqrt(real * real + imaginary * imaginary)
    return np.clip(np.rint(magnitude), 0, MAX_STORED_VALUE).astype(np.uint16)
