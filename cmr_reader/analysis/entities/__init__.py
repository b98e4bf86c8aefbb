"""Deterministic entity extraction from free-text CMR reports (English and Simplified Chinese).

Pure Python (the standard library's ``re``), no Django, so the ``inference`` package can reuse it.

Public API::

    extract_entities(text, *, lang="auto") -> dict      # one record, see record.FIELDS
    FIELDS, NUMERIC_FIELDS, CATEGORICAL_VALUES, empty_record()
    write_reference_report(ground_truth, *, lang, style_seed) -> str
    reference_record(ground_truth, *, lang, style_seed) -> dict   # what that report states

Modules: ``record`` (fields and values), ``language`` (detection), ``document`` (normalising,
sentences, clauses, sections), ``numbers`` (numbers, ranges, units), ``english`` and ``chinese``
(patterns), ``lexicon`` (compiled patterns), ``negation`` (polarity within a clause),
``mentions``, ``measures`` (volumes, mass, EF), ``thickness`` (maximal wall thickness and
location), ``hypertrophy`` (pattern), ``findings`` (SAM, LVOT, aneurysm, LGE, effusion),
``diagnosis``, ``extract`` (entry point), ``reference_report`` (reports written from a synthetic
ground truth) and ``scoring`` (precision and recall per field over the labelled set in
``validation/reports.jsonl``).

Metrics of an AI report against its reference: ``tolerances`` (cited, versioned numeric
tolerances and clinical thresholds), ``pair_metrics`` (correct / wrong / omitted / added per
field, critical errors, per-entity and micro/macro precision, recall, F1, MAE),
``diagnostic_agreement`` (7x7 confusion matrix, agreement with Wilson CI, kappa, per-class
sensitivity/PPV/F1, HCM and obstruction 2x2) and ``bland_altman`` (bias and limits of agreement).
"""

from cmr_reader.analysis.entities.extract import extract_entities
from cmr_reader.analysis.entities.record import CATEGORICAL_VALUES, FIELDS, NUMERIC_FIELDS, empty_record
from cmr_reader.analysis.entities.reference_report import reference_record, write_reference_report

__all__ = [
    "CATEGORICAL_VALUES",
    "FIELDS",
    "NUMERIC_FIELDS",
    "empty_record",
    "extract_entities",
    "reference_record",
    "write_reference_report",
]
