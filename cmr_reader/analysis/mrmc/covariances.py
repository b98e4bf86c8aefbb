"""Obuchowski-Rockette error covariances from jackknifed figures of merit, and the reader ANOVA.

The jackknife covariance of the figures of merit over U units is
(U - 1) / U * sum_u (theta_(u) - mean)(theta_(u) - mean)^T (Efron 1982, as OR-DBM MRMC uses it).
Obuchowski & Rockette (1995) summarise it by four averages:

- Var: the error variance, averaged over (modality, reader);
- Cov1: same reader, different modalities;
- Cov2: different readers, same modality;
- Cov3: different readers, different modalities.
"""

from dataclasses import dataclass
from itertools import product

import numpy as np


@dataclass(frozen=True)
class Covariances:
    """The OR averages, plus the per-modality (Var, Cov2) and per-reader (Var, Cov1) ones.

    A covariance that needs two modalities (Cov1, Cov3) or two readers (Cov2, Cov3) is None
    when the design has only one. matrix[t, r, s, q] is the full jackknife covariance.
    """

    var_error: float
    cov1: float | None
    cov2: float | None
    cov3: float | None
    var_error_per_modality: tuple[float, ...]
    cov2_per_modality: tuple[float | None, ...]
    var_error_per_reader: tuple[float, ...]
    cov1_per_reader: tuple[float | None, ...]
    matrix: np.ndarray


def _mean_or_none(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def jackknife_covariances(leave_one_out: np.ndarray) -> Covariances:
    """Covariances from leave_one_out[unit, modality, reader] (see the module docstring)."""
    n_units, n_modalities, n_readers = leave_one_out.shape
    deviations = leave_one_out - leave_one_out.mean(axis=0)
    matrix = (n_units - 1) / n_units * np.einsum("utr,usq->trsq", deviations, deviations)
    cells = list(product(range(n_modalities), range(n_readers)))
    var, cov1, cov2, cov3 = [], [], [], []
    for (t, r), (s, q) in product(cells, cells):
        value = float(matrix[t, r, s, q])
        if (t, r) == (s, q):
            var.append(value)
        elif r == q:
            cov1.append(value)
        elif t == s:
            cov2.append(value)
        else:
            cov3.append(value)
    per_modality_cov2 = tuple(
        _mean_or_none(
            [float(matrix[t, r, t, q]) for r in range(n_readers) for q in range(n_readers) if r != q]
        )
        for t in range(n_modalities)
    )
    per_reader_cov1 = tuple(
        _mean_or_none(
            [float(matrix[t, r, s, r]) for t in range(n_modalities) for s in range(n_modalities) if t != s]
        )
        for r in range(n_readers)
    )
    return Covariances(
        var_error=float(np.mean(var)),
        cov1=_mean_or_none(cov1),
        cov2=_mean_or_none(cov2),
        cov3=_mean_or_none(cov3),
        var_error_per_modality=tuple(
            float(np.mean([matrix[t, r, t, r] for r in range(n_readers)])) for t in range(n_modalities)
        ),
        cov2_per_modality=per_modality_cov2,
        var_error_per_reader=tuple(
            float(np.mean([matrix[t, r, t, r] for t in range(n_modalities)])) for r in range(n_readers)
        ),
        cov1_per_reader=per_reader_cov1,
        matrix=matrix,
    )


@dataclass(frozen=True)
class ReaderAnova:
    """Modality x reader ANOVA of the figures of merit (one value per cell, no replication).

    Mean squares with zero degrees of freedom are None. ms_r_per_modality is the reader mean
    square within each modality, used by the single-modality intervals.
    """

    ms_t: float | None
    ms_r: float | None
    ms_tr: float | None
    df_t: int
    df_r: int
    df_tr: int
    ms_r_per_modality: tuple[float | None, ...]


def reader_anova(fom: np.ndarray) -> ReaderAnova:
    """The two-way ANOVA of fom[modality, reader]."""
    n_modalities, n_readers = fom.shape
    grand = fom.mean()
    modality_means = fom.mean(axis=1)
    reader_means = fom.mean(axis=0)
    df_t, df_r = n_modalities - 1, n_readers - 1
    df_tr = df_t * df_r
    ss_t = n_readers * float(((modality_means - grand) ** 2).sum())
    ss_r = n_modalities * float(((reader_means - grand) ** 2).sum())
    interaction = fom - modality_means[:, None] - reader_means[None, :] + grand
    ss_tr = float((interaction**2).sum())
    per_modality = tuple(
        float(((fom[t] - modality_means[t]) ** 2).sum() / df_r) if df_r else None for t in range(n_modalities)
    )
    return ReaderAnova(
        ms_t=ss_t / df_t if df_t else None,
        ms_r=ss_r / df_r if df_r else None,
        ms_tr=ss_tr / df_tr if df_tr else None,
        df_t=df_t,
        df_r=df_r,
        df_tr=df_tr,
        ms_r_per_modality=per_modality,
    )


@dataclass(frozen=True)
class VarianceComponents:
    """OR reader and modality-by-reader variances (ANOVA estimates; they can be negative),
    and the correlations Cov1/Var, Cov2/Var, Cov3/Var, the inputs of sample-size planning."""

    var_r: float
    var_tr: float
    r1: float | None
    r2: float | None
    r3: float | None


def variance_components(
    anova: ReaderAnova, covariances: Covariances, n_modalities: int
) -> VarianceComponents | None:
    """From E[MS(T*R)] = Var_TR + Var - Cov1 - Cov2 + Cov3 and
    E[MS(R)] = t Var_R + Var_TR + Var + (t-1) Cov1 - Cov2 - (t-1) Cov3 (Hillis et al. 2005).

    None unless the design has two modalities or more and two readers or more.
    """
    c = covariances
    if anova.ms_tr is None or anova.ms_r is None or None in (c.cov1, c.cov2, c.cov3):
        return None
    cov1, cov2, cov3 = float(c.cov1), float(c.cov2), float(c.cov3)  # type: ignore[arg-type]
    var_tr = anova.ms_tr - c.var_error + cov1 + cov2 - cov3
    var_r = (
        anova.ms_r - var_tr - c.var_error - (n_modalities - 1) * cov1 + cov2 + (n_modalities - 1) * cov3
    ) / n_modalities
    ratio = (lambda value: value / c.var_error) if c.var_error > 0 else (lambda value: None)
    return VarianceComponents(var_r=var_r, var_tr=var_tr, r1=ratio(cov1), r2=ratio(cov2), r3=ratio(cov3))
