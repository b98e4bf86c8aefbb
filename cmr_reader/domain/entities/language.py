"""Which language a report is written in.

Chinese CMR reports are full of Latin abbreviations (LVEF, SAM, LGE, mm), so a text is Chinese
when CJK ideographs are at least a fifth of its letters; a stray ideograph (a name, a quoted
term) does not make an English report Chinese.
"""

import re

CJK_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
LANGUAGES = ("en", "zh")


def detect_language(text: str) -> str:
    """``"zh"`` when CJK ideographs are at least a fifth of the letters, else ``"en"``."""
    ideographs = len(CJK_IDEOGRAPH.findall(text))
    letters = ideographs + len(LATIN_LETTER.findall(text))
    return "zh" if ideographs and ideographs * 5 >= letters else "en"


def resolve_language(*, text: str, lang: str) -> str:
    """The language to read ``text`` in: ``lang`` itself, or the detected one for ``"auto"``."""
    if lang == "auto":
        return detect_language(text)
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected 'auto' or one of {LANGUAGES}")
    return lang
