"""Analytic shape of the beating ventricles, in the heart frame (see ``geometry``).

Left ventricle: the end-diastolic cavity is half a prolate ellipsoid (radius R at the base,
length L to the endocardial apex). The epicardium lies one wall thickness t(z, angle) outside the
endocardium, closed beyond the cavity by an apical cap. In systole the cavity radius shrinks by
the factor (1 - k c), where c in [0, 1] is the contraction at that moment of the cycle, and each
angular sector of the wall keeps its area (myocardium is incompressible), so the wall thickens:

    r_epi(c)^2 = r_endo(c)^2 + r_epi_ed^2 - r_endo_ed^2.

With uniform radial scaling the ejection fraction is 1 - (1 - k)^2, so k = 1 - sqrt(1 - EF).

Right ventricle: in each short-axis section an ellipse on the septal side whose edge meets the LV
epicardium at 120 and 240 deg, the anterior and inferior RV insertion points of the AHA model.
"""

import numpy as np

from cmr_reader.domain.synthetic.case_params import HeartParams

INSERTION_ANGLES_DEG = (120.0, 240.0)
RAPID_FILLING_FRACTION = 0.30
ATRIAL_KICK_START = 0.82
ATRIAL_SHARE = 0.2


def contraction_curve(*, phase_fraction, es_fraction: float) -> np.ndarray:
    """Contraction c(t) over the RR interval: 0 at end-diastole (t=0), 1 at end-systole.

    Systole is a half cosine; diastole is rapid filling, diastasis, then the atrial kick.
    """
    f = np.mod(np.asarray(phase_fraction, dtype=np.float64), 1.0)
    systole = 0.5 * (1.0 - np.cos(np.pi * np.clip(f / es_fraction, 0.0, 1.0)))
    filling = np.clip((f - es_fraction) / RAPID_FILLING_FRACTION, 0.0, 1.0)
    kick = np.clip((f - ATRIAL_KICK_START) / (1.0 - ATRIAL_KICK_START), 0.0, 1.0)
    kick = kick * kick * (3.0 - 2.0 * kick)
    diastole = (1.0 - ATRIAL_SHARE) * 0.5 * (1.0 + np.cos(np.pi * filling)) + ATRIAL_SHARE * (1.0 - kick)
    return np.where(f <= es_fraction, systole, diastole)


def radial_shortening(*, heart: HeartParams) -> float:
    return 1.0 - float(np.sqrt(1.0 - heart.ejection_fraction))


def endocardial_radius_ed(*, heart: HeartParams, z) -> np.ndarray:
    length = heart.cavity_length_mm
    relative = np.clip(np.asarray(z, dtype=np.float32) / length, 0.0, 1.0)
    return heart.cavity_radius_mm * np.sqrt(1.0 - relative * relative)


def wall_thickness_ed(*, heart: HeartParams, z, angle) -> np.ndarray:
    """End-diastolic wall thickness (mm) at long-axis position ``z`` and SAX ``angle`` (radians)."""
    angle = np.asarray(angle, dtype=np.float32)
    # A normal septum is a little thicker than the lateral wall.
    baseline = heart.wall_thickness_mm * (1.0 - 0.06 * np.cos(angle))
    if heart.hypertrophy_pattern == "none":
        return baseline
    z = np.asarray(z, dtype=np.float32)
    peak_angle = np.deg2rad(heart.hypertrophy_angle_deg)
    baseline_at_peak = heart.wall_thickness_mm * (1.0 - 0.06 * np.cos(peak_angle))
    amplitude = heart.hypertrophy_peak_mm - baseline_at_peak
    along = (z - heart.hypertrophy_z_mm) / (0.2 * heart.cavity_length_mm)
    if heart.hypertrophy_pattern == "apical":
        # Apical HCM thickens the whole circumference, a little more on one side.
        around = 0.85 + 0.15 * np.cos(angle - peak_angle)
        along = np.minimum(along, 0.0) / 0.7
    else:
        difference = np.mod(angle - peak_angle + np.pi, 2.0 * np.pi) - np.pi
        around = np.exp(-0.5 * (difference / np.deg2rad(38.0)) ** 2)
    return baseline + amplitude * around * np.exp(-0.5 * along * along)


def lv_radii_ed(*, heart: HeartParams, z, angle) -> tuple[np.ndarray, np.ndarray]:
    """End-diastolic endocardial and epicardial radii; beyond the cavity apex only the cap remains."""
    length = heart.cavity_length_mm
    z = np.asarray(z, dtype=np.float32)
    endo = endocardial_radius_ed(heart=heart, z=z)
    thickness = wall_thickness_ed(heart=heart, z=np.minimum(z, length), angle=angle)
    beyond = np.clip((z - length) / heart.apical_cap_mm, 0.0, 1.0)
    cap_profile = np.sqrt(1.0 - beyond * beyond)
    epi = np.where(z < length, endo + thickness, thickness * cap_profile)
    return endo, epi


def lv_radii(*, heart: HeartParams, z, angle, contraction) -> tuple[np.ndarray, np.ndarray]:
    """Endocardial and epicardial radius at contraction ``contraction`` (broadcast with z, angle)."""
    endo_ed, epi_ed = lv_radii_ed(heart=heart, z=z, angle=angle)
    scale = 1.0 - radial_shortening(heart=heart) * np.asarray(contraction, dtype=np.float32)
    endo = endo_ed * scale
    epi = np.sqrt(np.maximum(endo * endo + epi_ed * epi_ed - endo_ed * endo_ed, 0.0))
    return endo, epi


def rv_ellipse(*, heart: HeartParams, z, contraction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre offset (toward the septum), half-width and half-height of the RV section at ``z``.

    The half-height is solved so that the ellipse crosses the LV epicardium at the insertion
    angles: with centre (-d, 0), (d - Re/2)^2 / a^2 + (3/4) Re^2 / b^2 = 1.
    """
    angles = np.deg2rad(np.array(INSERTION_ANGLES_DEG, dtype=np.float32))
    epi = [lv_radii(heart=heart, z=z, angle=a, contraction=contraction)[1] for a in angles]
    radius = 0.5 * (epi[0] + epi[1])
    total = heart.cavity_length_mm + heart.apical_cap_mm
    taper = np.sqrt(np.clip(1.0 - (np.asarray(z, dtype=np.float32) / (0.9 * total)) ** 2, 0.0, 1.0))
    # A tall, narrow ellipse set well to the septal side wraps around the LV as a crescent;
    # toward the apex it moves closer and flattens.
    offset = radius * (0.8 + 0.35 * taper)
    half_width = 0.85 * radius
    ratio = (offset - 0.5 * radius) / np.maximum(half_width, 1e-3)
    half_height = np.sqrt(0.75 * radius * radius / np.maximum(1.0 - ratio * ratio, 1e-3))
    return offset, half_width, np.minimum(half_height, 1.7 * radius)


def base_descent_mm(*, heart: HeartParams, contraction) -> np.ndarray:
    """How far the mitral plane moves toward the apex (long-axis shortening, shown in LAX views)."""
    return (0.05 + 0.10 * heart.ejection_fraction) * heart.cavity_length_mm * np.asarray(contraction)


def reference_z(*, heart: HeartParams, z, descent) -> np.ndarray:
    """Map a physical long-axis position to its end-diastolic position, apex held fixed.

    Above the moving base everything (atria, aortic root) follows the base; below it the
    ventricle is compressed linearly toward the fixed apex.
    """
    total = heart.cavity_length_mm + heart.apical_cap_mm
    z = np.asarray(z, dtype=np.float32)
    descent = np.asarray(descent, dtype=np.float32)
    compressed = (z - descent) * total / (total - descent)
    return np.where(z <= descent, z - descent, compressed).astype(np.float32)
