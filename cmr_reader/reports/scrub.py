"""Removing identifying text from free-text reports before they are stored.

Two kinds of rule: the case's own identifiers (names, IDs, accession, UIDs), which the caller
passes in because only it knows them, and generic patterns that identify in any report (dates,
phone numbers, signatures, "Dr <Name>"). Each match becomes ``PLACEHOLDER``; a run of
placeholders (a name split into parts, say) collapses into one, so no fragment survives and the
reader learns nothing from how many were removed. Clinical values ("LVEF 55%", "22 mm", "AHA
segment 3") match none of the rules: every numeric pattern needs a four-digit year, a phone
shape or a label.
"""

import re
from collections.abc import Iterable

PLACEHOLDER = "[removed]"

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_YEAR = r"(?:19|20)\d{2}"
_MM = r"(?:0?[1-9]|1[0-2])"
_DD = r"(?:0?[1-9]|[12]\d|3[01])"

_DATE_PATTERNS = [
    rf"{_YEAR}\s*年\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*[日号])?",  # 2024年3月15日, 2024年3月
    rf"{_YEAR}[-/.]{_MM}[-/.]{_DD}",  # 2024-03-15, 2024/3/15, 2024.03.15
    rf"{_DD}[-/.]{_MM}[-/.]{_YEAR}",  # 15/03/2024, 15.03.2024, 15-03-2024
    rf"{_MM}[-/.]{_DD}[-/.]{_YEAR}",  # 03/15/2024 (US order)
    rf"{_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])",  # 20240315, the DICOM DA form
    rf"{_DD}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+{_YEAR}",  # 15 March 2024
    rf"(?:{_MONTHS})\.?\s+{_DD}(?:st|nd|rd|th)?,?\s+{_YEAR}",  # March 15, 2024
    rf"(?:{_MONTHS})\.?\s+{_YEAR}",  # March 2024
]
_DATES = re.compile(r"(?<![\w.])(?:" + "|".join(_DATE_PATTERNS) + r")(?![\w])", re.IGNORECASE)

_PHONES = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,8}){1,4}"  # +49-123-4567890
    r"|\(\d{2,5}\)\s?\d{3,4}[\s.-]?\d{3,5}"  # (010) 1234 5678
    r"|1[3-9]\d{9}"  # Chinese mobile, 13812345678
    r"|\d{2,4}-\d{3,4}-\d{3,5}"  # 010-1234-5678, 555-123-4567
    r"|0\d{2,3}-\d{7,8}"  # 010-12345678
    r")(?!\w)"
)
# A labelled number is a phone number whatever its shape.
_LABELLED_PHONES = re.compile(
    r"(?:\b(?:tel|phone|telephone|mobile|fax|pager|ext)\.?|电话|手机|联系方式)\s*[:：#]?\s*[\d+()][\d\s().-]{4,}\d",
    re.IGNORECASE,
)

# A signature runs from its label to the end of its line: what follows "Reported by" is a name,
# credentials and a time, all of it identifying.
_ENGLISH_SIGNATURES = re.compile(
    r"\b(?:(?:electronically\s+)?(?:signed|reported|dictated|transcribed|verified|approved|reviewed|"
    r"authori[sz]ed|read)\s+(?:and\s+\w+\s+)?by|attending(?:\s+radiologist)?\s*:|radiologist\s*:|"
    r"reporting\s+radiologist\s*:|signature\s*:)[^\n]*",
    re.IGNORECASE,
)
# Chinese names are written without spaces: the signature ends at whitespace or punctuation.
_CHINESE_SIGNATURES = re.compile(
    r"(?:报告|审核|诊断|复核|签发|书写|记录|主治|审签)(?:医师|医生|者|人)(?:签名)?\s*[:：]?\s*[^\s。；;，,、\n]*"
    r"|(?:医师|医生)?签名\s*[:：]?\s*[^\s。；;，,、\n]*"
)
SIGNATURES = (_ENGLISH_SIGNATURES, _CHINESE_SIGNATURES)
_DOCTOR_NAMES = re.compile(
    r"\b(?:Dr|Prof|Doctor|Professor)\.?\s+(?:[A-Z]\.\s*)*[A-Z][\w'-]+(?:\s+(?:[A-Z]\.\s*)*[A-Z][\w'-]+)?"
)
_PLACEHOLDER_RUNS = re.compile(r"\[removed\](?:[ \t,^;]*\[removed\])+")


def scrub_report_text(text: str, *, identifiers: Iterable[str] = ()) -> str:
    """``text`` with identifiers, dates, phone numbers and signatures replaced by ``PLACEHOLDER``.

    ``identifiers`` are this case's own values: names (``Family^Given`` or ``Given Family``, each
    part is also removed on its own, in any case), IDs, accession number, UIDs.
    """
    for pattern in _identifier_patterns(identifiers):
        text = pattern.sub(PLACEHOLDER, text)
    for pattern in (_ENGLISH_SIGNATURES, _CHINESE_SIGNATURES, _LABELLED_PHONES, _DATES, _PHONES):
        text = pattern.sub(PLACEHOLDER, text)
    text = _DOCTOR_NAMES.sub(PLACEHOLDER, text)
    return _PLACEHOLDER_RUNS.sub(PLACEHOLDER, text)


def _identifier_patterns(identifiers: Iterable[str]) -> list[re.Pattern]:
    needles: set[str] = set()
    for identifier in identifiers:
        value = (identifier or "").strip()
        if not value:
            continue
        needles.add(value)
        parts = [part for part in re.split(r"[\s^,]+", value) if part]
        needles.add(" ".join(parts))
        needles.add("".join(parts))  # Chinese names: family and given written together
        needles.add("".join(reversed(parts)))
        for part in parts:
            # A single Han character is too often an ordinary word (张 in 扩张, dilatation) and a
            # one-letter part is an initial; both go only as part of the whole name.
            if len(part) >= 2:
                needles.add(part)
    # Longest first, so "Anna Testpatient" goes as a whole before its parts are looked at.
    ordered = sorted(needles, key=lambda needle: (-len(needle), needle))
    return [_needle_pattern(needle) for needle in ordered if needle]


def _needle_pattern(needle: str) -> re.Pattern:
    body = r"[\s^,]+".join(re.escape(piece) for piece in needle.split())
    if re.search(f"[{_HAN}]", needle):
        return re.compile(body)
    # Latin identifiers must stand alone: "Ren" is a name, "renal" is anatomy.
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)
