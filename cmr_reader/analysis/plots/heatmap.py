"""Reader x reader heat map of pairwise kappa."""

import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from django.utils.translation import gettext as _
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cmr_reader.analysis.plots.render import check_format, render_figure

COLOUR_MAP = "RdBu"
MISSING_COLOUR = "#bdbdbd"


def kappa_matrix(*, readers: Sequence[str], kappas: Mapping[tuple[str, str], float | None]) -> np.ndarray:
    """Symmetric readers x readers matrix of kappa, NaN on the diagonal and where a pair has none.

    (a, b) and (b, a) name the same pair; giving both with different values is an error.
    """
    if len(readers) < 2 or len(set(readers)) != len(readers):
        raise ValueError(f"a kappa heat map needs two or more distinct readers, got {list(readers)}")
    index = {reader: position for position, reader in enumerate(readers)}
    matrix = np.full((len(readers), len(readers)), np.nan)
    seen: dict[frozenset[str], float | None] = {}
    for (first, second), kappa in kappas.items():
        if first not in index or second not in index or first == second:
            raise ValueError(f"kappa pair ({first!r}, {second!r}) is not a pair of distinct listed readers")
        value = None if kappa is None or math.isnan(kappa) else float(kappa)
        if value is not None and not -1 <= value <= 1:
            raise ValueError(f"kappa {value} for ({first!r}, {second!r}) lies outside -1..1")
        pair = frozenset((first, second))
        if pair in seen and seen[pair] != value:
            raise ValueError(f"conflicting kappas for ({first!r}, {second!r}): {seen[pair]} and {value}")
        seen[pair] = value
        if value is not None:
            matrix[index[first], index[second]] = matrix[index[second], index[first]] = value
    return matrix


def kappa_heatmap(
    *,
    readers: Sequence[str],
    kappas: Mapping[tuple[str, str], float | None],
    title: str = "",
    fmt: str = "svg",
) -> bytes:
    """Pairwise kappa on a fixed -1..1 diverging scale centred at 0; pairs without a value read "n/a"."""
    check_format(fmt)
    matrix = kappa_matrix(readers=readers, kappas=kappas)

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        # A fixed scale keeps colours comparable between criteria and studies.
        image = axes.imshow(
            np.ma.masked_invalid(matrix), cmap=matplotlib.colormaps[COLOUR_MAP], norm=Normalize(-1, 1)
        )
        for row, column in np.ndindex(matrix.shape):
            if row == column:
                continue
            value = matrix[row, column]
            if np.isnan(value):
                axes.add_patch(Rectangle((column - 0.5, row - 0.5), 1, 1, color=MISSING_COLOUR))
                axes.text(column, row, _("n/a"), ha="center", va="center", color="black")
            else:
                colour = "white" if abs(value) > 0.6 else "black"
                axes.text(column, row, f"{value:.2f}", ha="center", va="center", color=colour)
        positions = range(len(readers))
        axes.set_xticks(positions, list(readers), rotation=45, ha="right", rotation_mode="anchor")
        axes.set_yticks(positions, list(readers))
        axes.set_title(title)
        figure.colorbar(image, ax=axes, label=_("Kappa"))

    side = 3.0 + 0.6 * len(readers)
    return render_figure(draw=draw, size=(side + 1.2, side), fmt=fmt)
