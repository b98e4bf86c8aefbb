"""Synthetic cardiac MR studies with known ground truth (pure numpy + pydicom, no Django).

Each case is a folder of MR Image Storage files (one frame per file, Explicit VR Little Endian,
16-bit MONOCHROME2, 12 bits stored) holding a short-axis cine stack, 4-, 2- and 3-chamber cines
and a short-axis LGE stack, plus ``ground_truth.json`` with volumes, EF, mass, wall thickness,
hypertrophy and LGE pattern measured on the phantom as drawn, the expected kind of every series,
and the identifiers planted in the headers (for de-identification tests).

Public API::

    sample_case_params(*, seed, case_type=None, matrix=None, phases=None) -> CaseParams
    write_case(out_dir, *, params) -> dict            # the ground truth, also written to disk
    write_cases(out_dir, *, cases, seed, matrix=None, phases=None) -> list[Path]
    balanced_case_params(*, cases, seed, matrix=None, phases=None) -> list[CaseParams]  # as write_cases draws them
    derive_case_seed(*, seed, index) -> int
    CASE_TYPES = ("normal", "hcm_septal", "hcm_apical", "dcm")

Same seed, same bytes. Modules: ``case_params`` (sampling), ``geometry`` (patient-space planes),
``ventricles`` (beating LV/RV shape), ``anatomy`` (torso, contrasts), ``lge`` (enhancement
patterns), ``render`` (images), ``dicom_writer`` (tags), ``identifiers`` (planted values),
``vocabulary`` (vendor series names), ``ground_truth`` (measurements), ``cases`` (orchestration).
See ``ground_truth`` for the wall-thickness location convention (AHA segments).
"""

from cmr_reader.domain.synthetic.case_params import (
    CASE_TYPES,
    CaseParams,
    derive_case_seed,
    sample_case_params,
)
from cmr_reader.domain.synthetic.cases import GROUND_TRUTH_FILE, balanced_case_params, write_case, write_cases

__all__ = [
    "CASE_TYPES",
    "GROUND_TRUTH_FILE",
    "CaseParams",
    "balanced_case_params",
    "derive_case_seed",
    "sample_case_params",
    "write_case",
    "write_cases",
]
