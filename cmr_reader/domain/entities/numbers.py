"""Numbers with units in normalised report text: "22 mm", "2.2cm", "58 %", "15-17 mm", "约180ml".

A quantity is a number, optionally a range ("15-17", "15 to 17", "17~19", "13至15"), and a unit
that may follow either end ("1.8-2.0 cm", "58%~62%"). Units are grouped into kinds so that
"ml", "mls", "cc" and "毫升" all read as millilitres and "cm" converts to millimetres.

Ranges are decided per field: a *maximal* wall thickness given as "15-17 mm" is 17 mm (the
thickest wall is the upper end), every other measure takes the midpoint ("EF 55-60%" -> 57.5).
Hedges such as "approximately", "about", "~" or "约" carry no information for the value and are
simply skipped: the number after them is read as stated.
"""

import re
from dataclasses import dataclass

NUMBER = r"\d+(?:\.\d+)?"
UNIT_KINDS = (
    # Longest spellings first, so "ml/m2" is not read as "ml" and "mmhg" not as "mm".
    ("ml_m2", r"ml\s*/\s*m\s*\^?2|mls?/bsa"),
    ("g_m2", r"g\s*/\s*m\s*\^?2|gm\s*/\s*m\s*\^?2"),
    ("other", r"mmhg|mmol|mg|kg|ms|msec|bpm|hz|m/s|cm/s|mm2|cm2|mm3"),
    ("ml", r"mls?|cc|毫升"),
    ("mm", r"mm|毫米"),
    ("cm", r"cm|厘米|公分"),
    ("g", r"grams?|gm|g|克"),
    ("pct", r"%|percent|per cent"),
)
UNIT = "|".join(f"(?P<{kind}_{{end}}>{spelling})" for kind, spelling in UNIT_KINDS)
RANGE_SEPARATOR = r"\s*(?:-|~|to|至|到)\s*"
QUANTITY = re.compile(
    rf"(?<![\d.])(?P<low>{NUMBER})\s*(?:{UNIT.format(end='a')})?(?![a-z])"
    rf"(?:{RANGE_SEPARATOR}(?P<high>{NUMBER})\s*(?:{UNIT.format(end='b')})?(?![a-z]))?"
)
KIND_NAMES = tuple(kind for kind, _ in UNIT_KINDS)


@dataclass(frozen=True)
class Quantity:
    """One number or range with its unit kind (``None`` when no unit is written)."""

    low: float
    high: float
    unit: str | None
    start: int
    end: int

    @property
    def is_range(self) -> bool:
        return self.high != self.low

    @property
    def midpoint(self) -> float:
        return round((self.low + self.high) / 2.0, 2)

    @property
    def maximum(self) -> float:
        return max(self.low, self.high)


def find_quantities(text: str, *, start: int = 0, end: int | None = None) -> list[Quantity]:
    """Every quantity in ``text[start:end]``, with offsets into ``text``."""
    found = []
    for match in QUANTITY.finditer(text, start, len(text) if end is None else end):
        unit = _unit_of(match, end="b") or _unit_of(match, end="a")
        low = float(match.group("low"))
        high = float(match.group("high")) if match.group("high") else low
        found.append(Quantity(low=low, high=high, unit=unit, start=match.start(), end=match.end()))
    return found


def _unit_of(match: re.Match, *, end: str) -> str | None:
    for kind in KIND_NAMES:
        if match.group(f"{kind}_{end}"):
            return kind
    return None


def to_millimetres(*, value: float, unit: str | None) -> float:
    """A length in mm; centimetres are multiplied by ten, anything else is taken as mm."""
    return round(value * 10.0, 2) if unit == "cm" else round(value, 2)
