"""The entry point: a free-text CMR report in, an entity record out.

extract_entities("LVEF 58 %, no LGE. Impression: normal study.")
-> {"lv_ef_pct": 58.0, "lge": "absent", "diagnosis": "normal", ...every other field None}
"""

from cmr_reader.domain.entities.diagnosis import extract_diagnosis
from cmr_reader.domain.entities.document import prepare_document
from cmr_reader.domain.entities.findings import extract_findings
from cmr_reader.domain.entities.hypertrophy import extract_hypertrophy_pattern
from cmr_reader.domain.entities.language import resolve_language
from cmr_reader.domain.entities.measures import extract_measures, find_labels
from cmr_reader.domain.entities.record import empty_record
from cmr_reader.domain.entities.thickness import extract_wall_thickness


def extract_entities(text: str, *, lang: str = "auto") -> dict:
    """The entity record of one report (see ``record.FIELDS``); ``None`` where the report is silent.

    ``lang`` is ``"en"``, ``"zh"`` or ``"auto"`` (Chinese when the text holds a CJK ideograph).
    Pure and deterministic: regular expressions only, no model, no network.
    """
    document = prepare_document(text=text, lang=resolve_language(text=text, lang=lang))
    record = empty_record()
    record.update(extract_measures(document=document, labels=find_labels(document)))
    pattern = extract_hypertrophy_pattern(document)
    record["hypertrophy_pattern"] = pattern
    record.update(extract_wall_thickness(document=document, hypertrophy_pattern=pattern))
    record.update(extract_findings(document))
    record.update(extract_diagnosis(document))
    return record


def extract_report_diagnosis(text: str, *, lang: str = "auto") -> str:
    """Only the report's diagnosis (one of ``CATEGORICAL_VALUES["diagnosis"]``, "" when it states
    none): a fifth of the cost of the whole record, so it can be stored with every report at import
    and searched and sampled on (the Cases page, building a study stratified by diagnosis)."""
    document = prepare_document(text=text, lang=resolve_language(text=text, lang=lang))
    return extract_diagnosis(document).get("diagnosis") or ""
