"""Removing identifying text from free-text reports before they are stored.

Three kinds of rule, applied in this order:

1. The case's own identifiers (names, IDs, accession, UIDs), which the caller passes in because
   only it knows them, together with the values the text itself labels as a name or a record
   number ("姓名：张伟", "Patient name: ZHANG^WEI", "住院号：ZY1234567", "审核：李娜"), each in
   every form it takes: parts in either order, spaced, and across scripts (``name_forms``: 张伟 ↔
   "Zhang Wei" through pypinyin). A labelled value is removed wherever else it appears.
2. Generic patterns that identify in any report (``scrub_patterns``): signatures, labelled
   phone numbers and addresses, e-mail addresses, dates, phone numbers, street addresses, long
   numbers, "Dr <Name>".
3. A run of placeholders (a name split into parts, say) collapses into one, so no fragment
   survives and the reader learns nothing from how many were removed.

Each match becomes ``PLACEHOLDER``. Clinical values ("LVEF 55%", "22 mm", "AHA segment 3") match
none of the rules; tests/reports_tests/test_scrub_corpus.py checks both on a corpus of realistic
English and Chinese reports (cmr_reader.domain.synthetic.ris_corpus).
"""

import re
from collections.abc import Iterable

from cmr_reader.reports.name_forms import HAN, han_name_forms, han_names_read_as, latin_name_parts
from cmr_reader.reports.scrub_patterns import (
    ADDRESSES,
    CHINESE_SIGNATURES,
    DATES,
    DOCTOR_NAMES,
    EMAILS,
    ENGLISH_SIGNATURES,
    FIELD_LABELS,
    LABELLED_ADDRESSES,
    LABELLED_HAN_NAMES,
    LABELLED_LATIN_NAMES,
    LABELLED_NUMBERS,
    LABELLED_PHONES,
    LONG_NUMBERS,
    NOT_NAMES,
    PHONES,
    SIGNATURES,
)

PLACEHOLDER = "[removed]"
__all__ = ["PLACEHOLDER", "SIGNATURES", "labelled_identifiers", "scrub_report_text"]

_PLACEHOLDER_RUNS = re.compile(r"\[removed\](?:[ \t,^;/]*\[removed\])+")
_GENERIC = (
    ENGLISH_SIGNATURES,
    CHINESE_SIGNATURES,
    LABELLED_PHONES,
    LABELLED_ADDRESSES,
    EMAILS,
    DATES,
    PHONES,
    ADDRESSES,
    LONG_NUMBERS,
    DOCTOR_NAMES,
)


def scrub_report_text(text: str, *, identifiers: Iterable[str] = ()) -> str:
    """``text`` with identifiers, dates, numbers, contacts and signatures replaced by ``PLACEHOLDER``.

    ``identifiers`` are this case's own values: names (``Family^Given``, ``Given Family`` or Han
    characters; each Latin part of two or more letters is also removed on its own, in any case),
    IDs, accession number, UIDs.
    """
    given = [value.strip() for value in identifiers if value and value.strip()]
    for pattern in _identifier_patterns(text, [*given, *labelled_identifiers(text)]):
        text = pattern.sub(PLACEHOLDER, text)
    for pattern in _GENERIC:
        text = pattern.sub(PLACEHOLDER, text)
    return _PLACEHOLDER_RUNS.sub(PLACEHOLDER, text)


def labelled_identifiers(text: str) -> list[str]:
    """Values the text labels as a person's name or a record number."""
    values = []
    for match in LABELLED_HAN_NAMES.finditer(text):
        name = match.group(1) or match.group(2)
        while len(name) > 2 and FIELD_LABELS.search(name):
            name = FIELD_LABELS.sub("", name)
        values.append(name)
    for match in LABELLED_LATIN_NAMES.finditer(text):
        words = [w for w in re.split(r"[\s^,]+", match.group(1)) if w]
        # Stop at the first word that is no name ("Patient: Male", "Name: SMITH John MRN").
        kept = []
        for word in words:
            if word.lower().strip(".'’") in NOT_NAMES:
                break
            kept.append(word)
        if kept:
            values.append(" ".join(kept))
    for match in LABELLED_NUMBERS.finditer(text):
        value = match.group(1) or match.group(2)
        if any(c.isdigit() for c in value):
            values.append(value)
    return [value for value in values if value.strip().lower() not in NOT_NAMES]


def _identifier_patterns(text: str, identifiers: Iterable[str]) -> list[re.Pattern]:
    whole: set[str] = set()  # removed only as a whole
    parts: set[str] = set()  # a Latin name's parts, also removed on their own
    for value in identifiers:
        whole.add(value)
        if re.search(f"[{HAN}]", value):
            han = re.sub(r"[\s^,]+", "", value)  # "张^三", "张 三": written together in the text
            whole |= {han, *han_name_forms(han)}
            continue
        pieces = latin_name_parts(value)
        whole.add(" ".join(pieces))
        whole.add("".join(pieces))
        whole.add(" ".join(reversed(pieces)))
        whole |= han_names_read_as(text, latin_name=value)
        # A one-letter part is an initial and goes only as part of the whole name.
        parts |= {piece for piece in pieces if len(piece) >= 2}
    needles = [needle for needle in whole | parts if needle.strip()]
    # Longest first, so that at any place "Anna Testpatient" goes as a whole before its parts.
    ordered = sorted(needles, key=lambda needle: (-len(needle), needle))
    # One alternation per script: a pattern per needle would cost a compile each (most of the time).
    latin = [_latin_body(needle) for needle in ordered if not re.search(f"[{HAN}]", needle)]
    han = [_han_body(needle) for needle in ordered if re.search(f"[{HAN}]", needle)]
    patterns = []
    if han:
        patterns.append(re.compile("|".join(han)))
    if latin:
        # Latin identifiers must stand alone: "Ren" is a name, "renal" is anatomy.
        patterns.append(re.compile(rf"(?<![A-Za-z0-9])(?:{'|'.join(latin)})(?![A-Za-z0-9])", re.IGNORECASE))
    return patterns


def _han_body(needle: str) -> str:
    # Han names are written with or without spaces between the characters ("李 娜").
    return r"[ \u3000]?".join(re.escape(c) for c in needle if not c.isspace())


def _latin_body(needle: str) -> str:
    return r"[\s^,]+".join(re.escape(piece) for piece in needle.split())
