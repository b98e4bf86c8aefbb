"""The results view for the paper: its rows, warnings and draft, shaped from a run's stored results.

Pure over the stored results (like ``dashboard_tables``): the template only formats, and the
draft (``methods_draft``) and the page list the same warnings.
"""

from django.utils.translation import gettext as _

from cmr_reader.analysis.comparison.paired import MIN_NON_INFERIORITY_CASES
from cmr_reader.analysis.dashboard_tables import comparison_warning
from cmr_reader.analysis.display_labels import criterion_labels, label
from cmr_reader.analysis.headline_counts import headline_counts
from cmr_reader.analysis.methods_draft import draft_blocks, to_docx, to_markdown
from cmr_reader.analysis.stored_sentences import translate_sentence


def paper_warnings(results: dict) -> list[str]:
    """Everything a reader of the paper's numbers must know: small samples, abstentions, fits not
    at their optimum, MRMC rows without an estimate; each with its reason, in the active language."""
    labels = criterion_labels(results)
    warnings = []
    cases = headline_counts(results["counts"])["cases_read"]
    if cases is not None and cases < MIN_NON_INFERIORITY_CASES:
        warnings.append(
            _("Small sample: %(cases)s cases; inferential rows need at least %(minimum)s.")
            % {"cases": cases, "minimum": MIN_NON_INFERIORITY_CASES}
        )
    for row in results.get("mrmc", []):
        if row.get("estimate") is None:
            warnings.append(
                _("%(criterion)s, MRMC: %(reason)s")
                % {
                    "criterion": labels.get(row["criterion"], row["criterion"]),
                    "reason": translate_sentence(row["reason"]),
                }
            )
    for row in results["comparison"]:
        warning = comparison_warning(row)
        if warning:
            warnings.append(
                _("%(criterion)s, %(analysis)s (%(who)s): %(warning)s")
                % {
                    "criterion": labels.get(row["criterion"], row["criterion"]),
                    "analysis": label("analysis", row["analysis"]),
                    "who": row["reader_id"] or _("all readers"),
                    "warning": warning,
                }
            )
    auc = results.get("blinding_auc")
    if auc and auc.get("estimate") is None:
        warnings.append(_("Readers' AI guesses: %(reason)s") % {"reason": translate_sentence(auc["reason"])})
    return warnings


def mrmc_rows(results: dict) -> list[dict]:
    labels = criterion_labels(results)
    return [
        {
            **row,
            "label": labels.get(row["criterion"], row["criterion"]),
            "reason": translate_sentence(row.get("reason")),
        }
        for row in results.get("mrmc", [])
    ]


def results_context(results: dict) -> dict:
    return {
        "counts": headline_counts(results["counts"]),
        "parameters": results["parameters"],
        "mrmc_rows": mrmc_rows(results),
        "blinding_auc": results.get("blinding_auc"),
        "reading_time": results.get("reading_time"),
        "warnings": paper_warnings(results),
    }


def methods_draft(*, study_name: str, results: dict, fmt: str) -> bytes:
    """The draft as Markdown (UTF-8) or DOCX bytes; ValueError for another format."""
    blocks = draft_blocks(study_name=study_name, results=results, warnings=paper_warnings(results))
    if fmt == "md":
        return to_markdown(blocks).encode("utf-8")
    if fmt == "docx":
        return to_docx(blocks)
    raise ValueError(f"unknown draft format {fmt!r}")
