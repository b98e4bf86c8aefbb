"""Diverging stacked bars of Likert ratings (Heiberger & Robbins 2014)."""

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from cmr_reader.analysis.plots.render import check_format, render_figure

COLOUR_MAP = "RdBu"
# The middle point is grey rather than the map's near-white centre, which vanishes on the page.
NEUTRAL_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class LikertBar:
    """One bar: its label and one count per scale point, scale_min..scale_max."""

    label: str
    counts: tuple[int, ...]


def diverging_segments(counts: Sequence[int]) -> list[tuple[float, float]]:
    """(left, width) in shares of the bar's total for each scale point, lowest point first.

    Points below the middle lie left of zero, points above it right of zero, and on an odd scale
    the middle point straddles zero, half on each side (Heiberger & Robbins 2014, "Design of
    diverging stacked bar charts for Likert scales and other applications", J Stat Softw 57(5)).
    A bar without ratings yields zero-width segments at zero.
    """
    values = np.asarray(counts, dtype=float)
    if values.size < 2 or np.any(values < 0):
        raise ValueError(f"a Likert bar needs two or more non-negative counts, got {tuple(counts)}")
    total = values.sum()
    if total == 0:
        return [(0.0, 0.0)] * values.size
    shares = values / total
    half = values.size // 2
    left_extent = shares[:half].sum() + (shares[half] / 2 if values.size % 2 else 0.0)
    lefts = np.concatenate(([0.0], np.cumsum(shares)[:-1])) - left_extent
    return [(float(left), float(width)) for left, width in zip(lefts, shares, strict=True)]


def likert_diverging_bars(
    *,
    bars: Sequence[LikertBar],
    scale_min: int = 1,
    scale_max: int = 5,
    title: str = "",
    fmt: str = "svg",
) -> bytes:
    """Diverging stacked bars of rating shares, one bar per LikertBar, top to bottom in order."""
    check_format(fmt)
    points = list(range(scale_min, scale_max + 1))
    if len(points) < 2:
        raise ValueError(f"a Likert scale needs two or more points, got {scale_min}..{scale_max}")
    if not bars:
        raise ValueError("no bars to plot")
    for bar in bars:
        if len(bar.counts) != len(points):
            raise ValueError(
                f"bar {bar.label!r} has {len(bar.counts)} counts for the {len(points)} points "
                f"{scale_min}..{scale_max}"
            )
    segments = [diverging_segments(bar.counts) for bar in bars]

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        rows = np.arange(len(bars))
        colours = list(matplotlib.colormaps[COLOUR_MAP](np.linspace(0.1, 0.9, len(points))))
        if len(points) % 2:
            colours[len(points) // 2] = NEUTRAL_COLOUR
        for index, (point, colour) in enumerate(zip(points, colours, strict=True)):
            axes.barh(
                rows,
                [bar_segments[index][1] for bar_segments in segments],
                left=[bar_segments[index][0] for bar_segments in segments],
                color=colour,
                edgecolor="white",
                linewidth=0.5,
                label=str(point),
            )
        for row, bar in zip(rows, bars, strict=True):
            if sum(bar.counts) == 0:
                axes.text(
                    0,
                    row,
                    _("(no ratings)"),
                    ha="center",
                    va="center",
                    color="dimgray",
                    backgroundcolor="white",
                )
        # Symmetric limits keep zero in the middle, so left and right shares compare by eye.
        extent = max(
            max(abs(left), left + width) for bar_segments in segments for left, width in bar_segments
        )
        limit = max(0.5, np.ceil(extent * 10) / 10)
        axes.set_xlim(-limit, limit)
        axes.axvline(0, color="black", linewidth=0.8)
        axes.xaxis.set_major_locator(MultipleLocator(0.25))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda share, _position: f"{abs(share):.0%}"))
        axes.set_xlabel(_("Share of ratings"))
        axes.set_yticks(rows, [bar.label for bar in bars])
        axes.invert_yaxis()
        axes.set_title(title)
        figure.legend(loc="outside lower center", ncols=len(points), frameon=False, title=_("Rating"))

    return render_figure(draw=draw, size=(8.0, 1.6 + 0.45 * len(bars)), fmt=fmt)
