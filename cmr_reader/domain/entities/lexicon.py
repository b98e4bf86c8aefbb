"""The compiled patterns of a language: Chinese reports are read with the Chinese and English sets.

Each key maps to one compiled pattern per language that defines it; ``find`` runs them all and
returns the matches in text order, so callers never care which language a match came from.
"""

import re
from dataclasses import dataclass
from functools import cache

from cmr_reader.domain.entities import chinese, english


@dataclass(frozen=True)
class Match:
    """One pattern match: its span, its language and its named groups."""

    start: int
    end: int
    lang: str
    groups: dict

    def group(self, name: str) -> str | None:
        return self.groups.get(name)


@cache
def compiled(*, lang: str, key: str) -> tuple[tuple[str, re.Pattern], ...]:
    sources = (
        [("zh", chinese.PATTERNS), ("en", english.PATTERNS)] if lang == "zh" else [("en", english.PATTERNS)]
    )
    # ASCII word boundaries for English: Python counts CJK characters as word characters, so
    # without it "无SAM" or "LGE未见" would have no boundary around the abbreviation.
    flags = {"en": re.ASCII, "zh": 0}
    return tuple((source, re.compile(table[key], flags[source])) for source, table in sources if key in table)


def find(*, text: str, lang: str, key: str, start: int = 0, end: int | None = None) -> list[Match]:
    """Every match of ``key`` in ``text[start:end]``, in order of position."""
    stop = len(text) if end is None else end
    matches = [
        Match(start=m.start(), end=m.end(), lang=source, groups=m.groupdict())
        for source, pattern in compiled(lang=lang, key=key)
        for m in pattern.finditer(text, start, stop)
        if m.end() > m.start()
    ]
    return sorted(matches, key=lambda match: (match.start, -match.end))


def search(*, text: str, lang: str, key: str, start: int = 0, end: int | None = None) -> Match | None:
    """The first match of ``key`` in ``text[start:end]``, or ``None``."""
    found = find(text=text, lang=lang, key=key, start=start, end=end)
    return found[0] if found else None


def matches_at_start(*, text: str, lang: str, key: str) -> bool:
    """Whether ``key`` matches at the very start of ``text`` (for patterns anchored with ``^``)."""
    return any(pattern.match(text) for _, pattern in compiled(lang=lang, key=key))
