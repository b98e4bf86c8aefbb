"""The statistician's download: one zip with tidy CSVs, an XLSX workbook of the same sheets,
the plots, and export_metadata.json saying how every number was made.

``write_bundle`` takes the StudyData and the stored results of one analysis run, so the bundle
holds exactly the numbers the dashboard shows.
"""

import json
import zipfile
from collections.abc import Callable
from typing import BinaryIO

from django.utils import translation

from cmr_reader.analysis.agreement.table import ESTIMATE_KEYS, LABEL_KEYS
from cmr_reader.analysis.column_docs import COLUMN_DOCS, METHOD_NOTES
from cmr_reader.analysis.comparison.table import (
    COMPARISON_COLUMNS,
    PAIR_ITEM_COLUMNS,
    SCORE_DISTRIBUTION_COLUMNS,
)
from cmr_reader.analysis.entity_tables import TABLE_COLUMNS as REPORT_TABLE_COLUMNS
from cmr_reader.analysis.paper_results import methods_draft
from cmr_reader.analysis.study_data import StudyData
from cmr_reader.analysis.study_exports import (
    cases_table,
    ratings_long,
    ratings_wide_by_item,
    ratings_wide_by_reader,
    readers_table,
)
from cmr_reader.analysis.study_plots import all_plots
from cmr_reader.analysis.tabular import Table, dict_table, write_csv
from cmr_reader.analysis.xlsx_stream import write_workbook
from cmr_reader.domain.package_versions import package_versions
from cmr_reader.versions import code_version

AGREEMENT_COLUMNS = (
    *LABEL_KEYS,
    *ESTIMATE_KEYS,
    "landis_koch",
    "bootstrap_ci_low",
    "bootstrap_ci_high",
    "bootstrap_b",
    "bootstrap_seed",
)
CONFUSION_COLUMNS = ("criterion", "arm", "reader_1", "reader_2", "score_1", "score_2", "count")
MRMC_COLUMNS = (
    "criterion",
    "figure_of_merit",
    "readers",
    "cases",
    "cases_left_out",
    "ai_mean",
    "reference_mean",
    "estimate",
    "se",
    "ddf",
    "ci_low",
    "ci_high",
    "p_value",
    "f_statistic",
    "non_inferiority_margin",
    "non_inferior",
    "reason",
    "var_r",
    "var_tr",
    "var_error",
    "cov1",
    "cov2",
    "cov3",
)
BLINDING_AUC_COLUMNS = (
    "figure_of_merit",
    "readers",
    "cases",
    "estimate",
    "se",
    "ddf",
    "ci_low",
    "ci_high",
    "p_value",
    "reason",
)
PACKAGES = ("django", "numpy", "scipy", "statsmodels", "pandas", "krippendorff", "matplotlib", "openpyxl")
Progress = Callable[[str, int], None]


def bundle_tables(data: StudyData, results: dict) -> list[Table]:
    return [
        ratings_long(data),
        ratings_wide_by_item(data),
        ratings_wide_by_reader(data),
        dict_table("agreement_by_criterion", AGREEMENT_COLUMNS, results["agreement"]),
        dict_table("pairwise_reader_kappa", AGREEMENT_COLUMNS, results["pairwise_kappa"]),
        dict_table("ai_vs_reference_summary", COMPARISON_COLUMNS, results["comparison"]),
        dict_table("score_distribution", SCORE_DISTRIBUTION_COLUMNS, results["score_distribution"]),
        dict_table("confusion_tables", CONFUSION_COLUMNS, results["confusion"]),
        dict_table("pair_items", PAIR_ITEM_COLUMNS, results["pair_items"]),
        dict_table(
            "mrmc_ai_vs_reference", MRMC_COLUMNS, [_flat_mrmc(row) for row in results.get("mrmc", [])]
        ),
        dict_table(
            "mrmc_which_is_ai_auc",
            BLINDING_AUC_COLUMNS,
            [results["blinding_auc"]] if "blinding_auc" in results else [],
        ),
        readers_table(data),
        cases_table(data),
        *(
            dict_table(name, tuple(c for c in REPORT_TABLE_COLUMNS[name] if c != "points"), rows)
            for name, rows in results["report_metrics"].items()
        ),
    ]


# The bundle is a research record: its metadata, column descriptions and plot labels are in
# English whoever builds it and whatever language their pages are in, so that two bundles of one
# analysis are comparable. column_docs still marks its texts for translation, so that a page
# may show them in the reader's language.
BUNDLE_LANGUAGE = "en"


def _flat_mrmc(row: dict) -> dict:
    """An MRMC row with its variance components as columns (n_cases is the row's cases)."""
    components = {key: value for key, value in (row.get("components") or {}).items() if key != "n_cases"}
    return {**{key: value for key, value in row.items() if key != "components"}, **components}


def write_bundle(
    data: StudyData, results: dict, target: BinaryIO, *, progress: Progress | None = None
) -> list[str]:
    """Write the zip to ``target``, in English (BUNDLE_LANGUAGE); returns the member names in order."""
    with translation.override(BUNDLE_LANGUAGE):
        return _write_bundle(data, results, target, progress=progress)


def _write_bundle(
    data: StudyData, results: dict, target: BinaryIO, *, progress: Progress | None
) -> list[str]:
    report = progress or (lambda step, percent: None)
    tables = bundle_tables(data, results)
    names = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as bundle:
        for table in tables:
            report(f"{table.name}.csv", 90)
            with bundle.open(f"{table.name}.csv", "w", force_zip64=True) as member:
                write_csv(table, member)
            names.append(f"{table.name}.csv")
        report("workbook", 94)
        with bundle.open("analysis.xlsx", "w", force_zip64=True) as member:
            write_workbook(tables, member)
        names.append("analysis.xlsx")
        report("plots", 97)
        for name, content in all_plots(results=results).items():
            bundle.writestr(f"plots/{name}", content)
            names.append(f"plots/{name}")
        for fmt in ("md", "docx"):
            bundle.writestr(
                f"methods_and_results.{fmt}", methods_draft(study_name=data.name, results=results, fmt=fmt)
            )
            names.append(f"methods_and_results.{fmt}")
        if data.blinding_audit is not None:
            bundle.writestr(
                "blinding_audit.json", json.dumps(data.blinding_audit, indent=2, ensure_ascii=False)
            )
            names.append("blinding_audit.json")
        bundle.writestr(
            "export_metadata.json", json.dumps(export_metadata(data, results), indent=2, ensure_ascii=False)
        )
        names.append("export_metadata.json")
    return names


def export_metadata(data: StudyData, results: dict) -> dict:
    parameters = results["parameters"]
    return {
        "study": {"id": data.study_id, "name": data.name},
        "counts": results["counts"],
        "scale": {
            "min": parameters["scale_min"],
            "max": parameters["scale_max"],
            "type": "ordinal Likert, integer points",
            "criteria": [
                {"key": c.key, "label": c.label, "question": c.question, "anchors": list(c.anchors)}
                for c in data.criteria
            ],
        },
        "weights": str(METHOD_NOTES["weights"]),
        "blinding": str(METHOD_NOTES["blinding"]),
        "randomisation": {"scheme": str(METHOD_NOTES["randomisation"]), **data.design},
        # Each addition's filters, seed and strata: the sample can be drawn again from them.
        "case_selection": list(data.case_selection),
        "questionnaire": data.questionnaire,
        "missing_data_rule": parameters["missing_data_rule"],
        "bootstrap": {
            "replicates": parameters["bootstrap"],
            "seed": parameters["seed"],
            "method": str(METHOD_NOTES["bootstrap"]),
        },
        "non_inferiority_margin": parameters["non_inferiority_margin"],
        "wilcoxon_zero_method": parameters["zero_method"],
        "ci_methods": {key: str(value) for key, value in METHOD_NOTES["ci_methods"].items()},
        "columns": {
            name: {column: str(text) for column, text in docs.items()} for name, docs in COLUMN_DOCS.items()
        },
        "package_versions": package_versions(PACKAGES),
        "code_version": code_version(),
    }
