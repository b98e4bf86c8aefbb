"""Where late gadolinium enhancement is drawn, as a weight in [0, 1] over the myocardium.

Patterns follow the descriptions in Maron & Maron (HCM) and the SCMR reporting guideline
(Hundley et al., JCMR 2020): HCM shows patchy mid-wall enhancement in the hypertrophied segments
and at the RV insertion points; dilated cardiomyopathy shows a linear mid-wall septal stripe.
Transmural depth is measured from endocardium (0) to epicardium (1).
"""

import numpy as np

from cmr_reader.domain.synthetic.case_params import HeartParams
from cmr_reader.domain.synthetic.ventricles import INSERTION_ANGLES_DEG

PATTERNS = ("patchy_midwall", "rv_insertion", "midwall_septal")
PATCHES = 7


def lge_weight(*, heart: HeartParams, z, angle, depth) -> np.ndarray:
    """Enhancement weight at long-axis ``z`` (mm), SAX ``angle`` (rad) and wall ``depth`` (0..1)."""
    z = np.asarray(z, dtype=np.float32)
    angle = np.asarray(angle, dtype=np.float32)
    shape = np.broadcast_shapes(z.shape, angle.shape, np.shape(depth))
    if heart.lge_pattern is None:
        return np.zeros(shape, dtype=np.float32)
    length = heart.cavity_length_mm
    if heart.lge_pattern == "rv_insertion":
        anterior, inferior = (_bump(angle=angle, center_deg=c, width_deg=13.0) for c in INSERTION_ANGLES_DEG)
        spread = np.maximum(anterior, inferior)
        level = _ramp(0.68 * length - z, width=6.0)
        weight = _ramp(spread - 0.45, width=0.15) * level * _band(depth, low=0.12, high=0.88)
    elif heart.lge_pattern == "midwall_septal":
        septum = _ramp(0.5 - np.abs(_wrap(angle - np.pi)) / np.deg2rad(110.0), width=0.08)
        level = _ramp(0.75 * length - z, width=6.0)
        weight = septum * level * _band(depth, low=0.36, high=0.66)
    elif heart.lge_pattern == "patchy_midwall":
        weight = _ramp(_patches(heart=heart, z=z, angle=angle) - 0.5, width=0.15) * _band(
            depth, low=0.18, high=0.85
        )
    else:
        raise ValueError(f"unknown LGE pattern {heart.lge_pattern!r}")
    return np.broadcast_to(weight * _ramp(length - z, width=3.0), shape).astype(np.float32)


def _patches(*, heart: HeartParams, z, angle) -> np.ndarray:
    """Blobs scattered over the hypertrophied region; the first sits on its thickest point."""
    rng = np.random.default_rng(heart.lge_seed)
    length = heart.cavity_length_mm
    field = np.zeros(np.broadcast_shapes(z.shape, angle.shape), dtype=np.float32)
    for index in range(PATCHES):
        if heart.hypertrophy_pattern == "apical":
            center_z = heart.hypertrophy_z_mm if index == 0 else rng.uniform(0.65, 0.95) * length
            center_deg = heart.hypertrophy_angle_deg if index == 0 else rng.uniform(0.0, 360.0)
        else:
            spread = 0.0 if index == 0 else 1.0
            center_z = heart.hypertrophy_z_mm + spread * rng.normal(0.0, 0.12 * length)
            center_deg = heart.hypertrophy_angle_deg + spread * rng.normal(0.0, 28.0)
        width_deg, width_z = rng.uniform(12.0, 22.0), rng.uniform(6.0, 12.0)
        along = (z - center_z) / width_z
        blob = _bump(angle=angle, center_deg=center_deg, width_deg=width_deg) * np.exp(-0.5 * along * along)
        field = np.maximum(field, blob)
    return field


def _wrap(angle):
    return np.mod(angle + np.pi, 2.0 * np.pi) - np.pi


def _bump(*, angle, center_deg: float, width_deg: float):
    difference = _wrap(angle - np.deg2rad(center_deg)) / np.deg2rad(width_deg)
    return np.exp(-0.5 * difference * difference)


def _ramp(value, *, width: float):
    return np.clip(0.5 + value / width, 0.0, 1.0)


def _band(depth, *, low: float, high: float):
    return _ramp(depth - low, width=0.1) * _ramp(high - depth, width=0.1)
