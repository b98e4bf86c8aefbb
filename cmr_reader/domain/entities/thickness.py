"""Maximal wall thickness and where it is ("室间隔最厚处约22mm", "2.4 cm in the basal antero-septum").

Candidates are the lengths (mm or cm) whose sentence, from its start or the previous number up
to the length, speaks of walls ("thick", "septum", "wall", "measures", "厚", "室间隔") and not of
something else that is measured in millimetres (an effusion, the atrium, a diameter, an aneurysm).
The largest candidate is the maximal wall thickness: the report's own "maximal" is usually the
largest wall it names, and "septum 22 mm, lateral wall 9 mm" means 22. A range gives its upper
end ("15-17 mm" -> 17), for the same reason.

The location is, in order: an AHA segment number named next to the value ("segment 9", "第9段");
a region named just after it when introduced as a place ("22 mm in the basal inferoseptum",
"(anterior wall)", "，位于前间隔"); the region named nearest before it ("室间隔最厚处约22mm");
a short phrase after the comma ("1.9 cm, mid inferoseptum"). Within one phrase the apex wins (AHA
apical segments are the ``apical`` region), then the septum ("basal anterior septum" is septal),
lateral, inferior and anterior walls. With no place named, an asymmetric-septal or apical pattern
stated elsewhere in the report gives the septum or the apex.
"""

from dataclasses import dataclass

from cmr_reader.domain.entities import lexicon
from cmr_reader.domain.entities.document import Document, Span
from cmr_reader.domain.entities.numbers import find_quantities, to_millimetres

REGIONS = ("apical", "septal", "lateral", "inferior", "anterior")
PHRASE_CHARS = 20
PATTERN_LOCATION = {"asymmetric_septal": "septal", "apical": "apical"}


@dataclass(frozen=True)
class Candidate:
    millimetres: float
    location: str | int | None


def extract_wall_thickness(*, document: Document, hypertrophy_pattern: str | None) -> dict:
    """``max_wall_thickness_mm`` and ``max_wall_thickness_location``, or nothing."""
    candidates = [
        c for sentence in document.sentences for c in _candidates(document=document, sentence=sentence)
    ]
    if not candidates:
        return {}
    thickest = max(candidates, key=lambda candidate: candidate.millimetres)
    location = thickest.location or PATTERN_LOCATION.get(hypertrophy_pattern or "")
    return {"max_wall_thickness_mm": thickest.millimetres, "max_wall_thickness_location": location}


def _candidates(*, document: Document, sentence: Span) -> list[Candidate]:
    text, lang = document.text, document.lang
    # Bare numbers ("segment 9", "第9段") are part of the context, not bounds of it.
    quantities = [q for q in find_quantities(text, start=sentence.start, end=sentence.end) if q.unit]
    found = []
    for index, quantity in enumerate(quantities):
        if quantity.unit not in ("mm", "cm"):
            continue
        before = Span(quantities[index - 1].end if index else sentence.start, quantity.start)
        after = Span(
            quantity.end, quantities[index + 1].start if index + 1 < len(quantities) else sentence.end
        )
        context = text[before.start : before.end]
        if lexicon.search(text=context, lang=lang, key="thickness_excluded"):
            continue
        if not lexicon.search(text=context, lang=lang, key="thickness_cue"):
            continue
        millimetres = to_millimetres(value=quantity.maximum, unit=quantity.unit)
        found.append(Candidate(millimetres, _location(document=document, before=before, after=after)))
    return found


def _location(*, document: Document, before: Span, after: Span) -> str | int | None:
    text, lang = document.text, document.lang
    after_text = text[after.start : after.end]
    introduced = lexicon.matches_at_start(text=after_text, lang=lang, key="location_lead")
    # The place after the value, up to the close of its bracket or its clause.
    place_after = Span(after.start, after.start + _place_length(after_text, introduced=introduced))
    for span in (place_after, before):
        segment = _segment(document=document, span=span)
        if segment:
            return segment
    if introduced and (region := _region(document=document, span=place_after, nearest="first")):
        return region
    if region := _region(document=document, span=before, nearest="last"):
        return region
    place = text[place_after.start : place_after.end]
    # "1.9 cm, mid inferoseptum": a short English phrase after the comma names the place. Chinese
    # says "，位于…" for that; a Chinese clause after the comma is usually another finding.
    if not introduced and place.isascii() and len(place.split()) <= 5:
        return _region(document=document, span=place_after, nearest="first")
    return None


def _place_length(after_text: str, *, introduced: bool) -> int:
    stripped = after_text.lstrip(" ,")
    skipped = len(after_text) - len(stripped)
    if introduced and stripped.startswith("("):
        close = stripped.find(")")
        return skipped + (close + 1 if close >= 0 else len(stripped))
    comma = stripped.find(",")
    return skipped + (comma if comma >= 0 else len(stripped))


def _segment(*, document: Document, span: Span) -> int | None:
    match = lexicon.search(
        text=document.text, lang=document.lang, key="segment", start=span.start, end=span.end
    )
    if not match:
        return None
    digits = match.group("n") or match.group("m")
    assert digits is not None  # every "segment" pattern captures its number as n or m
    number = int(digits)
    return number if 1 <= number <= 17 else None


def _region(*, document: Document, span: Span, nearest: str) -> str | None:
    hits = [
        (m.start, region)
        for region in REGIONS
        for m in lexicon.find(
            text=document.text, lang=document.lang, key=f"loc_{region}", start=span.start, end=span.end
        )
    ]
    if not hits:
        return None
    anchor = max(hits)[0] if nearest == "last" else min(hits)[0]
    phrase = {region for start, region in hits if abs(start - anchor) <= PHRASE_CHARS}
    return next(region for region in REGIONS if region in phrase)
