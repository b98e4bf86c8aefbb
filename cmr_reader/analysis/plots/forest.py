"""Forest plot: AI minus reference per criterion, each estimate with its confidence interval."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from matplotlib.figure import Figure

from cmr_reader.analysis.plots.render import check_format, render_figure
from cmr_reader.analysis.plots.win_tie_loss import AI_COLOUR, REFERENCE_COLOUR


@dataclass(frozen=True)
class ForestRow:
    """One line of the plot; an estimate without an interval is drawn as a point alone."""

    label: str
    estimate: float
    ci_low: float | None
    ci_high: float | None


def forest_plot(
    *, rows: Sequence[ForestRow], margin: float | None, title: str = "", fmt: str = "svg"
) -> bytes:
    """Rows top to bottom; a line at 0 and, with a non-inferiority margin, a dashed line at -margin."""
    check_format(fmt)
    if not rows:
        raise ValueError("no rows to plot")

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        for position, row in enumerate(rows):
            colour = AI_COLOUR if row.estimate >= 0 else REFERENCE_COLOUR
            if row.ci_low is not None and row.ci_high is not None:
                axes.plot([row.ci_low, row.ci_high], [position, position], color=colour, linewidth=2)
            axes.plot([row.estimate], [position], marker="s", markersize=7, color=colour)
        axes.axvline(0, color="dimgray", linewidth=1)
        if margin is not None:
            axes.axvline(
                -margin, color="dimgray", linestyle="--", linewidth=1, label=_("Non-inferiority margin")
            )
            axes.legend(loc="lower right", frameon=False)
        axes.set_yticks(range(len(rows)), [row.label for row in rows])
        axes.set_ylim(len(rows) - 0.5, -0.5)
        axes.set_xlabel(_("AI minus reference (score points)"))
        axes.set_title(title)

    return render_figure(draw=draw, size=(8.0, 1.6 + 0.5 * len(rows)), fmt=fmt)
