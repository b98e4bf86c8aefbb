"""A study's report pairs as flat, JSON-ready tables for the statistician's bundle and dashboard. Pure.

Each pair's reference and AI texts are read by ``extract_entities`` and compared by
``pair_metrics``; every figure comes from the package's own statistics (``pair_metrics``,
``diagnostic_agreement``, ``bland_altman``, ``text_similarity``), this module only lays them out.
Each table is a list of dicts keyed by its ``*_COLUMNS`` tuple. Values are str, int, float, bool
or None (NaN and infinity become None), so ``json.dumps`` takes the result as it is.

Missing statements: a field neither report states has outcome ``"absent"`` in ``entity_pairs``
and counts nowhere else. ``confusion_matrix`` has no "not stated" row or column: a pair whose
reference or AI report states no diagnosis is left out of ``diagnosis_confusion`` and of the
7-class agreement (as in kappa); those pairs are the ``diagnosis`` row's omitted and additions in
``entity_accuracy``, and the HCM and obstruction analyses say how they count them (``method``).
"""

from collections.abc import Sequence
from typing import NamedTuple

from cmr_reader.analysis.diagnostic_agreement import (
    DIAGNOSES,
    Proportion,
    confusion_matrix,
    diagnosis_agreement,
    hcm_agreement,
    obstruction_agreement,
    wilson_proportion,
)
from cmr_reader.analysis.jsonable import json_ready
from cmr_reader.domain.entities.bland_altman import bland_altman_by_field
from cmr_reader.domain.entities.extract import extract_entities
from cmr_reader.domain.entities.language import LANGUAGES, resolve_language
from cmr_reader.domain.entities.pair_metrics import (
    CriticalError,
    EntityMetrics,
    FieldCounts,
    PairComparison,
    aggregate_comparisons,
    compare_records,
)
from cmr_reader.domain.entities.record import FIELDS, NUMERIC_FIELDS
from cmr_reader.domain.entities.text_similarity import corpus_text_similarity
from cmr_reader.domain.entities.tolerances import DEFAULT_TOLERANCES, Tolerances

ENTITY_PAIRS_COLUMNS = (
    "case_id",
    "field",
    "reference_value",
    "ai_value",
    "outcome",
    "difference",
    "crossed_threshold",
)
ENTITY_ACCURACY_COLUMNS = (
    "field",
    "n_reference",
    "correct",
    "wrong",
    "omitted",
    "additions",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "mae",
    "tolerance",
    "method",
)
CRITICAL_ERRORS_COLUMNS = ("kind", "count", "n_pairs", "rate", "ci_low", "ci_high", "method")
BLAND_ALTMAN_COLUMNS = (
    "field",
    "n",
    "bias",
    "sd",
    "loa_low",
    "loa_high",
    "bias_ci_low",
    "bias_ci_high",
    "loa_low_ci_low",
    "loa_low_ci_high",
    "loa_high_ci_low",
    "loa_high_ci_high",
    "unit",
    "points",
)
DIAGNOSIS_CONFUSION_COLUMNS = ("reference_category", "ai_category", "count")
# measure: percent_agreement, cohen_kappa, sensitivity, specificity, ppv, npv or f1. category: the
# class scored (7-class rows) or the positive class of a binary analysis. n: the pairs the
# estimate divides by (proportions) or is computed over (kappa and F1: the stated pairs).
DIAGNOSTIC_AGREEMENT_COLUMNS = (
    "analysis",
    "measure",
    "category",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "method",
)
TEXT_SIMILARITY_COLUMNS = ("language", "metric", "score", "n_pairs", "method")
TABLE_COLUMNS = {
    "entity_pairs": ENTITY_PAIRS_COLUMNS,
    "entity_accuracy": ENTITY_ACCURACY_COLUMNS,
    "critical_errors": CRITICAL_ERRORS_COLUMNS,
    "bland_altman": BLAND_ALTMAN_COLUMNS,
    "diagnosis_confusion": DIAGNOSIS_CONFUSION_COLUMNS,
    "diagnostic_agreement": DIAGNOSTIC_AGREEMENT_COLUMNS,
    "text_similarity": TEXT_SIMILARITY_COLUMNS,
}

NOT_STATED = "absent"  # the outcome when neither report states the field
ANY_CRITICAL_ERROR = "any"
UNITS = {"_ml_m2": "mL/m2", "_g_m2": "g/m2", "_ml": "mL", "_g": "g", "_pct": "%", "_mm": "mm"}
PER_FIELD_METHOD = (
    "pair_metrics: accuracy = correct / (correct + wrong + omitted); precision = TP / (TP + FP), "
    "recall = TP / (TP + FN), TP = correct, FP = wrong + added, FN = wrong + omitted; "
    "MAE = mean |AI - reference| over pairs stating both"
)
MICRO_METHOD = "micro: counts pooled over all fields, then the per-field formulas; no MAE across units"
MACRO_METHOD = (
    "macro: unweighted mean of per-field precision, recall and F1 over the fields where each is "
    "defined (F1 is the mean of per-field F1); pair_metrics defines no macro accuracy"
)
HCM_SCOPE = "pairs whose reference states a diagnosis; an unstated AI diagnosis is not HCM"
OBSTRUCTION_SCOPE = (
    "pairs whose reference states obstruction either way (hcm_obstruction or lvot_obstruction); "
    "an AI report saying neither is non-obstructive"
)
TEXT_METRICS = {
    "bleu4": "corpus BLEU-4 on a 0-1 scale",
    "rouge_l_f1": "mean per-pair ROUGE-L F1",
    "chrf": "corpus chrF on a 0-1 scale",
}


class ReportPair(NamedTuple):
    case_id: str
    reference_text: str
    ai_text: str
    language: str = ""  # "en", "zh", or "" to detect each text's language


def report_metric_tables(
    pairs: Sequence[ReportPair],
    *,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    confidence_level: float = 0.95,
) -> dict[str, list[dict]]:
    """Every entity, agreement and text-similarity table of a study's report pairs (``TABLE_COLUMNS``).

    No pairs gives every table empty. Tables whose statistic needs more data than there is
    leave rows out rather than fail: Bland-Altman needs two pairs stating a number on both sides,
    the 7-class diagnosis agreement two pairs stating a diagnosis on both sides, a binary analysis
    one pair it counts, and text similarity a non-blank reference text.
    """
    if not pairs:
        return {name: [] for name in TABLE_COLUMNS}
    references = [extract_entities(pair.reference_text, lang=pair.language or "auto") for pair in pairs]
    ais = [extract_entities(pair.ai_text, lang=pair.language or "auto") for pair in pairs]
    comparisons = [
        compare_records(ai=ai, reference=reference, tolerances=tolerances)
        for ai, reference in zip(ais, references, strict=True)
    ]
    metrics = aggregate_comparisons(comparisons, confidence_level=confidence_level)
    tables = {
        "entity_pairs": _entity_pair_rows(pairs, references, ais, comparisons),
        "entity_accuracy": _entity_accuracy_rows(metrics, tolerances),
        "critical_errors": _critical_error_rows(comparisons, metrics, confidence_level),
        "bland_altman": _bland_altman_rows(references, ais, confidence_level),
        "diagnosis_confusion": _diagnosis_confusion_rows(references, ais),
        "diagnostic_agreement": _diagnostic_agreement_rows(references, ais, confidence_level),
        "text_similarity": _text_similarity_rows(pairs),
    }
    return {name: [json_ready(row) for row in rows] for name, rows in tables.items()}


def _entity_pair_rows(pairs, references, ais, comparisons: list[PairComparison]) -> list[dict]:
    rows = []
    for pair, reference, ai, comparison in zip(pairs, references, ais, comparisons, strict=True):
        for name in FIELDS:
            want, got = reference[name], ai[name]
            both_numbers = name in NUMERIC_FIELDS and want is not None and got is not None
            outcome = comparison.outcomes.get(name)
            rows.append(
                {
                    "case_id": pair.case_id,
                    "field": name,
                    "reference_value": _scalar(name, want),
                    "ai_value": _scalar(name, got),
                    "outcome": NOT_STATED if outcome is None else outcome.value,
                    "difference": float(got) - float(want) if both_numbers else None,
                    "crossed_threshold": name in comparison.crossed_thresholds if both_numbers else None,
                }
            )
    return rows


def _entity_accuracy_rows(metrics: EntityMetrics, tolerances: Tolerances) -> list[dict]:
    mae = metrics.mean_absolute_error
    rows = [
        _counts_row(name, counts, mae=mae.get(name), tolerance=_tolerance_text(name, tolerances))
        for name, counts in metrics.per_field.items()
    ]
    per_field = f"each field's own rule (tolerances {tolerances.version})"
    rows.append(_counts_row("micro", metrics.micro, mae=None, tolerance=per_field, method=MICRO_METHOD))
    rows.append(
        {
            **dict.fromkeys(ENTITY_ACCURACY_COLUMNS),
            "field": "macro",
            "precision": metrics.macro_precision,
            "recall": metrics.macro_recall,
            "f1": metrics.macro_f1,
            "tolerance": per_field,
            "method": MACRO_METHOD,
        }
    )
    return rows


def _counts_row(name: str, counts: FieldCounts, *, mae, tolerance: str, method=PER_FIELD_METHOD) -> dict:
    return {
        "field": name,
        "n_reference": counts.correct + counts.wrong + counts.omitted,
        "correct": counts.correct,
        "wrong": counts.wrong,
        "omitted": counts.omitted,
        "additions": counts.added,
        "accuracy": counts.accuracy,
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": counts.f1,
        "mae": mae,
        "tolerance": tolerance,
        "method": method,
    }


def _tolerance_text(name: str, tolerances: Tolerances) -> str:
    if name not in NUMERIC_FIELDS:
        return "exact category match ('uncertain' matches only 'uncertain')"
    unit = _unit(name)
    text = f"|AI - reference| <= {tolerances.absolute[name]:g} {'percentage points' if unit == '%' else unit}"
    thresholds = tolerances.thresholds.get(name, ())
    if thresholds:
        text += " and on the same side of " + " and ".join(f"{t:g} {unit}" for t in thresholds)
    return f"{text} (tolerances {tolerances.version})"


def _critical_error_rows(
    comparisons: list[PairComparison], metrics: EntityMetrics, confidence_level: float
) -> list[dict]:
    counts = {kind.value: metrics.critical_error_counts[kind] for kind in CriticalError}
    counts[ANY_CRITICAL_ERROR] = sum(1 for comparison in comparisons if comparison.critical_errors)
    method = f"pairs with the error / all pairs; Wilson score {confidence_level:.0%} interval"
    rows = []
    for kind, count in counts.items():
        share = wilson_proportion(successes=count, n=len(comparisons), confidence_level=confidence_level)
        rows.append(
            {
                "kind": kind,
                "count": count,
                "n_pairs": share.n,
                "rate": share.estimate,
                "ci_low": share.ci_low,
                "ci_high": share.ci_high,
                "method": method,
            }
        )
    return rows


def _bland_altman_rows(references: list[dict], ais: list[dict], confidence_level: float) -> list[dict]:
    results = bland_altman_by_field(
        ai_records=ais, reference_records=references, confidence_level=confidence_level
    )
    rows = []
    for name, result in results.items():
        if result is None:
            continue
        paired = [
            (float(ai[name]), float(reference[name]))
            for ai, reference in zip(ais, references, strict=True)
            if ai[name] is not None and reference[name] is not None
        ]
        rows.append(
            {
                "field": name,
                "n": result.n,
                "bias": result.bias,
                "sd": result.sd,
                "loa_low": result.lower_limit,
                "loa_high": result.upper_limit,
                "bias_ci_low": result.bias_ci[0],
                "bias_ci_high": result.bias_ci[1],
                "loa_low_ci_low": result.lower_limit_ci[0],
                "loa_low_ci_high": result.lower_limit_ci[1],
                "loa_high_ci_low": result.upper_limit_ci[0],
                "loa_high_ci_high": result.upper_limit_ci[1],
                "unit": _unit(name),
                # (mean, AI - reference) per pair, in case order: the plot's points.
                "points": [[(got + want) / 2, got - want] for got, want in paired],
            }
        )
    return rows


def _diagnosis_confusion_rows(references: list[dict], ais: list[dict]) -> list[dict]:
    table = confusion_matrix(
        reference=[record["diagnosis"] for record in references], ai=[record["diagnosis"] for record in ais]
    )
    return [
        {"reference_category": want, "ai_category": got, "count": int(table[i, j])}
        for i, want in enumerate(DIAGNOSES)
        for j, got in enumerate(DIAGNOSES)
    ]


def _diagnostic_agreement_rows(
    references: list[dict], ais: list[dict], confidence_level: float
) -> list[dict]:
    wilson = f"Wilson score {confidence_level:.0%} interval"
    rows = _diagnosis_rows(references, ais, confidence_level, wilson)
    binary = (
        ("hcm_vs_not_hcm", "hcm", hcm_agreement, HCM_SCOPE),
        ("obstructive_vs_non_obstructive", "obstructive", obstruction_agreement, OBSTRUCTION_SCOPE),
    )
    for analysis, positive, agreement, scope in binary:
        result = agreement(reference_records=references, ai_records=ais, confidence_level=confidence_level)
        if result.percent_agreement.n == 0:
            continue
        for measure in ("sensitivity", "specificity", "ppv", "npv", "percent_agreement"):
            rows.append(
                _row(analysis, measure, positive, *_share(getattr(result, measure)), f"{scope}; {wilson}")
            )
    return rows


def _diagnosis_rows(
    references: list[dict], ais: list[dict], confidence_level: float, wilson: str
) -> list[dict]:
    reference = [record["diagnosis"] for record in references]
    ai = [record["diagnosis"] for record in ais]
    stated = sum(1 for want, got in zip(reference, ai, strict=True) if want and got)
    # Cohen's kappa needs two pairs; with fewer, the 7-class analysis has no rows at all.
    if stated < 2:
        return []
    result = diagnosis_agreement(reference=reference, ai=ai, confidence_level=confidence_level)
    kappa = result.kappa
    scope = "the 7 declared diagnoses, pairs stating one on both sides"
    agreement_method = f"trace / n over {scope}; {wilson}"
    kappa_cells = (kappa.estimate, kappa.ci_low, kappa.ci_high, kappa.n_subjects)
    kappa_method = f"unweighted Cohen (1960) kappa over {scope}; {kappa.ci_method}"
    rows = [
        _row("diagnosis", "percent_agreement", None, *_share(result.percent_agreement), agreement_method),
        _row("diagnosis", "cohen_kappa", None, *kappa_cells, kappa_method),
    ]
    f1_method = "2 n_kk / (n_k. + n_.k); no interval"
    for name, scores in result.per_class.items():
        rows += [
            _row("diagnosis", "sensitivity", name, *_share(scores.sensitivity), f"n_kk / n_k.; {wilson}"),
            _row("diagnosis", "ppv", name, *_share(scores.ppv), f"n_kk / n_.k; {wilson}"),
            _row("diagnosis", "f1", name, scores.f1, None, None, stated, f1_method),
        ]
    return rows


def _row(*values) -> dict:
    return dict(zip(DIAGNOSTIC_AGREEMENT_COLUMNS, values, strict=True))


def _share(proportion: Proportion) -> tuple:
    return proportion.estimate, proportion.ci_low, proportion.ci_high, proportion.n


def _text_similarity_rows(pairs: Sequence[ReportPair]) -> list[dict]:
    # A blank reference has nothing to score against (corpus_text_similarity refuses it).
    scored = [
        (resolve_language(text=f"{pair.ai_text}\n{pair.reference_text}", lang=pair.language or "auto"), pair)
        for pair in pairs
        if pair.reference_text.strip()
    ]
    # Per language only: scores under different tokenisations (13a words, Chinese characters) do
    # not pool into one meaningful number, and a pooled pass would double the time (ROUGE-L's LCS
    # is pure Python: about 3 ms a pair).
    groups = [(lang, lang, [pair for language, pair in scored if language == lang]) for lang in LANGUAGES]
    rows = []
    for label, lang, group in groups:
        if not group:
            continue
        result = corpus_text_similarity(
            candidates=[pair.ai_text for pair in group],
            references=[pair.reference_text for pair in group],
            lang=lang,
        )
        versions = f"sacrebleu {result.sacrebleu_version}, rouge-score {result.rouge_score_version}"
        for metric, description in TEXT_METRICS.items():
            rows.append(
                {
                    "language": label,
                    "metric": metric,
                    "score": getattr(result, metric),
                    "n_pairs": result.pairs,
                    "method": f"{description}; {result.tokenization}; {versions}",
                }
            )
    return rows


def _unit(name: str) -> str:
    return next(unit for suffix, unit in UNITS.items() if name.endswith(suffix))


def _scalar(name: str, value) -> str | float | None:
    """A record value as a table cell: numbers as floats, categories (an AHA segment too) as text."""
    if value is None:
        return None
    return float(value) if name in NUMERIC_FIELDS else str(value)
