"""The demo model's task, without torch: its inputs, the report it learns to write, and its score.

The demo model (``inference/demo_model/``, trained by ``inference.demo_training``) reads a
synthetic CMR study through the ordinary input pipeline with ``DEMO_INPUT_CONFIG`` and writes
``target_report(truth)``: a short English report in the house style of
``cmr_reader.domain.synthetic.reports.reference_report``, one fixed wording per finding, so that all the
model has to learn is what the images show. ``score_reports`` reads reports back with the
metrics' entity extractor and counts what agrees with the ground truth.
"""

from dataclasses import dataclass
from pathlib import Path

from cmr_reader.domain.entities import extract_entities
from inference.inputs import InputConfig

DEMO_MODEL_PATH = Path(__file__).resolve().parent / "demo_model"
# End-diastole and mid-cycle of each cine, basal/mid/apical SAX cines, every LGE slice; the
# central 60% of the field of view (where the heart is) at the scanner's own resolution (112 x 112
# pixels, about 1.6 mm each; the 140 x 140 budget is not reached); the window's top at the 99.9th
# percentile, so that enhanced myocardium stays brighter than the blood pool instead of both
# clipping to white.
DEMO_INPUT_CONFIG = InputConfig(
    frames_per_cine=2,
    sax_slices="three",
    lge_slices="all",
    max_pixels=140 * 140,
    window_percentiles=(1.0, 99.9),
    centre_fraction=0.6,
)
THICKNESS_TOLERANCE_MM = 3.0

HYPERTROPHY = {
    "asymmetric_septal": "There is asymmetric septal hypertrophy with a maximal wall thickness of {mm} mm in the septum.",
    "apical": "There is apical hypertrophy with a maximal wall thickness of {mm} mm at the apex.",
    "none": "No left ventricular hypertrophy, with a maximal wall thickness of {mm} mm.",
}
LGE = {
    None: "No late gadolinium enhancement.",
    "patchy_midwall": "There is patchy mid-wall late gadolinium enhancement in the hypertrophied segments.",
    "rv_insertion": "Focal late gadolinium enhancement at the right ventricular insertion points.",
    "midwall_septal": "There is linear mid-wall late gadolinium enhancement in the septum.",
}
DIAGNOSIS = {
    "hcm_septal": "Hypertrophic cardiomyopathy with asymmetric septal hypertrophy.",
    "hcm_apical": "Apical hypertrophic cardiomyopathy.",
    "dcm": "Dilated cardiomyopathy.",
    "normal": "Normal cardiac MRI.",
}
# Upper limits of indexed LV end-diastolic volume (mL/m2), as cmr_reader.domain.synthetic.reports uses.
EDV_INDEX_UPPER = {"M": 105.0, "F": 96.0}


def target_report(truth: dict) -> str:
    """The report the demo model is trained to write for a ``ground_truth.json`` document.

    Findings first, each decided before the next is written (size, then hypertrophy with the
    thickness, then LGE), then the impression, so that each sentence can lean on the ones before.
    """
    size = "dilated" if lv_dilated(truth) else "not dilated"
    thickness = HYPERTROPHY[truth["hypertrophy_pattern"]].format(mm=round(truth["max_wall_thickness_mm"]))
    lge = LGE[truth["lge_pattern"] if truth["lge"] == "present" else None]
    return (
        f"Findings:\nThe left ventricle is {size}. {thickness} {lge}\n\n"
        f"Impression:\n{DIAGNOSIS[truth['case_type']]}"
    )


def lv_dilated(truth: dict) -> bool:
    """Whether the indexed LV end-diastolic volume is above the upper limit for the patient's sex."""
    upper = EDV_INDEX_UPPER.get(truth.get("patient", {}).get("sex"), 105.0)
    return truth["lv_edv_index_ml_m2"] > upper


@dataclass(frozen=True)
class CaseScore:
    case_type: str
    lge_correct: bool
    diagnosis_correct: bool
    hcm_correct: bool  # HCM or not, as the extractor reads the impression
    thickness_error_mm: float | None  # None: no thickness stated

    @property
    def thickness_within_tolerance(self) -> bool:
        return self.thickness_error_mm is not None and self.thickness_error_mm <= THICKNESS_TOLERANCE_MM


def score_report(text: str | None, truth: dict) -> CaseScore:
    """One report against its case's ground truth, as ``extract_entities`` reads it."""
    entities = extract_entities(text or "", lang="en")
    stated = entities["max_wall_thickness_mm"]
    return CaseScore(
        case_type=truth["case_type"],
        lge_correct=entities["lge"] == truth["lge"],
        diagnosis_correct=entities["diagnosis"] == truth["diagnosis"],
        hcm_correct=(entities["diagnosis"] == "hcm") == (truth["diagnosis"] == "hcm"),
        thickness_error_mm=None if stated is None else abs(stated - truth["max_wall_thickness_mm"]),
    )


def summarise_scores(scores: list[CaseScore]) -> dict:
    """Shares of cases right, overall and by case type (fractions in [0, 1])."""

    def shares(group: list[CaseScore]) -> dict:
        count = len(group)
        errors = [s.thickness_error_mm for s in group if s.thickness_error_mm is not None]
        return {
            "cases": count,
            "lge_correct": sum(s.lge_correct for s in group) / count,
            "diagnosis_correct": sum(s.diagnosis_correct for s in group) / count,
            "hcm_correct": sum(s.hcm_correct for s in group) / count,
            "thickness_within_3mm": sum(s.thickness_within_tolerance for s in group) / count,
            "thickness_mae_mm": sum(errors) / len(errors) if errors else None,
        }

    if not scores:
        raise ValueError("no scores to summarise")
    summary = shares(scores)
    summary["by_case_type"] = {
        kind: shares([s for s in scores if s.case_type == kind])
        for kind in sorted({s.case_type for s in scores})
    }
    return summary
