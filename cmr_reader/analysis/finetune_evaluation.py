"""Before and after fine-tuning: the held-out reports of both models scored with the site's metrics.

``python -m inference finetune evaluate`` writes ``before.jsonl`` (base model) and
``after.jsonl`` (fine-tuned) with each held-out case's reference and generated report. Here both
are scored against the references with ``report_metric_tables``, the same entity accuracy,
diagnostic agreement and text similarity a reader study's AI reports get, and laid side by side.
A case whose generation failed is scored as an empty report, so failures count against the
model. Pure: no Django, no database.
"""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from cmr_reader.analysis.entity_tables import ReportPair, report_metric_tables

OUTPUTS = ("before", "after")


def read_outputs(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, row in enumerate(rows, start=1):
        missing = {"case_id", "reference", "generated"} - row.keys()
        if missing:
            raise ValueError(f"{Path(path).name} line {number} lacks {', '.join(sorted(missing))}")
    return rows


def report_pairs(rows: Sequence[Mapping]) -> list[ReportPair]:
    return [
        ReportPair(
            case_id=row["case_id"],
            reference_text=row["reference"],
            ai_text=row["generated"] or "",
            language=row.get("language") or "",
        )
        for row in rows
    ]


def headline(tables: Mapping[str, list[dict]]) -> dict:
    """The figures a before/after comparison reads first, from ``report_metric_tables``."""
    accuracy = {row["field"]: row for row in tables["entity_accuracy"]}
    agreement = {
        (row["analysis"], row["measure"]): row["estimate"]
        for row in tables["diagnostic_agreement"]
        if row["category"] is None or row["analysis"] != "diagnosis"
    }
    critical = {row["kind"]: row["rate"] for row in tables["critical_errors"]}
    figures = {
        "entity_accuracy_micro": accuracy.get("micro", {}).get("accuracy"),
        "entity_f1_micro": accuracy.get("micro", {}).get("f1"),
        "entity_f1_macro": accuracy.get("macro", {}).get("f1"),
        "diagnosis_percent_agreement": agreement.get(("diagnosis", "percent_agreement")),
        "diagnosis_cohen_kappa": agreement.get(("diagnosis", "cohen_kappa")),
        "hcm_percent_agreement": agreement.get(("hcm_vs_not_hcm", "percent_agreement")),
        "critical_error_rate": critical.get("any"),
    }
    for row in tables["text_similarity"]:
        figures[f"{row['metric']}_{row['language']}"] = row["score"]
    return figures


def compare_outputs(before: Sequence[Mapping], after: Sequence[Mapping]) -> dict:
    """Both models' tables and headline figures over the cases both were run on."""
    before_cases = {row["case_id"] for row in before}
    after_cases = {row["case_id"] for row in after}
    if before_cases != after_cases:
        raise ValueError(
            f"before and after cover different cases ({len(before_cases ^ after_cases)} differ); "
            "evaluate both models on the same split"
        )
    if not before:
        raise ValueError("no held-out reports to score")
    result: dict = {"cases": len(before), "failed": {}, "headline": {}, "tables": {}}
    for name, rows in zip(OUTPUTS, (before, after), strict=True):
        tables = report_metric_tables(report_pairs(rows))
        result["failed"][name] = sum(1 for row in rows if not row["generated"])
        result["tables"][name] = tables
        result["headline"][name] = headline(tables)
    return result


def markdown_report(result: Mapping) -> str:
    """The comparison as a short Markdown table (the full tables are in the JSON)."""
    before, after = result["headline"]["before"], result["headline"]["after"]
    lines = [
        "# Held-out evaluation: before and after fine-tuning",
        "",
        f"{result['cases']} held-out cases; reports that failed to generate (scored as empty): "
        f"before {result['failed']['before']}, after {result['failed']['after']}.",
        "",
        "| Metric | Before | After | Change |",
        "|---|---:|---:|---:|",
    ]
    for name in sorted(before.keys() | after.keys(), key=lambda key: (key not in before, key)):
        was, now = before.get(name), after.get(name)
        change = now - was if isinstance(was, int | float) and isinstance(now, int | float) else None
        lines.append(f"| {name} | {_cell(was)} | {_cell(now)} | {_cell(change, signed=True)} |")
    lines += [
        "",
        "Entity accuracy and F1: `pair_metrics` per field, pooled (micro) and averaged (macro); "
        "diagnostic agreement: 7-class percent agreement and Cohen's kappa, HCM versus not; "
        "critical error rate: share of cases with any critical error; text similarity: BLEU-4, "
        "ROUGE-L F1 and chrF per language (0-1). The same tables as `manage.py report_metrics`.",
        "",
    ]
    return "\n".join(lines)


def _cell(value, *, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.3f}" if signed else f"{value:.3f}"
