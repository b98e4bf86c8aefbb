"""Which plots a study's analysis has, and drawing each from the run's stored results.

Plot names are URL-safe (criterion keys are slugs): ``likert``, ``win-tie-loss`` and
``kappa-<criterion>-<arm>`` (quadratic-weighted Cohen's kappa of every reader pair),
``bland-altman-<field>`` (AI against reference report, per numeric entity) and ``forest`` (AI minus
reference per criterion: the MRMC difference, else the pooled case-bootstrap mean difference).
"""

from django.utils.translation import gettext as _

from cmr_reader.analysis.display_labels import criterion_labels
from cmr_reader.analysis.display_labels import label as stored_label
from cmr_reader.analysis.plots import (
    ForestRow,
    LikertBar,
    WinTieLoss,
    bland_altman_plot,
    forest_plot,
    kappa_heatmap,
    likert_diverging_bars,
    win_tie_loss_bars,
)
from cmr_reader.analysis.study_data import ARMS

FORMATS = ("svg", "png")
HEATMAP_WEIGHTS = "quadratic"


def plot_names(results: dict) -> list[str]:
    """The plots this run has data for (no pairs: no win/tie/loss; fewer than two readers: no heat map)."""
    names = ["likert"] if _criteria(results) else []
    if forest_rows(results):
        names.append("forest")
    if any(row["analysis"] == "paired_difference" for row in results["comparison"]):
        names.append("win-tie-loss")
    pairs = {(row["criterion"], row["arm"]) for row in results["pairwise_kappa"]}
    names += [
        f"kappa-{key}-{arm}" for key, _label in _criteria(results) for arm in ARMS if (key, arm) in pairs
    ]
    names += [f"bland-altman-{row['field']}" for row in _bland_altman_rows(results)]
    return names


def render_plot(results: dict, name: str, fmt: str) -> bytes:
    """The plot's bytes; KeyError for a name the results do not have."""
    if name not in plot_names(results):
        raise KeyError(name)
    if name == "likert":
        return _likert(results, fmt)
    if name == "win-tie-loss":
        return _win_tie_loss(results, fmt)
    if name == "forest":
        return forest_plot(
            rows=forest_rows(results),
            margin=results["parameters"].get("non_inferiority_margin"),
            title=_("AI minus reference by criterion (95% CI)"),
            fmt=fmt,
        )
    if name.startswith("bland-altman-"):
        return _bland_altman(results, name.removeprefix("bland-altman-"), fmt)
    criterion, arm = name.removeprefix("kappa-").rsplit("-", 1)
    return _heatmap(results, criterion, arm, fmt)


def plot_title(results: dict, name: str) -> str:
    """The plot's title in the active language: its alternative text on the dashboard."""
    if name == "likert":
        return _("Scores by criterion and report (all readers)")
    if name == "win-tie-loss":
        return _("AI versus reference, case by case")
    if name == "forest":
        return _("AI minus reference by criterion (95% CI)")
    if name.startswith("bland-altman-"):
        field = stored_label("entity_field", name.removeprefix("bland-altman-"))
        return _("AI versus reference report: %(field)s") % {"field": field}
    criterion, arm = name.removeprefix("kappa-").rsplit("-", 1)
    label = dict(_criteria(results)).get(criterion, criterion)
    return _("Quadratic-weighted kappa, %(criterion)s, %(arm)s") % {"criterion": label, "arm": arm_label(arm)}


def all_plots(*, results: dict) -> dict[str, bytes]:
    """Every plot in both formats, keyed by file name, for the download bundle."""
    return {
        f"{name}.{fmt}": render_plot(results, name, fmt) for name in plot_names(results) for fmt in FORMATS
    }


def arm_label(arm: str) -> str:
    return _("AI") if arm == "ai" else _("Reference")


def forest_rows(results: dict) -> list[ForestRow]:
    """Per criterion the MRMC difference (random readers and cases) where it was estimated, else
    the pooled case-bootstrap mean difference; the label says which."""
    mrmc = {row["criterion"]: row for row in results.get("mrmc", []) if row.get("estimate") is not None}
    pooled = {
        row["criterion"]: row
        for row in results["comparison"]
        if row["analysis"] == "bootstrap_mean_difference"
        and not row["reader_id"]
        and row.get("estimate") is not None
    }
    rows = []
    for key, label in _criteria(results):
        if key in mrmc:
            row, method = mrmc[key], _("MRMC")
        elif key in pooled:
            row, method = pooled[key], _("bootstrap")
        else:
            continue
        rows.append(ForestRow(f"{label} ({method})", row["estimate"], row.get("ci_low"), row.get("ci_high")))
    return rows


def _criteria(results: dict) -> list[tuple[str, str]]:
    return list(criterion_labels(results).items())


def _likert(results: dict, fmt: str) -> bytes:
    scale = range(results["parameters"]["scale_min"], results["parameters"]["scale_max"] + 1)
    counts = {
        (row["criterion"], row["arm"], row["score"]): row["count"]
        for row in results["score_distribution"]
        if not row["reader_id"]
    }
    bars = [
        LikertBar(f"{label} · {arm_label(arm)}", tuple(counts.get((key, arm, score), 0) for score in scale))
        for key, label in _criteria(results)
        for arm in ARMS
    ]
    return likert_diverging_bars(
        bars=bars,
        scale_min=scale.start,
        scale_max=scale.stop - 1,
        title=_("Scores by criterion and report (all readers)"),
        fmt=fmt,
    )


def _win_tie_loss(results: dict, fmt: str) -> bytes:
    labels = dict(_criteria(results))
    rows = [
        WinTieLoss(
            f"{labels.get(row['criterion'], row['criterion'])} · {row['reader_id'] or _('all readers')}",
            row["wins"] or 0,
            row["ties"] or 0,
            row["losses"] or 0,
        )
        for row in results["comparison"]
        if row["analysis"] == "paired_difference"
    ]
    return win_tie_loss_bars(rows=rows, title=_("AI versus reference, case by case"), fmt=fmt)


def _heatmap(results: dict, criterion: str, arm: str, fmt: str) -> bytes:
    rows = [
        row
        for row in results["pairwise_kappa"]
        if row["criterion"] == criterion and row["arm"] == arm and row["weights"] == HEATMAP_WEIGHTS
    ]
    kappas = {tuple(row["raters"].split("|", 1)): row["estimate"] for row in rows}
    readers = sorted({reader for pair in kappas for reader in pair})
    label = dict(_criteria(results)).get(criterion, criterion)
    title = _("Quadratic-weighted kappa, %(criterion)s, %(arm)s") % {
        "criterion": label,
        "arm": arm_label(arm),
    }
    return kappa_heatmap(readers=readers, kappas=kappas, title=title, fmt=fmt)


def _bland_altman_rows(results: dict) -> list[dict]:
    return [row for row in results.get("report_metrics", {}).get("bland_altman", []) if row.get("points")]


def _bland_altman(results: dict, field: str, fmt: str) -> bytes:
    (row,) = [row for row in _bland_altman_rows(results) if row["field"] == field]
    means, differences = zip(*row["points"], strict=True)
    return bland_altman_plot(
        means=means,
        differences=differences,
        bias=row["bias"],
        loa_low=row["loa_low"],
        loa_high=row["loa_high"],
        title=_("AI versus reference report: %(field)s") % {"field": stored_label("entity_field", field)},
        unit=row["unit"] or "",
        fmt=fmt,
    )
