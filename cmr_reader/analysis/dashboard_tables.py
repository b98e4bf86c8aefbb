"""The dashboard's tables, shaped from a run's stored results. Pure: the template only formats."""

from django.utils.translation import gettext as _

from cmr_reader.analysis.study_plots import arm_label


def tables(results: dict) -> dict:
    labels = {c["key"]: c["label"] for c in results.get("criteria", [])}
    return {
        "counts": results["counts"],
        "parameters": results["parameters"],
        # Stored in English (the bundle's language); a known text is shown translated.
        "missing_data_rule": _(results["parameters"]["missing_data_rule"]),
        "agreement_groups": _grouped(results["agreement"] + results["pairwise_kappa"], labels, _agreement_row),
        "comparison_groups": _grouped(results["comparison"], labels, _comparison_row),
        "pair_items": results["pair_items"],
        "report_metrics": results.get("report_metrics", {}),
        "diagnosis_matrix": diagnosis_matrix(results.get("report_metrics", {}).get("diagnosis_confusion", [])),
    }


def diagnosis_matrix(rows: list[dict]) -> dict:
    """{"categories": [...], "rows": [(reference category, [counts by AI category])]} for a grid."""
    categories = list(dict.fromkeys([row["reference_category"] for row in rows] + [row["ai_category"] for row in rows]))
    counts = {(row["reference_category"], row["ai_category"]): row["count"] for row in rows}
    return {
        "categories": categories,
        "rows": [(reference, [counts.get((reference, ai), 0) for ai in categories]) for reference in categories],
    }


def variant(row: dict) -> str:
    """What distinguishes rows of one coefficient: weights, level, ICC form, tolerance, reader pair."""
    parts = []
    if row.get("tolerance") is not None:
        parts.append(_("exact") if row["tolerance"] == 0 else _("within %(points)d point") % {"points": row["tolerance"]})
    for key in ("weights", "level", "form"):
        if row.get(key):
            parts.append(row[key])
    if row.get("raters"):
        parts.append(_("Light's mean") if row["raters"] == "light_mean" else row["raters"].replace("|", " · "))
    return ", ".join(parts)


def _grouped(rows: list[dict], labels: dict[str, str], shape) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["criterion"], []).append(shape(row))
    return [{"key": key, "label": labels.get(key, key), "rows": group} for key, group in groups.items()]


def _agreement_row(row: dict) -> dict:
    return {**row, "arm_label": arm_label(row["arm"]), "variant": variant(row)}


def _comparison_row(row: dict) -> dict:
    return {
        **row,
        "arm_label": arm_label(row["arm"]) if row.get("arm") else "",
        "who": row["reader_id"] or _("all readers"),
    }
