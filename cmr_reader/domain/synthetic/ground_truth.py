"""Ground truth measured on the phantom as drawn.

Volumes use the summation-of-discs method on the short-axis stack (Schulz-Menger et al., JCMR
2020 post-processing guideline): the LV blood-pool area of every slice times the slice spacing
(thickness + gap), at end-diastole (largest total) and end-systole (smallest). Mass is the
myocardial volume at end-diastole times 1.05 g/ml. Indexed values use the Mosteller body surface
area, sqrt(height_cm * weight_kg / 3600).

Location convention: ``max_wall_thickness_aha_segment`` is the AHA 17-segment number (Cerqueira
et al., Circulation 2002), levels by thirds of the cavity length, with the RV insertion points at
120 and 240 deg bounding the septum. ``max_wall_thickness_location`` names the region: ``apical``
for segments 13-17, else the wall of the segment: ``anterior`` (1, 7), ``septal`` (2, 3, 8, 9),
``inferior`` (4, 10), ``lateral`` (5, 6, 11, 12).
"""

import numpy as np

from cmr_reader.domain.synthetic.case_params import CaseParams
from cmr_reader.domain.synthetic.ventricles import endocardial_radius_ed, wall_thickness_ed

MYOCARDIAL_DENSITY_G_PER_ML = 1.05
ANGLE_SAMPLES = 720
WALL_BY_SEGMENT = {1: "anterior", 2: "septal", 3: "septal", 4: "inferior", 5: "lateral", 6: "lateral"}


def body_surface_area_m2(*, height_m: float, weight_kg: float) -> float:
    """Mosteller (NEJM 1987): sqrt(height_cm * weight_kg / 3600)."""
    return float(np.sqrt(height_m * 100.0 * weight_kg / 3600.0))


def aha_segment(*, z_mm: float, angle_deg: float, cavity_length_mm: float) -> int:
    """AHA segment of a point of the LV wall (z from the base, SAX angle from lateral)."""
    if z_mm >= cavity_length_mm:
        return 17
    angle = angle_deg % 360.0
    third = min(int(3 * max(z_mm, 0.0) / cavity_length_mm), 2)
    if third == 2:
        # Apical ring of four: anterior 45-135, septal 135-225, inferior 225-315, lateral.
        return 13 + int(((angle - 45.0) % 360.0) // 90.0)
    # Basal and mid rings of six, from anterior (60-120 deg) through septal, inferior, lateral.
    return 6 * third + int(((angle - 60.0) % 360.0) // 60.0) + 1


def wall_region(*, segment: int) -> str:
    if segment >= 13:
        return "apical"
    return WALL_BY_SEGMENT[(segment - 1) % 6 + 1]


def max_wall_thickness(*, case: CaseParams) -> dict:
    """The thickest end-diastolic wall over the SAX slices that cut the cavity, and the apical cap."""
    heart = case.heart
    angles = np.linspace(0.0, 2.0 * np.pi, ANGLE_SAMPLES, endpoint=False, dtype=np.float32)
    best = (heart.apical_cap_mm, heart.cavity_length_mm, 0.0)
    for z in case.acquisition.slice_z_mm:
        if float(endocardial_radius_ed(heart=heart, z=z)) <= 0.0:
            continue
        thickness = wall_thickness_ed(heart=heart, z=np.float32(z), angle=angles)
        index = int(np.argmax(thickness))
        if float(thickness[index]) > best[0]:
            best = (float(thickness[index]), float(z), float(np.rad2deg(angles[index])))
    thickness_mm, z_mm, angle_deg = best
    segment = aha_segment(z_mm=z_mm, angle_deg=angle_deg, cavity_length_mm=heart.cavity_length_mm)
    return {"mm": thickness_mm, "segment": segment, "location": wall_region(segment=segment)}


def build_ground_truth(
    *,
    case: CaseParams,
    blood_area_mm2: np.ndarray,
    myocardium_area_mm2: np.ndarray,
    lge_extent_pct: float,
    series: list[dict],
    planted: dict[str, str],
    accession_number: str,
    study_instance_uid: str,
) -> dict:
    """The ``ground_truth.json`` document; areas are (slices, phases) arrays in mm^2."""
    spacing = case.acquisition.slice_z_mm[1] - case.acquisition.slice_z_mm[0]
    volumes_ml = blood_area_mm2.sum(axis=0) * spacing / 1000.0
    ed, es = int(np.argmax(volumes_ml)), int(np.argmin(volumes_ml))
    edv, esv = float(volumes_ml[ed]), float(volumes_ml[es])
    mass_g = float(myocardium_area_mm2[:, ed].sum() * spacing / 1000.0 * MYOCARDIAL_DENSITY_G_PER_ML)
    patient = case.patient
    bsa = body_surface_area_m2(height_m=patient.height_m, weight_kg=patient.weight_kg)
    thickest = max_wall_thickness(case=case)
    lge_present = case.heart.lge_pattern is not None
    return {
        "seed": case.seed,
        "case_type": case.case_type,
        "diagnosis": case.diagnosis,
        "accession_number": accession_number,
        "study_instance_uid": study_instance_uid,
        "patient": {
            "sex": patient.sex,
            "age_years": patient.age_years,
            "height_m": patient.height_m,
            "weight_kg": patient.weight_kg,
        },
        "bsa_m2": round(bsa, 3),
        "ed_phase_index": ed,
        "es_phase_index": es,
        "lv_edv_ml": round(edv, 1),
        "lv_esv_ml": round(esv, 1),
        "lv_sv_ml": round(edv - esv, 1),
        "lv_ef_pct": round(100.0 * (edv - esv) / edv, 1),
        "lv_mass_g": round(mass_g, 1),
        "lv_edv_index_ml_m2": round(edv / bsa, 1),
        "lv_esv_index_ml_m2": round(esv / bsa, 1),
        "lv_mass_index_g_m2": round(mass_g / bsa, 1),
        "max_wall_thickness_mm": round(thickest["mm"], 1),
        "max_wall_thickness_location": thickest["location"],
        "max_wall_thickness_aha_segment": thickest["segment"],
        "hypertrophy_pattern": case.heart.hypertrophy_pattern,
        "lge": "present" if lge_present else "absent",
        "lge_pattern": case.heart.lge_pattern,
        "lge_extent_pct": round(lge_extent_pct, 1) if lge_present else 0.0,
        "heart_rate_bpm": case.acquisition.heart_rate_bpm,
        "series": series,
        "planted_identifiers": planted,
    }
