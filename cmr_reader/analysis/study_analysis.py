"""Every table of a study's analysis, from its StudyData, as JSON-ready rows. Pure.

The dashboard shows these tables and the bundle writes them, from the same stored results, so
the page and the download never disagree; ``manage.py agreement`` on the study's ratings.csv
gives the same agreement rows (tested).
"""

from collections.abc import Callable

from cmr_reader.analysis.agreement.confusion import pairwise_confusion
from cmr_reader.analysis.agreement.table import agreement_table, ratings_matrices
from cmr_reader.analysis.comparison.table import comparison_table, pair_item_rows, score_distribution_rows
from cmr_reader.analysis.entity_tables import report_metric_tables
from cmr_reader.analysis.jsonable import json_ready
from cmr_reader.analysis.reading_time import reading_time_summary
from cmr_reader.analysis.study_data import (
    MISSING_DATA_RULE,
    StudyData,
    criterion_scores,
    error_reports,
    guesses,
    preferences,
    rating_rows,
    report_pairs,
)
from cmr_reader.analysis.study_mrmc import blinding_auc_row, likert_mrmc_rows

SCALE_MIN, SCALE_MAX = 1, 5
ZERO_METHOD = "wilcox"
Progress = Callable[[str, int], None]


def analyse_study(data: StudyData, *, bootstrap: int, seed: int, progress: Progress | None = None) -> dict:
    """{"criteria", "agreement", "pairwise_kappa", "confusion", "comparison", "score_distribution",
    "pair_items", "report_metrics", "mrmc", "blinding_auc", "reading_time", "counts", "parameters"}; progress(step, percent) is called
    between steps. report_metrics (entity accuracy, diagnostic agreement, text similarity of the
    AI report against the reference) covers every study case, read or not: it needs no reader."""
    report = progress or (lambda step, percent: None)
    ratings = rating_rows(data)
    report("agreement", 5)
    agreement = agreement_table(
        ratings, scale_min=SCALE_MIN, scale_max=SCALE_MAX, bootstrap=bootstrap, seed=seed
    )
    report("confusion tables", 40)
    confusion = [
        {"criterion": criterion, "arm": arm, **row}
        for (criterion, arm), (matrix, readers) in ratings_matrices(ratings).items()
        for row in pairwise_confusion(matrix, readers, scale_min=SCALE_MIN, scale_max=SCALE_MAX)
    ]
    report("AI versus reference", 45)
    scores = criterion_scores(data)
    comparison = comparison_table(
        rows=scores,
        scale_min=SCALE_MIN,
        scale_max=SCALE_MAX,
        # The study states the tolerated loss as a positive number of points; the test takes it as
        # the (negative) bound the AI-minus-reference difference must stay above.
        margin=None if data.non_inferiority_margin is None else -data.non_inferiority_margin,
        bootstrap=bootstrap,
        seed=seed,
        zero_method=ZERO_METHOD,
    )
    report("distributions and pair items", 85)
    distribution = score_distribution_rows(rows=scores, scale_min=SCALE_MIN, scale_max=SCALE_MAX)
    pair_items = pair_item_rows(
        preferences=preferences(data),
        guesses=guesses(data),
        error_reports=error_reports(data),
        categories=data.error_categories,
    )
    report("MRMC", 86)
    mrmc = likert_mrmc_rows(data)
    blinding_auc = blinding_auc_row(data)
    report("report entities and diagnoses", 87)
    report_metrics = report_metric_tables(report_pairs(data))
    counted = data.counted()
    results = {
        "criteria": [{"key": c.key, "label": c.label, "label_zh": c.label_zh} for c in data.criteria],
        "agreement": [row for row in agreement if not _is_pairwise_kappa(row)],
        "pairwise_kappa": [row for row in agreement if _is_pairwise_kappa(row)],
        "confusion": confusion,
        "comparison": comparison,
        "score_distribution": distribution,
        "pair_items": pair_items,
        "report_metrics": report_metrics,
        "mrmc": mrmc,
        "blinding_auc": blinding_auc,
        "reading_time": reading_time_summary(data),
        "counts": {
            # The study's cases and readers, and those the statistics rest on: the cases and
            # readers with at least one counted reading (what a paper says were read).
            "cases": len(data.cases),
            "readers": len(data.reader_ids),
            "cases_read": len({r.case_id for r in counted}),
            "readers_counted": len({r.reader_id for r in counted}),
            "readings": len(data.readings),
            "counted_readings": len(counted),
            "drafts": sum(1 for r in data.readings if not r.submitted),
            "repeats": sum(1 for r in data.readings if r.is_repeat),
            "ratings": len(ratings),
            "missing_ratings": sum(1 for r in ratings if r.score is None),
        },
        "parameters": {
            "scale_min": SCALE_MIN,
            "scale_max": SCALE_MAX,
            "bootstrap": bootstrap,
            "seed": seed,
            "non_inferiority_margin": data.non_inferiority_margin,
            "zero_method": ZERO_METHOD,
            "missing_data_rule": MISSING_DATA_RULE,
        },
    }
    report("done", 90)
    return json_ready(results)


def _is_pairwise_kappa(row: dict) -> bool:
    return row["coefficient"] == "cohen_kappa" and "|" in (row.get("raters") or "")


# Per-case tables go into the bundle only; the stored results (the dashboard's) keep summaries.
PER_CASE_TABLES = ("entity_pairs",)


def stored_results(results: dict) -> dict:
    """The results without their per-case tables (20,000 cases x 19 fields would be 380,000 rows)."""
    metrics = {name: rows for name, rows in results["report_metrics"].items() if name not in PER_CASE_TABLES}
    return {**results, "report_metrics": metrics}
