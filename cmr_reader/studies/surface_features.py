"""Surface features of a displayed report: what a reader could notice without judging content.

Length, sentences and sections, list markers, digits and units, punctuation, script, and the
frequencies of the study's most common words. The blinding audit (``blinding_audit.py``) asks
whether these tell the AI report from the reference. Pure: standard library only.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence

from cmr_reader.reports.display_rules import NOT_STATED, SECTION_TITLES

_TOKEN = re.compile(r"[a-z]+|[\u3400-\u4dbf\u4e00-\u9fff]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_UNIT = re.compile(r"(?<=\d)\s?(?:mm|cm|ml|mL|g|%|ms|bpm|l/min|m2|m²|percent)\b|(?<=\d)\s?%", re.IGNORECASE)
_ABBREVIATION = re.compile(r"\b[A-Z]{2,}[a-z]?\b")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)、])\s", re.MULTILINE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_TITLE_WORDS = frozenset(
    token
    for titles in SECTION_TITLES.values()
    for title in titles.values()
    for token in _TOKEN.findall(title.lower())
) | frozenset(token for text in NOT_STATED.values() for token in _TOKEN.findall(text.lower()))

# Feature key -> what it measures (the coordinator's page translates these keys for display).
SURFACE_FEATURES = (
    "characters_log",
    "sentences",
    "words_per_sentence",
    "findings_sentences",
    "impression_sentences",
    "empty_sections",
    "list_markers",
    "numbers",
    "units",
    "abbreviations",
    "commas",
    "parentheses",
    "semicolons",
    "colons",
    "hyphens",
    "cjk_share",
)
WORD_PREFIX = "word:"


def tokens(text: str) -> list[str]:
    """Lower-case Latin words and single CJK characters, section titles left out."""
    return [token for token in _TOKEN.findall(text.lower()) if token not in _TITLE_WORDS]


def common_words(texts: Sequence[str], *, count: int) -> list[str]:
    """The ``count`` words found in the most texts (ties alphabetical), for word-frequency features."""
    document_frequency = Counter(word for text in texts for word in set(tokens(text)))
    ranked = sorted(document_frequency.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _n in ranked[:count]]


def surface_features(
    *, text: str, findings: Sequence[str], impression: Sequence[str], vocabulary: Sequence[str]
) -> dict[str, float]:
    """Feature key -> value for one displayed report; word features are per 100 tokens."""
    sentences = [*findings, *impression]
    words = tokens(text)
    characters = len(text)
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    features = {
        "characters_log": math.log1p(characters),
        "sentences": float(len(sentences)),
        "words_per_sentence": len(words) / len(sentences) if sentences else 0.0,
        "findings_sentences": float(len(findings)),
        "impression_sentences": float(len(impression)),
        "empty_sections": float((not findings) + (not impression)),
        "list_markers": float(len(_LIST_MARKER.findall(text))),
        "numbers": float(len(_NUMBER.findall(text))),
        "units": float(len(_UNIT.findall(text))),
        "abbreviations": float(len(_ABBREVIATION.findall(text))),
        "commas": float(text.count(",") + text.count("，") + text.count("、")),
        "parentheses": float(text.count("(") + text.count("（")),
        "semicolons": float(text.count(";") + text.count("；")),
        "colons": float(sum(s.count(":") + s.count("：") for s in sentences)),
        "hyphens": float(text.count("-")),
        "cjk_share": cjk / (cjk + latin) if cjk + latin else 0.0,
    }
    counts = Counter(words)
    total = max(len(words), 1)
    for word in vocabulary:
        features[WORD_PREFIX + word] = 100.0 * counts[word] / total
    return features
