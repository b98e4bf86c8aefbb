"""100% stacked bars of paired AI-versus-reference verdicts."""

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from cmr_reader.analysis.plots.render import check_format, render_figure

# Blue for the AI and red for the reference, the same ends of RdBu as the Likert bars.
AI_COLOUR = matplotlib.colormaps["RdBu"](0.85)
TIE_COLOUR = "#d9d9d9"
REFERENCE_COLOUR = matplotlib.colormaps["RdBu"](0.15)
# Counts are written inside segments at least this wide (share of the bar), where they fit.
MIN_ANNOTATED_SHARE = 0.05


@dataclass(frozen=True)
class WinTieLoss:
    """Paired comparisons of one row (criterion, reader...): AI better, tie, reference better."""

    label: str
    wins: int
    ties: int
    losses: int


def win_tie_loss_bars(*, rows: Sequence[WinTieLoss], title: str = "", fmt: str = "svg") -> bytes:
    """One 100% bar per row, top to bottom in order, "AI better" / "Tie" / "Reference better"."""
    check_format(fmt)
    if not rows:
        raise ValueError("no rows to plot")
    counts = np.array([(row.wins, row.ties, row.losses) for row in rows], dtype=float)
    if np.any(counts < 0):
        raise ValueError("win, tie and loss counts must be non-negative")
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = np.arange(len(rows))
        lefts = np.cumsum(shares, axis=1) - shares
        outcomes = (
            (_("AI better"), AI_COLOUR),
            (_("Tie"), TIE_COLOUR),
            (_("Reference better"), REFERENCE_COLOUR),
        )
        for column, (label, colour) in enumerate(outcomes):
            axes.barh(positions, shares[:, column], left=lefts[:, column], color=colour, label=label)
            for position in positions:
                if shares[position, column] >= MIN_ANNOTATED_SHARE:
                    centre = lefts[position, column] + shares[position, column] / 2
                    axes.text(centre, position, f"{int(counts[position, column])}", ha="center", va="center")
        for position in positions[totals[:, 0] == 0]:
            axes.text(0.5, position, _("(no ratings)"), ha="center", va="center", color="dimgray")
        axes.set_xlim(0, 1)
        axes.xaxis.set_major_formatter(PercentFormatter(xmax=1))
        axes.set_xlabel(_("Share of comparisons"))
        axes.set_yticks(positions, [row.label for row in rows])
        axes.invert_yaxis()
        axes.set_title(title)
        figure.legend(loc="outside lower center", ncols=3, frameon=False)

    return render_figure(draw=draw, size=(8.0, 1.6 + 0.45 * len(rows)), fmt=fmt)
