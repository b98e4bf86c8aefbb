"""The dashboard's tables, shaped from a run's stored results. Pure: the template only formats.

The stored results keep English keys and sentences (the bundle's language); each row here is a
copy whose shown values are labels in the active language (``display_labels``,
``stored_sentences``), so a statistician reading in Chinese sees Chinese and the numbers are the
stored ones.
"""

from django.utils.translation import gettext as _

from cmr_reader.analysis.display_labels import criterion_labels, label
from cmr_reader.analysis.headline_counts import headline_counts
from cmr_reader.analysis.stored_sentences import translate_sentence
from cmr_reader.analysis.study_plots import arm_label


def tables(results: dict) -> dict:
    labels = criterion_labels(results)
    metrics = results.get("report_metrics", {})
    return {
        "counts": headline_counts(results["counts"]),
        "parameters": results["parameters"],
        # Stored in English (the bundle's language); a known text is shown translated.
        "missing_data_rule": _(results["parameters"]["missing_data_rule"]),
        "agreement_groups": _grouped(
            results["agreement"] + results["pairwise_kappa"], labels, _agreement_row
        ),
        "comparison_groups": _grouped(results["comparison"], labels, _comparison_row),
        "pair_items": [_pair_item_row(row) for row in results["pair_items"]],
        "report_metrics": report_metrics(metrics),
        "diagnosis_matrix": diagnosis_matrix(metrics.get("diagnosis_confusion", [])),
    }


def report_metrics(metrics: dict) -> dict:
    """The entity, critical-error, diagnostic-agreement and text-similarity rows, labelled."""
    return {
        "entity_accuracy": [
            {
                **row,
                "field": label("entity_field", row["field"]),
                "tolerance": translate_sentence(row.get("tolerance")),
                "method": translate_sentence(row.get("method")),
            }
            for row in metrics.get("entity_accuracy", [])
        ],
        "critical_errors": [
            {
                **row,
                "kind": label("critical_error", row["kind"]),
                "method": translate_sentence(row.get("method")),
            }
            for row in metrics.get("critical_errors", [])
        ],
        "diagnostic_agreement": [
            {
                **row,
                "analysis": label("diagnostic_analysis", row["analysis"]),
                "measure": label("measure", row["measure"]),
                "category": label("diagnosis", row.get("category")),
                "method": translate_sentence(row.get("method")),
            }
            for row in metrics.get("diagnostic_agreement", [])
        ],
        "text_similarity": [
            {
                **row,
                "language": label("report_language", row["language"]),
                "metric": label("text_metric", row["metric"]),
                "method": translate_sentence(row.get("method")),
            }
            for row in metrics.get("text_similarity", [])
        ],
    }


def diagnosis_matrix(rows: list[dict]) -> dict:
    """{"categories": [labels], "rows": [(reference label, [counts by AI category])]} for a grid."""
    categories = list(
        dict.fromkeys([row["reference_category"] for row in rows] + [row["ai_category"] for row in rows])
    )
    counts = {(row["reference_category"], row["ai_category"]): row["count"] for row in rows}
    return {
        "categories": [label("diagnosis", category) for category in categories],
        "rows": [
            (label("diagnosis", reference), [counts.get((reference, ai), 0) for ai in categories])
            for reference in categories
        ],
    }


def variant(row: dict) -> str:
    """What distinguishes rows of one coefficient: weights, level, ICC form, tolerance, reader pair."""
    parts = []
    if row.get("tolerance") is not None:
        parts.append(
            _("exact")
            if row["tolerance"] == 0
            else _("within %(points)d point") % {"points": row["tolerance"]}
        )
    if row.get("weights"):
        parts.append(label("weights", row["weights"]))
    if row.get("level"):
        parts.append(label("level", row["level"]))
    if row.get("form"):
        parts.append(row["form"])  # ICC1 ... ICC3k: Shrout-Fleiss names, the same in every language
    if row.get("raters"):
        parts.append(
            _("Light's mean") if row["raters"] == "light_mean" else row["raters"].replace("|", " · ")
        )
    return ", ".join(parts)


def _grouped(rows: list[dict], labels: dict[str, str], shape) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["criterion"], []).append(shape(row))
    return [{"key": key, "label": labels.get(key, key), "rows": group} for key, group in groups.items()]


def _agreement_row(row: dict) -> dict:
    return {
        **row,
        "arm_label": arm_label(row["arm"]),
        "variant": variant(row),
        "coefficient": label("coefficient", row["coefficient"]),
        "landis_koch": label("landis_koch", row.get("landis_koch")),
        "ci_method": translate_sentence(row.get("ci_method")),
    }


def _comparison_row(row: dict) -> dict:
    return {
        **row,
        "arm_label": arm_label(row["arm"]) if row.get("arm") else "",
        "who": row["reader_id"] or _("all readers"),
        "analysis": label("analysis", row["analysis"]),
        "conclusion": translate_sentence(row.get("conclusion")),
        "method": translate_sentence(row.get("method")),
        "counts": comparison_counts(row),
        "warning": comparison_warning(row),
    }


# Analyses that estimate something, and the field that is empty when the row abstains (the
# Wilcoxon row tests, so its result is the p-value; the others estimate a difference).
ESTIMATING = {
    "paired_difference": "estimate",
    "wilcoxon": "p_value",
    "bootstrap_mean_difference": "estimate",
    "mixed_model": "estimate",
    "ordinal_gee": "estimate",
}


def comparison_counts(row: dict) -> str:
    """n as the row counts it: cases for the paired and model rows (the tests' unit), with the
    readings beside them where those differ; scores for the descriptive rows."""
    cases, readings = row.get("n_cases"), row.get("n")
    if cases is not None and readings is not None and cases != readings:
        return _("%(cases)s cases (%(readings)s readings)") % {"cases": cases, "readings": readings}
    if cases is not None:
        return _("%(cases)s cases") % {"cases": cases}
    return "" if readings is None else str(readings)


def comparison_warning(row: dict) -> str:
    """What a reader of the table must know before using the row: a model not at its optimum, or
    an estimate left empty and why (the last phrase of the stored method)."""
    if row.get("converged") is False and row.get("estimate") is not None:
        return _("Not at the optimum: the optimiser did not confirm this fit; treat it with suspicion.")
    field = ESTIMATING.get(row.get("analysis", ""))
    if field and row.get(field) is None:
        return _("No estimate: %(reason)s") % {"reason": translate_sentence(_abstention_reason(row))}
    return ""


def _abstention_reason(row: dict) -> str:
    """The method's last phrase that is not the unit of analysis (which the table appends last)."""
    phrases = [phrase for phrase in (row.get("method") or "").split("; ") if not phrase.startswith("unit: ")]
    return phrases[-1] if phrases else ""


def _pair_item_row(row: dict) -> dict:
    return {
        **row,
        "item": label("pair_item", row["item"]),
        "category": label("pair_category", row["category"]),
        "method": translate_sentence(row.get("method")),
    }
