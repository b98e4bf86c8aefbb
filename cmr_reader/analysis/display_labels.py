"""Labels, in the active language, for the values an analysis run stores in English. Pure.

The stored results (and the bundle made from them) keep stable English keys and words, such as
``fleiss_kappa``, ``substantial``, ``lge_presence`` or ``hcm``, because they are a research record
(``bundle.BUNDLE_LANGUAGE``). The dashboard shows them through ``label(kind, value)``, which knows
each kind of stored value; a value it does not know is shown as it is. Sentences (methods,
conclusions, tolerances) are translated by ``stored_sentences``.

Short English words take a context (``pgettext_lazy``), so that "fair" or "other" here can be
translated apart from the same word elsewhere in the site.
"""

from django.utils.functional import Promise
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cmr_reader.studies import study_texts
from cmr_reader.studies.questionnaire import ERROR_CATEGORY_LABELS

COEFFICIENTS = {
    "percent_agreement": _("Percent agreement"),
    "cohen_kappa": _("Cohen's kappa"),
    "fleiss_kappa": _("Fleiss' kappa"),
    "krippendorff_alpha": _("Krippendorff's alpha"),
    "gwet_ac1": _("Gwet's AC1"),
    "gwet_ac2": _("Gwet's AC2"),
    "icc": _("Intraclass correlation (ICC)"),
}
WEIGHTS = {
    "none": pgettext_lazy("kappa weights", "unweighted"),
    "linear": pgettext_lazy("kappa weights", "linear weights"),
    "quadratic": pgettext_lazy("kappa weights", "quadratic weights"),
}
LEVELS = {
    "nominal": pgettext_lazy("level of measurement", "nominal"),
    "ordinal": pgettext_lazy("level of measurement", "ordinal"),
    "interval": pgettext_lazy("level of measurement", "interval"),
    "ratio": pgettext_lazy("level of measurement", "ratio"),
}
# Landis & Koch (1977) strength of agreement (agreement.labels).
LANDIS_KOCH = {
    "poor": pgettext_lazy("strength of agreement", "poor"),
    "slight": pgettext_lazy("strength of agreement", "slight"),
    "fair": pgettext_lazy("strength of agreement", "fair"),
    "moderate": pgettext_lazy("strength of agreement", "moderate"),
    "substantial": pgettext_lazy("strength of agreement", "substantial"),
    "almost perfect": pgettext_lazy("strength of agreement", "almost perfect"),
}
ANALYSES = {
    "descriptives": _("Descriptive statistics"),
    "paired_difference": _("Paired difference (AI minus reference)"),
    "wilcoxon": _("Wilcoxon signed-rank test"),
    "bootstrap_mean_difference": _("Bootstrap mean difference"),
    "non_inferiority": _("Non-inferiority"),
    "mixed_model": _("Linear mixed model"),
    "ordinal_gee": _("Ordinal GEE"),
}
PAIR_ITEMS = {
    "preference": _("Preferred report"),
    "ai_guess": _("Which report is the AI's?"),
    "ai_errors": _("Errors in the AI report"),
    "reference_errors": _("Errors in the reference report"),
}
PAIR_CATEGORIES = {
    "ai": _("AI report preferred"),
    "equal": pgettext_lazy("preference", "equal"),
    "reference": _("Reference report preferred"),
    "correct": _("guessed right"),
    "unsure": pgettext_lazy("AI guess", "unsure"),
    "any_error": _("any clinically significant error"),
    **ERROR_CATEGORY_LABELS,
}
ENTITY_FIELDS = {
    "lv_edv_ml": _("LV end-diastolic volume (mL)"),
    "lv_esv_ml": _("LV end-systolic volume (mL)"),
    "lv_mass_g": _("LV mass (g)"),
    "lv_ef_pct": _("LV ejection fraction (percent)"),
    "rv_ef_pct": _("RV ejection fraction (percent)"),
    "lv_edv_index_ml_m2": _("LV end-diastolic volume index (mL/m²)"),
    "lv_mass_index_g_m2": _("LV mass index (g/m²)"),
    "max_wall_thickness_mm": _("Maximum wall thickness (mm)"),
    "max_wall_thickness_location": _("Site of maximum wall thickness"),
    "hypertrophy_pattern": _("Hypertrophy pattern"),
    "sam": _("Systolic anterior motion (SAM)"),
    "lvot_obstruction": _("LVOT obstruction"),
    "apical_aneurysm": _("Apical aneurysm"),
    "lge": _("LGE present or absent"),
    "lge_pattern": _("LGE pattern"),
    "lge_extent_pct": _("LGE extent (percent)"),
    "pericardial_effusion": _("Pericardial effusion"),
    "diagnosis": pgettext_lazy("report entity", "Diagnosis"),
    "hcm_obstruction": _("HCM obstruction"),
    "micro": _("All fields (micro-average)"),
    "macro": _("All fields (macro-average)"),
}
CRITICAL_ERRORS = {
    "lge_presence": _("LGE presence wrong"),
    "hcm_diagnosis": _("HCM diagnosis wrong"),
    "missed_obstruction": _("Obstruction missed"),
    "threshold_crossing": _("Value across a clinical threshold"),
    "any": _("Any critical error"),
}
DIAGNOSTIC_ANALYSES = {
    "diagnosis": _("Diagnosis (7 categories)"),
    "hcm_vs_not_hcm": _("HCM versus not HCM"),
    "obstructive_vs_non_obstructive": _("Obstructive versus non-obstructive"),
}
MEASURES = {
    "percent_agreement": _("Percent agreement"),
    "cohen_kappa": _("Cohen's kappa"),
    "sensitivity": _("Sensitivity"),
    "specificity": _("Specificity"),
    "ppv": _("Positive predictive value"),
    "npv": _("Negative predictive value"),
    "f1": "F1",
}
# record.CATEGORICAL_VALUES["diagnosis"], and the positive class of the obstruction analysis.
DIAGNOSES = {
    "hcm": _("Hypertrophic cardiomyopathy"),
    "normal": pgettext_lazy("diagnosis", "normal"),
    "dcm": _("Dilated cardiomyopathy"),
    "ischemic": _("Ischaemic cardiomyopathy"),
    "amyloidosis": _("Cardiac amyloidosis"),
    "myocarditis": _("Myocarditis"),
    "other": pgettext_lazy("diagnosis", "other"),
    "obstructive": pgettext_lazy("HCM obstruction", "obstructive"),
}
REPORT_LANGUAGES = {
    "en": _("English"),
    "zh": _("Chinese"),
}
# Metric names are symbols, the same in every language.
TEXT_METRICS = {"bleu4": "BLEU-4", "rouge_l_f1": "ROUGE-L F1", "chrf": "chrF"}

KINDS: dict[str, dict[str, str | Promise]] = {
    "coefficient": COEFFICIENTS,
    "weights": WEIGHTS,
    "level": LEVELS,
    "landis_koch": LANDIS_KOCH,
    "analysis": ANALYSES,
    "pair_item": PAIR_ITEMS,
    "pair_category": PAIR_CATEGORIES,
    "entity_field": ENTITY_FIELDS,
    "critical_error": CRITICAL_ERRORS,
    "diagnostic_analysis": DIAGNOSTIC_ANALYSES,
    "measure": MEASURES,
    "diagnosis": DIAGNOSES,
    "report_language": REPORT_LANGUAGES,
    "text_metric": TEXT_METRICS,
}


def label(kind: str, value):
    """The label of a stored ``value`` of ``kind`` in the active language; None stays None and an
    unknown value (a study's own error category, a newer key) is returned unchanged."""
    if value is None:
        return None
    known = KINDS[kind].get(value)
    return value if known is None else str(known)


def criterion_labels(results: dict) -> dict[str, str]:
    """criterion key -> the study's own label in the active language (its Chinese label on a
    Chinese page, where it has one), from a run's stored results (the study's wording)."""
    language = get_language()
    return {
        c["key"]: study_texts.choose(c["label"], c.get("label_zh", ""), language)
        for c in results.get("criteria", [])
    }
