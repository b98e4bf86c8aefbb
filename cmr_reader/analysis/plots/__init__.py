"""The statistician dashboard's plots, rendered to SVG or PNG bytes.

Pure functions over plain numbers: no database, no request, and no pyplot, whose global figure
state is not safe in a threaded web process. Each function builds a `matplotlib.figure.Figure`,
renders it with the Agg canvas and returns the bytes; every user-facing string is translated.
"""

from cmr_reader.analysis.plots.bland_altman import bland_altman_plot
from cmr_reader.analysis.plots.forest import ForestRow, forest_plot
from cmr_reader.analysis.plots.heatmap import kappa_heatmap
from cmr_reader.analysis.plots.likert import LikertBar, diverging_segments, likert_diverging_bars
from cmr_reader.analysis.plots.win_tie_loss import WinTieLoss, win_tie_loss_bars

__all__ = [
    "ForestRow",
    "LikertBar",
    "WinTieLoss",
    "bland_altman_plot",
    "diverging_segments",
    "forest_plot",
    "kappa_heatmap",
    "likert_diverging_bars",
    "win_tie_loss_bars",
]
