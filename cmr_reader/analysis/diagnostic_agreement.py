"""Agreement of the AI report's diagnosis with the reference, over the declared diagnostic categories.

The confusion matrix always has one row (reference) and one column (AI) per category of
``record.CATEGORICAL_VALUES["diagnosis"]``, in that order, zero rows and columns included, so figures
from different test sets are laid out alike and kappa's chance term sees the whole scale. A pair in
which either side states no diagnosis has no cell; it is counted in ``n_unstated`` (an AI report that
omits the diagnosis is scored as an omission by ``pair_metrics``, and as "not HCM" in the HCM 2x2).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from cmr_reader.analysis.agreement.cohen import cohen_kappa
from cmr_reader.analysis.agreement.estimate import Estimate
from cmr_reader.domain.entities.pair_metrics import obstruction_status
from cmr_reader.domain.entities.record import CATEGORICAL_VALUES

DIAGNOSES: tuple[str, ...] = CATEGORICAL_VALUES["diagnosis"]


@dataclass(frozen=True)
class Proportion:
    """k / n with its Wilson score interval; estimate and bounds are None when n = 0."""

    successes: int
    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class ClassScores:
    sensitivity: Proportion
    ppv: Proportion
    f1: float | None


@dataclass(frozen=True)
class DiagnosisAgreement:
    categories: tuple[str, ...]
    confusion: np.ndarray
    n_unstated: int
    percent_agreement: Proportion
    kappa: Estimate
    per_class: dict[str, ClassScores]


@dataclass(frozen=True)
class BinaryAgreement:
    """A 2x2 table of reference (rows) by AI (columns), positive first."""

    true_positives: int
    false_negatives: int
    false_positives: int
    true_negatives: int
    sensitivity: Proportion
    specificity: Proportion
    ppv: Proportion
    npv: Proportion
    percent_agreement: Proportion


def wilson_proportion(*, successes: int, n: int, confidence_level: float = 0.95) -> Proportion:
    """k / n with the Wilson (1927) score interval, Newcombe's (1998, Stat Med 17:857-872) method 3.

    (2 n p + z^2 -/+ z sqrt(z^2 + 4 n p (1 - p))) / (2 (n + z^2))
    """
    if n == 0:
        return Proportion(successes=0, n=0, estimate=None, ci_low=None, ci_high=None)
    low, high = proportion_confint(successes, n, alpha=1 - confidence_level, method="wilson")
    return Proportion(
        successes=successes, n=n, estimate=successes / n, ci_low=float(low), ci_high=float(high)
    )


def confusion_matrix(*, reference: Sequence[str | None], ai: Sequence[str | None]) -> np.ndarray:
    """7 x 7 counts n_kl of pairs with reference diagnosis k and AI diagnosis l (``DIAGNOSES`` order)."""
    if len(reference) != len(ai):
        raise ValueError(f"{len(reference)} reference diagnoses but {len(ai)} AI diagnoses")
    unknown = {value for value in (*reference, *ai) if value is not None and value not in DIAGNOSES}
    if unknown:
        raise ValueError(f"diagnoses outside {DIAGNOSES}: {sorted(unknown)}")
    table = np.zeros((len(DIAGNOSES), len(DIAGNOSES)), dtype=int)
    for want, got in zip(reference, ai, strict=True):
        if want is not None and got is not None:
            table[DIAGNOSES.index(want), DIAGNOSES.index(got)] += 1
    return table


def diagnosis_agreement(
    *, reference: Sequence[str | None], ai: Sequence[str | None], confidence_level: float = 0.95
) -> DiagnosisAgreement:
    """Percent agreement (Wilson CI), Cohen's kappa and per-class scores over the 7 x 7 matrix.

    Percent agreement is trace / n. Kappa is unweighted Cohen (1960), computed by
    ``agreement.cohen.cohen_kappa`` with the categories coded 1..7 on a declared 1..7 scale, so a
    category neither side used still counts. Per class k, with row sum n_k. and column sum n_.k:

        sensitivity = n_kk / n_k.,  PPV = n_kk / n_.k,  F1 = 2 n_kk / (n_k. + n_.k)
    """
    table = confusion_matrix(reference=reference, ai=ai)
    n = int(table.sum())
    codes = np.array(
        [
            [DIAGNOSES.index(want) + 1, DIAGNOSES.index(got) + 1]
            for want, got in zip(reference, ai, strict=True)
            if want is not None and got is not None
        ],
        dtype=float,
    ).reshape(-1, 2)
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    per_class = {}
    for k, name in enumerate(DIAGNOSES):
        hits = int(table[k, k])
        margins = int(rows[k] + columns[k])
        per_class[name] = ClassScores(
            sensitivity=wilson_proportion(successes=hits, n=int(rows[k]), confidence_level=confidence_level),
            ppv=wilson_proportion(successes=hits, n=int(columns[k]), confidence_level=confidence_level),
            f1=2 * hits / margins if margins else None,
        )
    return DiagnosisAgreement(
        categories=DIAGNOSES,
        confusion=table,
        n_unstated=len(reference) - n,
        percent_agreement=wilson_proportion(
            successes=int(np.trace(table)), n=n, confidence_level=confidence_level
        ),
        kappa=cohen_kappa(codes, scale_min=1, scale_max=len(DIAGNOSES), confidence_level=confidence_level),
        per_class=per_class,
    )


def binary_agreement(
    *, reference: Sequence[bool], ai: Sequence[bool], confidence_level: float = 0.95
) -> BinaryAgreement:
    """Sensitivity, specificity, PPV, NPV and agreement of a 2x2 table, each with a Wilson interval."""
    if len(reference) != len(ai):
        raise ValueError(f"{len(reference)} reference labels but {len(ai)} AI labels")
    pairs = list(zip(reference, ai, strict=True))
    tp = sum(1 for want, got in pairs if want and got)
    fn = sum(1 for want, got in pairs if want and not got)
    fp = sum(1 for want, got in pairs if not want and got)
    tn = sum(1 for want, got in pairs if not want and not got)

    def share(k: int, n: int) -> Proportion:
        return wilson_proportion(successes=k, n=n, confidence_level=confidence_level)

    return BinaryAgreement(
        true_positives=tp,
        false_negatives=fn,
        false_positives=fp,
        true_negatives=tn,
        sensitivity=share(tp, tp + fn),
        specificity=share(tn, tn + fp),
        ppv=share(tp, tp + fp),
        npv=share(tn, tn + fn),
        percent_agreement=share(tp + tn, len(pairs)),
    )


def hcm_agreement(
    *, reference_records: Sequence[dict], ai_records: Sequence[dict], confidence_level: float = 0.95
) -> BinaryAgreement:
    """HCM vs not HCM over the pairs whose reference states a diagnosis; an unstated AI one is not HCM."""
    pairs = [
        (want, got)
        for want, got in zip(reference_records, ai_records, strict=True)
        if want.get("diagnosis") is not None
    ]
    return binary_agreement(
        reference=[want["diagnosis"] == "hcm" for want, _ in pairs],
        ai=[got.get("diagnosis") == "hcm" for _, got in pairs],
        confidence_level=confidence_level,
    )


def obstruction_agreement(
    *, reference_records: Sequence[dict], ai_records: Sequence[dict], confidence_level: float = 0.95
) -> BinaryAgreement:
    """Obstructive vs non-obstructive (``pair_metrics.obstruction_status``), positive = obstructive.

    Only pairs whose reference says either way are counted; an AI report that says neither is
    taken as non-obstructive, since a reader would not act on an obstruction it never mentions.
    """
    pairs = [
        (obstruction_status(want), obstruction_status(got))
        for want, got in zip(reference_records, ai_records, strict=True)
    ]
    stated = [(want, got is True) for want, got in pairs if want is not None]
    return binary_agreement(
        reference=[want for want, _ in stated],
        ai=[got for _, got in stated],
        confidence_level=confidence_level,
    )
