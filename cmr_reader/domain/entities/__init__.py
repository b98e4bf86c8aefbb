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
field, critical errors, per-entity and micro/macro precision, recall, F1, MAE) and
``bland_altman`` (bias and limits of agreement). The study-level tables built on them, with
kappa and the 7x7 diagnostic confusion matrix, are analysis: ``cmr_reader.analysis.entity_tables``
and ``cmr_reader.analysis.diagnostic_agreement``.
"""

from cmr_reader.domain.entities.extract import extract_entities
from cmr_reader.domain.entities.record import CATEGORICAL_VALUES, FIELDS, NUMERIC_FIELDS, empty_record
from cmr_reader.domain.entities.reference_report import reference_record, write_reference_report

__all__ = [
    "CATEGORICAL_VALUES",
    "FIELDS",
    "NUMERIC_FIELDS",
    "empty_record",
    "extract_entities",
    "reference_record",
    "write_reference_report",
]
