"""Figures of merit per modality and reader, with their leave-one-unit-out jackknife values.

Both are computed in closed form, so a 20,000-case study costs a sort per reader, not 20,000
refits:

- **mean score**: the mean over cases; leaving unit u out gives (sum - sum_u) / (n - n_u).
- **empirical AUC** (trapezoidal, the Wilcoxon-Mann-Whitney statistic; ties count one half):
  S = sum over abnormal i and normal j of psi(x_i, x_j), AUC = S / (n1 n0). Leaving unit u out
  removes the rows of its abnormal cases and the columns of its normal cases and adds back the
  comparisons between them (counted twice otherwise): S_u = S - rows_u - cols_u + psi_uu.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cmr_reader.analysis.mrmc.design import CrossedDesign, MrmcInputError

FigureOfMerit = Literal["auc", "mean"]
FIGURES_OF_MERIT: tuple[FigureOfMerit, ...] = ("auc", "mean")


@dataclass(frozen=True)
class JackknifedFom:
    """fom[modality, reader] and leave_one_out[unit, modality, reader]."""

    fom: np.ndarray
    leave_one_out: np.ndarray


def mean_score(design: CrossedDesign) -> JackknifedFom:
    """Mean score per modality and reader, and the means with each jackknife unit left out."""
    if design.n_units < 2:
        raise MrmcInputError("the jackknife needs at least two cases")
    totals = design.scores.sum(axis=2)
    n = design.scores.shape[2]
    unit_sums = np.zeros((design.n_units, *totals.shape))
    np.add.at(unit_sums, design.units, np.moveaxis(design.scores, 2, 0))
    unit_sizes = np.bincount(design.units, minlength=design.n_units)
    leave_one_out = (totals[None] - unit_sums) / (n - unit_sizes)[:, None, None]
    return JackknifedFom(fom=totals / n, leave_one_out=leave_one_out)


def _psi_sums(abnormal: np.ndarray, normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per abnormal case, sum over normals of psi; per normal case, sum over abnormals of psi."""
    normal_sorted = np.sort(normal)
    below = np.searchsorted(normal_sorted, abnormal, side="left")
    tied = np.searchsorted(normal_sorted, abnormal, side="right") - below
    abnormal_sorted = np.sort(abnormal)
    not_above = np.searchsorted(abnormal_sorted, normal, side="right")
    tied_normal = not_above - np.searchsorted(abnormal_sorted, normal, side="left")
    return below + 0.5 * tied, (len(abnormal) - not_above) + 0.5 * tied_normal


def empirical_auc(design: CrossedDesign) -> JackknifedFom:
    """Trapezoidal AUC per modality and reader (higher score = more likely truth 1), jackknifed."""
    if design.truth is None:
        raise MrmcInputError("the AUC needs each case's truth")
    abnormal = np.flatnonzero(design.truth == 1)
    normal = np.flatnonzero(design.truth == 0)
    units = design.units
    n_units = design.n_units
    abnormal_left = len(abnormal) - np.bincount(units[abnormal], minlength=n_units)
    normal_left = len(normal) - np.bincount(units[normal], minlength=n_units)
    if (abnormal_left == 0).any() or (normal_left == 0).any():
        raise MrmcInputError("the jackknife needs cases of each truth in at least two units")

    # Comparisons inside a unit (an AI report and its reference), added back when it is left out.
    same_unit = units[abnormal][:, None] == units[normal][None, :]
    pair_abnormal, pair_normal = np.nonzero(same_unit)
    pair_abnormal, pair_normal = abnormal[pair_abnormal], normal[pair_normal]

    n_modalities, n_readers, _ = design.scores.shape
    fom = np.zeros((n_modalities, n_readers))
    leave_one_out = np.zeros((n_units, n_modalities, n_readers))
    for t in range(n_modalities):
        for r in range(n_readers):
            x = design.scores[t, r]
            rows, cols = _psi_sums(x[abnormal], x[normal])
            total = rows.sum()
            removed = np.bincount(units[abnormal], weights=rows, minlength=n_units)
            removed += np.bincount(units[normal], weights=cols, minlength=n_units)
            if len(pair_abnormal):
                a, b = x[pair_abnormal], x[pair_normal]
                within = (a > b) + 0.5 * (a == b)
                removed -= np.bincount(units[pair_abnormal], weights=within, minlength=n_units)
            fom[t, r] = total / (len(abnormal) * len(normal))
            leave_one_out[:, t, r] = (total - removed) / (abnormal_left * normal_left)
    return JackknifedFom(fom=fom, leave_one_out=leave_one_out)


def jackknifed_fom(design: CrossedDesign, figure_of_merit: FigureOfMerit) -> JackknifedFom:
    if figure_of_merit == "auc":
        return empirical_auc(design)
    if figure_of_merit == "mean":
        return mean_score(design)
    raise ValueError(f"unknown figure of merit {figure_of_merit!r}")
