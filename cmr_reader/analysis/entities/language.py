"""Which language a report is written in: any CJK ideograph makes it Chinese.

Chinese CMR reports routinely embed English abbreviations (LVEF, SAM, LGE), so one ideograph is
enough; an English report never contains one.
"""

import re

CJK_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LANGUAGES = ("en", "zh")


def detect_language(text: str) -> str:
    """``"zh"`` when the text holds a CJK ideograph, else ``"en"``."""
    return "zh" if CJK_IDEOGRAPH.search(text) else "en"


def resolve_language(*, text: str, lang: str) -> str:
    """The language to read ``text`` in: ``lang`` itself, or the detected one for ``"auto"``."""
    if lang == "auto":
        return detect_language(text)
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected 'auto' or one of {LANGUAGES}")
    return lang
