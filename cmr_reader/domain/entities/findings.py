"""Yes/no findings (SAM, LVOT obstruction, apical aneurysm, LGE), the LGE pattern and extent, and effusion.

LGE pattern: the descriptors in the clauses of the affirmed LGE mentions (the whole sentence when
those clauses hold none, as in "LGE has progressed, now 12% of the LV mass, patchy and
mid-myocardial"). Several descriptors resolve by precedence: transmural, subendocardial,
subepicardial, patchy/mid-wall, RV insertion, diffuse. "Patchy mid-wall LGE in the septum and at the
RV insertion points" is ``patchy_midwall``; insertion-point LGE is ``rv_insertion`` only when it is
the only descriptor or the report confines it there ("only", "仅"). A linear mid-wall stripe
(dilated cardiomyopathy) reads as ``patchy_midwall``, the closest value the record has. The
pattern is given only when LGE is affirmed.

LGE extent: the first percentage in a sentence with affirmed LGE that is neither an ejection
fraction nor a transmurality ("50% of the wall thickness", "累及约50%室壁厚度").

Pericardial effusion: "trace/trivial/minimal/small" and "少量/少许/微量" are ``small``; a negated
mention, "physiological" fluid or "pericardium normal"/"心包未见异常" is ``none``; an effusion
with no stated size stays null.
"""

from cmr_reader.domain.entities import lexicon
from cmr_reader.domain.entities.document import Document, Span
from cmr_reader.domain.entities.mentions import Mention, find_mentions, terms_in
from cmr_reader.domain.entities.negation import ABSENT, PRESENT, combine_polarities
from cmr_reader.domain.entities.numbers import find_quantities

LGE_PATTERN_PRECEDENCE = (
    ("lge_transmural", "transmural"),
    ("lge_subendocardial", "subendocardial"),
    ("lge_subepicardial", "subepicardial"),
    ("lge_midwall", "patchy_midwall"),
    ("lge_insertion", "rv_insertion"),
    ("lge_diffuse", "diffuse"),
)
EFFUSION_GRADES = (
    ("grade_none", "none"),
    ("grade_small", "small"),
    ("grade_moderate", "moderate"),
    ("grade_large", "large"),
)


def extract_findings(document: Document) -> dict:
    """``sam``, ``lvot_obstruction``, ``apical_aneurysm``, ``lge`` and its pattern and extent, effusion."""
    lvot = find_mentions(document=document, key="lvot") + [
        # A measured gradient states nothing; "no significant LVOT gradient" states no obstruction.
        m
        for m in find_mentions(document=document, key="lvot_gradient")
        if m.polarity != PRESENT
    ]
    lge = find_mentions(document=document, key="lge", excluded_after="lge_excluded_after")
    found: dict[str, str | float | None] = {
        "sam": combine_polarities([m.polarity for m in find_mentions(document=document, key="sam")]),
        "lvot_obstruction": combine_polarities([m.polarity for m in lvot]),
        "apical_aneurysm": combine_polarities(
            [m.polarity for m in find_mentions(document=document, key="aneurysm")]
        ),
        "lge": combine_polarities([m.polarity for m in lge]),
        "pericardial_effusion": _effusion(document),
    }
    if found["lge"] == PRESENT:
        affirmed = [m for m in lge if m.polarity == PRESENT]
        found["lge_pattern"] = _lge_pattern(document=document, affirmed=affirmed)
        found["lge_extent_pct"] = _lge_extent(document=document, affirmed=affirmed)
    return found


def _lge_pattern(*, document: Document, affirmed: list[Mention]) -> str | None:
    keys = tuple(key for key, _ in LGE_PATTERN_PRECEDENCE)
    clauses = [document.clause_at(m.span.start) or m.span for m in affirmed]
    terms = terms_in(document=document, spans=clauses, keys=keys)
    if not terms:
        sentences = [document.sentence_at(m.span.start) or m.span for m in affirmed]
        clauses = sentences
        terms = terms_in(document=document, spans=sentences, keys=keys)
    if "lge_insertion" in terms and terms_in(document=document, spans=clauses, keys=("lge_only",)):
        return "rv_insertion"
    return next((value for key, value in LGE_PATTERN_PRECEDENCE if key in terms), None)


def _lge_extent(*, document: Document, affirmed: list[Mention]) -> float | None:
    text, lang = document.text, document.lang
    located = {document.sentence_at(m.span.start) for m in affirmed}
    sentences = sorted((s for s in located if s is not None), key=lambda s: s.start)
    for sentence in sentences:
        for quantity in find_quantities(text, start=sentence.start, end=sentence.end):
            if quantity.unit != "pct":
                continue
            clause = document.clause_at(quantity.start) or sentence
            if lexicon.search(text=text, lang=lang, key="ef", start=clause.start, end=quantity.start):
                continue
            if lexicon.matches_at_start(
                text=text[quantity.end : sentence.end], lang=lang, key="extent_excluded_after"
            ):
                continue
            return quantity.midpoint
    return None


def _effusion(document: Document) -> str | None:
    mentions = find_mentions(document=document, key="effusion", context="effusion_context")
    for mention in mentions:
        if mention.polarity == ABSENT:
            continue
        grade = _grade(document=document, span=mention.span)
        if grade and (mention.polarity == PRESENT or grade != "none"):
            return grade
    normal = find_mentions(document=document, key="pericardium_normal", self_negating=True)
    if any(m.polarity == ABSENT for m in mentions) or any(m.polarity == PRESENT for m in normal):
        return "none"
    return None


def _grade(*, document: Document, span: Span) -> str | None:
    """The size word nearest before the mention in its clause, else the first after it."""
    clause = document.clause_at(span.start) or span
    hits = [
        (m.start, value)
        for key, value in EFFUSION_GRADES
        for m in lexicon.find(
            text=document.text, lang=document.lang, key=key, start=clause.start, end=clause.end
        )
    ]
    before = [hit for hit in hits if hit[0] < span.end]
    after = [hit for hit in hits if hit[0] >= span.end]
    if before:
        return max(before)[1]
    return min(after)[1] if after else None
