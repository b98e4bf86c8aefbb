"""Every form a person's name takes in a report: its parts in either order, joined or spaced,
and across scripts: a Han name in pinyin ("张伟" -> "Zhang Wei", "ZHANG^WEI", "Wei Zhang") and
a pinyin name in Han characters, found in the text by their readings ("ZHANG^WEI" -> 张伟).

pypinyin gives the readings (every reading of a character that has several, such as 单 shàn /
dān, so a surname is matched whatever its reading); it is the maintained Chinese-to-pinyin library,
with the phrase and surname dictionaries a hand-written table would lack.
"""

import functools
import itertools
import re
from collections.abc import Iterable

from pypinyin import Style, pinyin

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_RUN = re.compile(f"[{HAN}](?:[ \u3000]?[{HAN}])*")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z'’-]*(?:[\s^,]+[A-Za-z][A-Za-z'’-]*)*$")
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门 百里 呼延 轩辕".split()
)
_MAX_READINGS = 16


def han_name_forms(name: str) -> set[str]:
    """Latin forms of a Han name (family name first in the Han form): "Zhang Wei", "Wei Zhang",
    "ZhangWei"; the caller matches them case-insensitively and with any separator."""
    han = re.sub(r"\s+", "", name)
    if not re.fullmatch(f"[{HAN}]{{2,5}}", han):
        return set()
    split = 2 if han[:2] in COMPOUND_SURNAMES and len(han) > 2 else 1
    family, given = han[:split], han[split:]
    forms = set()
    for family_reading in _readings(family):
        for given_reading in _readings(given):
            forms |= {
                f"{family_reading} {given_reading}",
                f"{given_reading} {family_reading}",
                family_reading + given_reading,
            }
    return forms


def han_names_read_as(text: str, *, latin_name: str) -> set[str]:
    """The Han spellings in ``text`` whose pinyin reads as ``latin_name`` ("ZHANG^WEI",
    "Zhang Wei" or "Wei Zhang": either order), spaced ones ("李 娜") included."""
    if not _LATIN_NAME.match(latin_name.strip()):
        return set()
    parts = [part.lower() for part in latin_name_parts(latin_name)]
    if len(parts) < 2:
        return set()
    wanted = {"".join(parts), "".join(reversed(parts))}
    wanted = {re.sub(r"[^a-z]", "", spelling) for spelling in wanted}
    found = set()
    for run in _HAN_RUN.findall(text):
        characters = [c for c in run if c not in " \u3000"]
        readings = [_character_readings(c) for c in characters]
        for start in range(len(characters)):
            for length in range(2, min(5, len(characters) - start) + 1):
                window = readings[start : start + length]
                if _reads_as(window, wanted):
                    found.add(_original_span(run, start, length))
    return found


def latin_name_parts(name: str) -> list[str]:
    return [part for part in re.split(r"[\s^,]+", name.strip()) if part]


@functools.lru_cache(maxsize=8192)
def _character_readings(character: str) -> tuple[str, ...]:
    """Every reading of ``character``, the most common first (pypinyin's order)."""
    return tuple(dict.fromkeys(pinyin(character, style=Style.NORMAL, heteronym=True)[0]))


def _readings(han: str) -> list[str]:
    per_character = [_character_readings(c) for c in han]
    combos = itertools.islice(itertools.product(*per_character), _MAX_READINGS)
    return ["".join(combo).capitalize() for combo in combos]


def _reads_as(window: list[tuple[str, ...]], wanted: Iterable[str]) -> bool:
    for spelling in wanted:
        if _consumes(window, spelling):
            return True
    return False


def _consumes(window: list[tuple[str, ...]], spelling: str) -> bool:
    """Whether the characters' readings, one each in order, spell ``spelling`` exactly."""
    if not window:
        return not spelling
    return any(spelling.startswith(r) and _consumes(window[1:], spelling[len(r) :]) for r in window[0])


def _original_span(run: str, start: int, length: int) -> str:
    """The ``length`` characters from the ``start``-th of ``run`` with the spaces between them."""
    seen, begin = -1, None
    for index, character in enumerate(run):
        if character in " \u3000":
            continue
        seen += 1
        if seen == start:
            begin = index
        if seen == start + length - 1:
            return run[begin : index + 1]
    return run[begin:]
