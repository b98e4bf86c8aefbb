"""Bland-Altman plot of AI versus reference measurements."""

from collections.abc import Sequence

import numpy as np
from django.utils.translation import gettext as _
from matplotlib.figure import Figure

from cmr_reader.analysis.plots.render import check_format, render_figure


def bland_altman_plot(
    *,
    means: Sequence[float],
    differences: Sequence[float],
    bias: float,
    loa_low: float,
    loa_high: float,
    title: str = "",
    unit: str = "",
    fmt: str = "svg",
) -> bytes:
    """Mean of each pair against its difference (AI minus reference), with the bias and limits.

    Bland & Altman 1986 (Lancet 327:307-310). The caller computes bias and the 95% limits of
    agreement (bias +/- 1.96 SD of the differences); this function only draws them.
    """
    check_format(fmt)
    x = np.asarray(means, dtype=float)
    y = np.asarray(differences, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"means ({x.size}) and differences ({y.size}) must be flat and of equal length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("means and differences must be finite; drop incomplete pairs first")
    if not (np.isfinite([bias, loa_low, loa_high]).all() and loa_low <= bias <= loa_high):
        raise ValueError(f"expected finite loa_low <= bias <= loa_high, got {loa_low}, {bias}, {loa_high}")
    suffix = f" ({unit})" if unit else ""

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.axhline(0, color="lightgray", linewidth=0.8)
        axes.scatter(x, y, s=18, alpha=0.7, color="tab:blue", edgecolors="none")
        axes.axhline(bias, color="black", linewidth=1.2, label=f"{_('Bias')} {bias:.2f}")
        limits_label = f"{_('95% limits of agreement')} {loa_low:.2f} .. {loa_high:.2f}"
        axes.axhline(loa_low, color="tab:red", linestyle="--", linewidth=1.0, label=limits_label)
        axes.axhline(loa_high, color="tab:red", linestyle="--", linewidth=1.0)
        axes.set_xlabel(_("Mean of AI and reference") + suffix)
        axes.set_ylabel(_("Difference (AI - reference)") + suffix)
        axes.set_title(title)
        figure.legend(loc="outside lower center", ncols=2, frameon=False)

    return render_figure(draw=draw, size=(7.0, 5.0), fmt=fmt)
