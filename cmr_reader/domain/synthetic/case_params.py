"""Sampling the parameters of one synthetic case from its seed.

Everything random about a case (patient, heart shape, disease, scanner, naming) is drawn here
from ``numpy.random.default_rng(seed)`` so that the same seed always gives the same case.
The drawing code never calls the clock or any global random state.
"""

import math
from dataclasses import dataclass

import numpy as np

from cmr_reader.domain.synthetic.geometry import SLICE_SPACING_MM
from cmr_reader.domain.synthetic.vocabulary import ACQUISITION_ORDER, choose_description

CASE_TYPES = ("normal", "hcm_septal", "hcm_apical", "dcm")
DIAGNOSIS = {"normal": "normal", "hcm_septal": "hcm", "hcm_apical": "hcm", "dcm": "dcm"}
MANUFACTURERS = {
    "SIEMENS": ("Avanto", "Aera", "Skyra", "Prisma", "MAGNETOM Sola"),
    "GE MEDICAL SYSTEMS": ("Signa HDxt", "DISCOVERY MR450", "SIGNA Artist", "Optima MR450w"),
    "Philips Medical Systems": ("Ingenia", "Achieva", "Ingenia Elition X"),
}
SOFTWARE = {
    "SIEMENS": ("syngo MR E11", "syngo MR XA20", "syngo MR B17"),
    "GE MEDICAL SYSTEMS": (
        "27\\LX\\MR Software release:DV26.0_R03",
        "25\\LX\\MR Software release:DV25.0_R02",
    ),
    "Philips Medical Systems": ("5.6.1\\5.6.1.2", "5.3.0\\5.3.0.3"),
}
MIN_SAX_SLICES, MAX_SAX_SLICES = 8, 12


@dataclass(frozen=True, kw_only=True)
class PatientParams:
    sex: str
    age_years: int
    height_m: float
    weight_kg: float


@dataclass(frozen=True, kw_only=True)
class HeartParams:
    """The left ventricle at end-diastole, in millimetres, in the heart's own frame.

    The cavity is half a prolate ellipsoid: radius ``cavity_radius_mm`` at the base plane (z = 0)
    narrowing to the endocardial apex at z = ``cavity_length_mm``. The wall has a baseline thickness
    plus an optional Gaussian bump (the hypertrophy) centred at ``hypertrophy_angle_deg`` (SAX angle,
    0 = lateral, 90 = anterior, 180 = septal) and ``hypertrophy_z_mm``.
    """

    cavity_radius_mm: float
    cavity_length_mm: float
    wall_thickness_mm: float
    apical_cap_mm: float
    hypertrophy_pattern: str
    hypertrophy_peak_mm: float
    hypertrophy_angle_deg: float
    hypertrophy_z_mm: float
    ejection_fraction: float
    lge_pattern: str | None
    lge_seed: int


@dataclass(frozen=True, kw_only=True)
class SeriesPlan:
    kind: str
    number: int
    description: str


@dataclass(frozen=True, kw_only=True)
class AcquisitionParams:
    manufacturer: str
    model_name: str
    software_version: str
    field_strength_t: float
    heart_rate_bpm: int
    phases: int
    matrix: int
    fov_mm: float
    first_slice_z_mm: float
    sax_slices: int
    es_fraction: float
    inversion_time_ms: float
    base_center_mm: tuple[float, float, float]
    long_axis: tuple[float, float, float]
    sax_lateral_offset_mm: float
    lax_rotations_deg: tuple[float, float, float]
    signal_scale: float
    series: tuple[SeriesPlan, ...]

    @property
    def pixel_spacing_mm(self) -> float:
        return self.fov_mm / self.matrix

    @property
    def rr_interval_ms(self) -> float:
        return 60000.0 / self.heart_rate_bpm

    @property
    def slice_z_mm(self) -> np.ndarray:
        return self.first_slice_z_mm + SLICE_SPACING_MM * np.arange(self.sax_slices)


@dataclass(frozen=True, kw_only=True)
class CaseParams:
    seed: int
    case_type: str
    patient: PatientParams
    heart: HeartParams
    acquisition: AcquisitionParams

    @property
    def diagnosis(self) -> str:
        return DIAGNOSIS[self.case_type]


def derive_case_seed(*, seed: int, index: int) -> int:
    """The seed of case ``index`` in a batch seeded with ``seed`` (numpy SeedSequence spawning)."""
    state = np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint32)
    return int(state[0])


def sample_case_params(
    *, seed: int, case_type: str | None = None, matrix: int | None = None, phases: int | None = None
) -> CaseParams:
    """Draw a complete case from ``seed``; ``case_type`` defaults to one drawn from the seed.

    ``matrix`` and ``phases`` override the scanner's choice (tests use small images); the field of
    view is kept, so the pixel spacing grows and measurements stay in millimetres.
    """
    rng = np.random.default_rng(seed)
    chosen_type = case_type or CASE_TYPES[int(rng.integers(len(CASE_TYPES)))]
    if chosen_type not in CASE_TYPES:
        raise ValueError(f"unknown case type {chosen_type!r}; expected one of {CASE_TYPES}")
    patient = _sample_patient(rng=rng, case_type=chosen_type)
    scanner = _sample_scanner(rng=rng, case_type=chosen_type, matrix=matrix, phases=phases)
    heart, first_z, slices = _sample_heart(rng=rng, case_type=chosen_type, patient=patient)
    acquisition = AcquisitionParams(first_slice_z_mm=first_z, sax_slices=slices, **scanner)
    return CaseParams(seed=seed, case_type=chosen_type, patient=patient, heart=heart, acquisition=acquisition)


def _sample_patient(*, rng: np.random.Generator, case_type: str) -> PatientParams:
    sex = "M" if rng.random() < (0.65 if case_type != "normal" else 0.5) else "F"
    height = rng.normal(1.77 if sex == "M" else 1.64, 0.07)
    bmi = rng.uniform(20.0, 31.0)
    return PatientParams(
        sex=sex,
        age_years=int(rng.integers(18, 80)),
        height_m=round(float(np.clip(height, 1.50, 1.98)), 2),
        weight_kg=round(float(bmi * height**2), 1),
    )


def _sample_scanner(
    *, rng: np.random.Generator, case_type: str, matrix: int | None, phases: int | None
) -> dict:
    manufacturer = list(MANUFACTURERS)[int(rng.integers(len(MANUFACTURERS)))]
    models = MANUFACTURERS[manufacturer]
    software = SOFTWARE[manufacturer]
    low, high = (62, 90) if case_type == "dcm" else (55, 86)
    axis = np.array([0.55, -0.45, -0.70]) + rng.normal(0.0, 0.08, 3)
    base = np.array([18.0, -22.0, 12.0]) + rng.normal(0.0, 6.0, 3)
    # Draw the scanner's own choices even when overridden, so overrides leave every other draw alone.
    drawn_phases, drawn_matrix = int(rng.choice([20, 25, 25, 30])), int(rng.choice([192, 208]))
    series, number = [], int(rng.integers(2, 7))
    for kind in ACQUISITION_ORDER:
        # LGE comes after contrast and a pause, so its series number jumps.
        number += int(rng.integers(1, 3)) + (int(rng.integers(3, 9)) if kind == "lge_sax" else 0)
        description = choose_description(rng=rng, manufacturer=manufacturer, kind=kind, series_number=number)
        series.append(SeriesPlan(kind=kind, number=number, description=description))
    return {
        "manufacturer": manufacturer,
        "model_name": models[int(rng.integers(len(models)))],
        "software_version": software[int(rng.integers(len(software)))],
        "field_strength_t": 1.5 if rng.random() < 0.7 else 3.0,
        "heart_rate_bpm": int(rng.integers(low, high + 1)),
        "phases": phases or drawn_phases,
        "matrix": matrix or drawn_matrix,
        "fov_mm": float(rng.uniform(300.0, 350.0)),
        "es_fraction": float(rng.uniform(0.30, 0.40)),
        "inversion_time_ms": float(round(rng.uniform(250.0, 350.0))),
        "base_center_mm": tuple(float(v) for v in base),
        "long_axis": tuple(float(v) for v in axis / np.linalg.norm(axis)),
        "sax_lateral_offset_mm": float(rng.uniform(8.0, 22.0)),
        "lax_rotations_deg": tuple(float(v) for v in rng.uniform(-20.0, 20.0, 3)),
        "signal_scale": float(rng.uniform(0.85, 1.15)),
        "series": tuple(series),
    }


def _sample_heart(
    *, rng: np.random.Generator, case_type: str, patient: PatientParams
) -> tuple[HeartParams, float, int]:
    # Heart volume scales with body surface area (Mosteller), so linear size with its cube root.
    bsa = math.sqrt(patient.height_m * 100.0 * patient.weight_kg / 3600.0)
    small = (bsa / 1.9) ** (1.0 / 3.0) * (0.96 if patient.sex == "F" else 1.0)
    if case_type == "normal":
        radius, length, wall = rng.uniform(25, 29) * small, rng.uniform(86, 96) * small, rng.uniform(7, 9.4)
        cap, ef = rng.uniform(5.5, 7.5), rng.uniform(0.58, 0.70)
    elif case_type == "dcm":
        radius, length, wall = (
            rng.uniform(33, 37.5) * small,
            rng.uniform(98, 106) * small,
            rng.uniform(6, 8.2),
        )
        cap, ef = rng.uniform(5, 6.5), rng.uniform(0.18, 0.36)
    else:
        radius, length, wall = rng.uniform(20, 24) * small, rng.uniform(76, 88) * small, rng.uniform(9, 11)
        cap, ef = rng.uniform(7, 9), rng.uniform(0.64, 0.76)
    apical_peak = rng.uniform(16.0, 24.0)
    if case_type == "hcm_apical":
        # Apical HCM thickens the cap too; the stack must still reach past it.
        cap = apical_peak * rng.uniform(0.8, 0.95)
    first_z = float(rng.uniform(2.0, 6.0))
    slices = math.ceil((length + cap - first_z) / SLICE_SPACING_MM) + 1
    slices = int(np.clip(slices, MIN_SAX_SLICES, MAX_SAX_SLICES))
    slice_z = first_z + SLICE_SPACING_MM * np.arange(slices)
    pattern, peak, angle, peak_z = "none", 0.0, 180.0, 0.0
    lge_pattern = None
    if case_type == "hcm_septal":
        pattern, peak, angle = "asymmetric_septal", rng.uniform(16.0, 28.5), rng.uniform(165.0, 215.0)
        # The bump sits exactly on a basal or mid slice so the drawn maximum is the sampled one.
        basal_mid = slice_z[(slice_z > 0.12 * length) & (slice_z < 0.6 * length)]
        peak_z = float(basal_mid[int(rng.integers(len(basal_mid)))])
        if rng.random() < 0.65:
            lge_pattern = "patchy_midwall" if rng.random() < 0.6 else "rv_insertion"
    elif case_type == "hcm_apical":
        pattern, peak, angle = "apical", apical_peak, rng.uniform(60.0, 200.0)
        apical = slice_z[slice_z < length - 2.0]
        peak_z = float(apical[np.argmin(np.abs(apical - 0.85 * length))])
        if rng.random() < 0.5:
            lge_pattern = "patchy_midwall"
    elif case_type == "dcm" and rng.random() < 0.35:
        lge_pattern = "midwall_septal"
    heart = HeartParams(
        cavity_radius_mm=float(radius),
        cavity_length_mm=float(length),
        wall_thickness_mm=float(wall),
        apical_cap_mm=float(cap),
        hypertrophy_pattern=pattern,
        hypertrophy_peak_mm=float(peak),
        hypertrophy_angle_deg=float(angle),
        hypertrophy_z_mm=float(peak_z),
        ejection_fraction=float(ef),
        lge_pattern=lge_pattern,
        lge_seed=int(rng.integers(2**31)),
    )
    return heart, first_z, slices
