"""The diagnosis and, for HCM, whether it is obstructive.

Only an affirmed diagnosis counts: "HCM cannot be excluded", "肥厚型心肌病不除外" or "No evidence of
HCM" leave the field null, while "consistent with", "in keeping with", "考虑" and "可能性大" affirm.
A diagnosis in the conclusion ("Impression:", "诊断意见:") beats one in the findings; within
either, the first named wins, so "HCM; amyloidosis is a differential" is HCM. Mentions in a
sentence about relatives ("family history of HCM") are not the patient's. ``normal`` needs a
statement about the whole study ("Normal cardiac MRI", "structurally normal heart", "心脏MRI未见明显
异常"), never a normal part. Athlete's heart, Fabry, sarcoidosis, non-compaction, hypertensive heart
disease and the like are ``other``.

Obstruction: for an HCM diagnosis, a qualifier in the same sentence (English) or clause (Chinese)
as an affirmed HCM mention: "HOCM", "obstructive HCM", "HCM with (mid-ventricular) obstruction",
"梗阻性", "(左室中部梗阻型)"; or "non-obstructive", "HNCM", "非梗阻性". Mid-ventricular
obstruction counts as obstructive HCM (ESC 2023). No qualifier leaves it null.
"""

from cmr_reader.domain.entities import lexicon
from cmr_reader.domain.entities.document import Document
from cmr_reader.domain.entities.mentions import Mention, find_mentions
from cmr_reader.domain.entities.negation import PRESENT

DIAGNOSES = ("hcm", "normal", "dcm", "ischemic", "amyloidosis", "myocarditis", "other")


def extract_diagnosis(document: Document) -> dict:
    """``diagnosis`` and ``hcm_obstruction`` as far as the report states them."""
    candidates: list[tuple[bool, int, str, Mention]] = []
    for diagnosis in DIAGNOSES:
        for mention in find_mentions(
            document=document, key=f"dx_{diagnosis}", self_negating=diagnosis == "normal"
        ):
            if mention.polarity != PRESENT or _about_relatives(document=document, mention=mention):
                continue
            candidates.append(
                (not document.in_conclusion(mention.span.start), mention.span.start, diagnosis, mention)
            )
    if not candidates:
        return {}
    candidates.sort(key=lambda candidate: candidate[:2])
    diagnosis = candidates[0][2]
    found: dict[str, str | None] = {"diagnosis": diagnosis}
    if diagnosis == "hcm":
        found["hcm_obstruction"] = _obstruction(
            document=document, mentions=[c[3] for c in candidates if c[2] == "hcm"]
        )
    return found


def _about_relatives(*, document: Document, mention: Mention) -> bool:
    sentence = document.sentence_at(mention.span.start)
    return (
        sentence is not None
        and lexicon.search(
            text=document.text,
            lang=document.lang,
            key="dx_excluded_context",
            start=sentence.start,
            end=sentence.end,
        )
        is not None
    )


def _obstruction(*, document: Document, mentions: list[Mention]) -> str | None:
    for mention in mentions:
        english = document.lang == "en"
        scope = (document.sentence_at if english else document.clause_at)(mention.span.start)
        if scope is None:
            continue
        for key, value in (("non_obstructive", "non_obstructive"), ("obstructive", "obstructive")):
            if lexicon.search(
                text=document.text, lang=document.lang, key=key, start=scope.start, end=scope.end
            ):
                return value
    return None
