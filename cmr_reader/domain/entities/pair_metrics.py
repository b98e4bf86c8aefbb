"""Entity-level comparison of an AI report's record against its reference record, and its aggregates.

Per field, one pair has one outcome:

- ``correct``: both state the field and the values agree;
- ``wrong``: both state it and they disagree;
- ``omitted``: the reference states it, the AI report does not;
- ``added``: the AI report states it, the reference does not;
- no outcome when neither states it.

Numbers agree when |ai - reference| <= the field's tolerance and no clinical threshold lies between
them (``tolerances``). Categories agree only when equal, ``"uncertain"`` included: an AI report that
hedges ("possible SAM") where the reference is definite, or the reverse, tells the reader something
different, so it is ``wrong``, not ``omitted``.

Over many pairs, per field and pooled (micro), as in entity-extraction benchmarks:

    TP = correct,  FP = wrong + added,  FN = wrong + omitted
    precision = TP / (TP + FP),  recall = TP / (TP + FN),  F1 = 2 TP / (2 TP + FP + FN)

A wrong value counts against both precision and recall. Macro figures are unweighted means of the
per-field figures over the fields where each is defined (non-zero denominator); macro F1 is the mean
of per-field F1, not the harmonic mean of macro precision and recall. Per-field accuracy is
correct / (correct + wrong + omitted): the share of the reference's statements the AI got right.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from statsmodels.stats.proportion import proportion_confint

from cmr_reader.domain.entities.record import FIELDS, NUMERIC_FIELDS
from cmr_reader.domain.entities.tolerances import DEFAULT_TOLERANCES, Tolerances


class Outcome(StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    OMITTED = "omitted"
    ADDED = "added"


class CriticalError(StrEnum):
    LGE_PRESENCE = "lge_presence"
    HCM_DIAGNOSIS = "hcm_diagnosis"
    MISSED_OBSTRUCTION = "missed_obstruction"
    THRESHOLD_CROSSING = "threshold_crossing"


@dataclass(frozen=True)
class PairComparison:
    """One AI record against its reference: an outcome per stated field and the critical errors."""

    outcomes: dict[str, Outcome]
    crossed_thresholds: dict[str, tuple[float, ...]]
    critical_errors: frozenset[CriticalError]
    absolute_errors: dict[str, float]


@dataclass(frozen=True)
class FieldCounts:
    correct: int = 0
    wrong: int = 0
    omitted: int = 0
    added: int = 0

    @property
    def accuracy(self) -> float | None:
        stated = self.correct + self.wrong + self.omitted
        return self.correct / stated if stated else None

    @property
    def precision(self) -> float | None:
        return _ratio(self.correct, self.correct + self.wrong + self.added)

    @property
    def recall(self) -> float | None:
        return _ratio(self.correct, self.correct + self.wrong + self.omitted)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.correct, 2 * self.correct + 2 * self.wrong + self.added + self.omitted)


@dataclass(frozen=True)
class EntityMetrics:
    """Aggregates over ``n_pairs`` comparisons (see the module docstring for the definitions)."""

    n_pairs: int
    per_field: dict[str, FieldCounts]
    micro: FieldCounts
    macro_precision: float | None
    macro_recall: float | None
    macro_f1: float | None
    mean_absolute_error: dict[str, float | None]
    critical_error_rate: float
    critical_error_rate_ci: tuple[float, float]
    critical_error_counts: dict[CriticalError, int] = field(default_factory=dict)


def obstruction_status(record: dict) -> bool | None:
    """Whether the record calls the LV outflow obstructed: True, False, or None when it does not say.

    Obstructive when ``hcm_obstruction`` is ``obstructive`` or ``lvot_obstruction`` is ``present``;
    non-obstructive when either says so and neither says obstructive.
    """
    if record.get("hcm_obstruction") == "obstructive" or record.get("lvot_obstruction") == "present":
        return True
    if record.get("hcm_obstruction") == "non_obstructive" or record.get("lvot_obstruction") == "absent":
        return False
    return None


def compare_records(
    *, ai: dict, reference: dict, tolerances: Tolerances = DEFAULT_TOLERANCES
) -> PairComparison:
    """Compare one AI record with its reference record, field by field (``record.FIELDS``).

    Critical errors of the pair, each at most once:

    - ``lge_presence``: the reference says LGE present and the AI does not (absent, uncertain or
      silent), or the reference says absent and the AI says present. Silence or hedging about a
      negative finding is an ordinary omission or error, not a critical one.
    - ``hcm_diagnosis``: the reference states a diagnosis and (ai == "hcm") != (reference == "hcm"),
      an unstated AI diagnosis counting as not HCM.
    - ``missed_obstruction``: the reference calls the outflow obstructed (``obstruction_status``)
      and the AI does not.
    - ``threshold_crossing``: a numeric value on the other side of a clinical threshold.
    """
    outcomes: dict[str, Outcome] = {}
    crossed: dict[str, tuple[float, ...]] = {}
    absolute_errors: dict[str, float] = {}
    for name in FIELDS:
        got, want = ai.get(name), reference.get(name)
        if got is None and want is None:
            continue
        if want is None:
            outcomes[name] = Outcome.ADDED
        elif got is None:
            outcomes[name] = Outcome.OMITTED
        elif name in NUMERIC_FIELDS:
            difference = abs(float(got) - float(want))
            absolute_errors[name] = difference
            crossings = tolerances.crossed_thresholds(field_name=name, ai=float(got), reference=float(want))
            if crossings:
                crossed[name] = crossings
            within = difference <= tolerances.absolute[name] and not crossings
            outcomes[name] = Outcome.CORRECT if within else Outcome.WRONG
        else:
            outcomes[name] = Outcome.CORRECT if got == want else Outcome.WRONG
    return PairComparison(
        outcomes=outcomes,
        crossed_thresholds=crossed,
        critical_errors=_critical_errors(ai=ai, reference=reference, crossed=crossed),
        absolute_errors=absolute_errors,
    )


def aggregate_comparisons(
    comparisons: Sequence[PairComparison], *, confidence_level: float = 0.95
) -> EntityMetrics:
    """Per-field and pooled counts, precision, recall, F1, MAE and the critical error rate.

    MAE of a numeric field is mean |ai - reference| over the pairs where both state it. The critical
    error rate is the share of pairs with at least one critical error, with a Wilson score interval
    (Wilson 1927; Newcombe 1998, Stat Med 17:857-872, method 3).
    """
    if not comparisons:
        raise ValueError("aggregating needs at least one pair")
    per_field = {name: _count(comparisons, name) for name in FIELDS}
    micro = FieldCounts(
        correct=sum(c.correct for c in per_field.values()),
        wrong=sum(c.wrong for c in per_field.values()),
        omitted=sum(c.omitted for c in per_field.values()),
        added=sum(c.added for c in per_field.values()),
    )
    errors_by_field = {
        name: [c.absolute_errors[name] for c in comparisons if name in c.absolute_errors]
        for name in NUMERIC_FIELDS
    }
    with_critical = sum(1 for c in comparisons if c.critical_errors)
    low, high = proportion_confint(
        with_critical, len(comparisons), alpha=1 - confidence_level, method="wilson"
    )
    return EntityMetrics(
        n_pairs=len(comparisons),
        per_field=per_field,
        micro=micro,
        macro_precision=_mean_defined(c.precision for c in per_field.values()),
        macro_recall=_mean_defined(c.recall for c in per_field.values()),
        macro_f1=_mean_defined(c.f1 for c in per_field.values()),
        mean_absolute_error={name: sum(e) / len(e) if e else None for name, e in errors_by_field.items()},
        critical_error_rate=with_critical / len(comparisons),
        critical_error_rate_ci=(float(low), float(high)),
        critical_error_counts={
            kind: sum(1 for c in comparisons if kind in c.critical_errors) for kind in CriticalError
        },
    )


def _critical_errors(*, ai: dict, reference: dict, crossed: dict) -> frozenset[CriticalError]:
    errors = set()
    reference_lge, ai_lge = reference.get("lge"), ai.get("lge")
    if (reference_lge == "present" and ai_lge != "present") or (
        reference_lge == "absent" and ai_lge == "present"
    ):
        errors.add(CriticalError.LGE_PRESENCE)
    reference_diagnosis = reference.get("diagnosis")
    if reference_diagnosis is not None and (ai.get("diagnosis") == "hcm") != (reference_diagnosis == "hcm"):
        errors.add(CriticalError.HCM_DIAGNOSIS)
    if obstruction_status(reference) is True and obstruction_status(ai) is not True:
        errors.add(CriticalError.MISSED_OBSTRUCTION)
    if crossed:
        errors.add(CriticalError.THRESHOLD_CROSSING)
    return frozenset(errors)


def _count(comparisons: Sequence[PairComparison], name: str) -> FieldCounts:
    outcomes = [c.outcomes[name] for c in comparisons if name in c.outcomes]
    return FieldCounts(**{outcome.value: outcomes.count(outcome) for outcome in Outcome})


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _mean_defined(values) -> float | None:
    defined = [value for value in values if value is not None]
    return sum(defined) / len(defined) if defined else None
