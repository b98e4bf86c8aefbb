"""Splitting report text into sentences, in English and Chinese, without rewriting any of them.

English sentences end at ``. ! ?`` followed by a space and a capital, digit or bracket, except
after the abbreviations reports use ("Dr.", "e.g.", "approx.", "vs.") and single initials; a
decimal point is never followed by a space, so "2.5 cm" stays whole. Chinese sentences end at
``。！？`` wherever they stand. ``;`` and ``；`` join clauses of one sentence and do not split.
"""

import re

_ABBREVIATIONS = frozenset(
    "dr prof mr mrs ms st no nos fig figs approx vs e.g i.e eg ie cf etc incl max min avg est resp ca".split()
)
_ENGLISH_END = re.compile(r"[.!?](?:[\"')\]]*)\s+(?=[A-Z0-9(\"'\u3400-\u9fff])")
_CHINESE_END = re.compile(r"[。！？](?:[”’）)」』]*)")
_SENTENCE_PUNCTUATION = re.compile(r"[.。!?！？…]$")


def split_sentences(text: str) -> list[str]:
    """The sentences of one paragraph or list item, stripped, in order."""
    pieces: list[str] = []
    for chunk in _split_at(_CHINESE_END, text.strip()):
        pieces.extend(_split_english(chunk))
    return [piece for piece in (p.strip() for p in pieces) if piece]


def end_sentence(sentence: str, *, language: str) -> str:
    """``sentence`` with a full stop when it has no end punctuation (a list item, "LVEF 55%"), so
    that every displayed sentence ends alike; ":" and ";" at the end become the stop."""
    sentence = sentence.rstrip(" ,;:；：，")
    if not sentence or _SENTENCE_PUNCTUATION.search(sentence):
        return sentence
    return sentence + ("。" if language == "zh" else ".")


def _split_at(pattern: re.Pattern, text: str) -> list[str]:
    pieces, start = [], 0
    for match in pattern.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _split_english(text: str) -> list[str]:
    pieces, start = [], 0
    for match in _ENGLISH_END.finditer(text):
        before = text[start : match.start()].split()
        last_word = before[-1].lower().rstrip(".") if before else ""
        if text[match.start()] == "." and (last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word)):
            continue
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return pieces
