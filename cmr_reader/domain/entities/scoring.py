"""Precision and recall per field of ``extract_entities`` against a labelled set of reports.

A labelled report is a JSON line ``{"id", "lang", "text", "expected"}`` where ``expected`` lists
only the fields the report states; every other field is expected to be null. Per field:

- a true positive is a non-null prediction equal to a non-null expectation (numbers within 0.05);
- a false positive is a non-null prediction that is wrong or where null was expected;
- a false negative is a non-null expectation not predicted exactly (null or wrong).

So a wrong value counts against both precision and recall, as in entity-extraction benchmarks.
Precision is TP / (TP + FP), recall TP / (TP + FN), F1 their harmonic mean; each is ``None`` when
its denominator is zero.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from cmr_reader.domain.entities.extract import extract_entities
from cmr_reader.domain.entities.record import FIELDS, NUMERIC_FIELDS, empty_record

LABELLED_REPORTS = Path(__file__).resolve().parent / "validation" / "reports.jsonl"
HOLDOUT_REPORTS = Path(__file__).resolve().parent / "validation" / "holdout.jsonl"
NUMERIC_TOLERANCE = 0.05


@dataclass
class FieldScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else None

    @property
    def f1(self) -> float | None:
        if not self.precision or not self.recall:
            return None
        return 2 * self.precision * self.recall / (self.precision + self.recall)


def load_labelled_reports(path: Path = LABELLED_REPORTS) -> list[dict]:
    """The labelled reports, each with its ``expected`` completed to a full record."""
    reports = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        report = json.loads(line)
        expected = empty_record()
        unknown = set(report["expected"]) - set(FIELDS)
        if unknown:
            raise ValueError(f"{report['id']}: unknown fields {sorted(unknown)}")
        expected.update(report["expected"])
        reports.append({**report, "expected": expected})
    return reports


def values_agree(*, field_name: str, predicted, expected) -> bool:
    """Whether two non-null values of ``field_name`` are the same (numbers within the tolerance)."""
    if field_name in NUMERIC_FIELDS:
        return abs(float(predicted) - float(expected)) <= NUMERIC_TOLERANCE
    return predicted == expected


def score_reports(reports: list[dict]) -> dict[str, FieldScore]:
    """Per-field scores of ``extract_entities`` (language detected) over ``reports``."""
    scores = {name: FieldScore() for name in FIELDS}
    for report in reports:
        predicted = extract_entities(report["text"])
        for name in FIELDS:
            got, want = predicted[name], report["expected"][name]
            correct = (
                got is not None
                and want is not None
                and values_agree(field_name=name, predicted=got, expected=want)
            )
            score = scores[name]
            if correct:
                score.true_positives += 1
                continue
            if got is not None:
                score.false_positives += 1
            if want is not None:
                score.false_negatives += 1
            if got is not None or want is not None:
                score.errors.append(f"{report['id']}: got {got!r}, expected {want!r}")
    return scores
