"""One display form for every report, so a reader cannot tell the model's style from a person's.

Deterministic and conservative: it drops only lines that carry no findings (report titles,
signatures, timestamps, a generator's chatter), removes markup, gives known section headings one
spelling, and lays each section out the same way. It never rewrites a sentence.

Layout: an optional untitled first section, then ``Heading:`` on its own line (``标题：`` for
Chinese headings) followed by the section's paragraphs and list items, one per line (every list
marker becomes "- ", numbered ones included, since numbering is itself a style); wrapped lines
are joined; one blank line between sections; no trailing whitespace.
"""

import re
import unicodedata

from cmr_reader.analysis.entities.language import CJK_IDEOGRAPH
from cmr_reader.reports.scrub import PLACEHOLDER, SIGNATURES

# Canonical heading -> spellings seen in RIS exports and model output (lower case, no colon).
_HEADINGS = {
    "Indication": [
        "indication",
        "indications",
        "clinical history",
        "history",
        "clinical information",
        "clinical indication",
        "reason for exam",
        "reason for study",
    ],
    "Technique": ["technique", "protocol", "sequences", "procedure"],
    "Findings": ["findings", "finding", "results", "report findings"],
    "Impression": [
        "impression",
        "impressions",
        "conclusion",
        "conclusions",
        "summary",
        "opinion",
        "diagnosis",
        "assessment",
    ],
    "临床资料": ["临床资料", "临床病史", "病史", "临床信息", "检查目的"],
    "检查技术": ["检查技术", "技术", "扫描技术", "检查方法"],
    "检查所见": ["检查所见", "所见", "影像所见", "影像表现", "表现"],
    "诊断意见": ["诊断意见", "印象", "结论", "影像诊断", "诊断", "意见"],
}
_HEADING_BY_SPELLING = {
    spelling: canonical for canonical, spellings in _HEADINGS.items() for spelling in spellings
}
_SENTENCE_END = re.compile(r"[.。!?！？:：;；]$")

# Lines that say nothing about the patient's heart and would give the source away.
_DROPPED_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:cardiac |cardiovascular |heart )?(?:mri?|cmr|magnetic resonance(?: imaging)?)?\s*"
        r"(?:examination |study )?report$",
        r"^(?:心脏)?(?:磁共振|MRI|MR|CMR)(?:检查|成像)?(?:诊断)?报告(?:单)?$",
        r"^(?:as an ai|as a language model|i am an ai|i'm an ai)\b.*",
        r"^(?:generated|produced|written|created) (?:by|with|using)\b.*",
        r"^(?:here is|here's|below is|the following is)\b.*(?:report|findings)\b.*[:.]?$",
        r"^(?:sure|certainly|of course)\b.*",
        r"^(?:i hope|let me know|please (?:consult|note)|note: this (?:report|is)|disclaimer)\b.*",
        r"^(?:以下是|这是|下面是).{0,20}报告.*",
        r"^(?:作为(?:一个)?(?:ai|人工智能)|本报告由|由.{0,20}生成).*",
        r"^(?:report(?:ed)? (?:date|time)|date(?: of (?:report|exam(?:ination)?|study))?|time|exam date|"
        r"study date|报告(?:日期|时间)|检查(?:日期|时间))\s*[:：].*",
        r"^(?:\[removed\]|[\s\d:./,;-])*$",  # only placeholders, times or separators left
    )
]
_MARKUP = re.compile(r"\*\*|__|`|^#{1,6}\s*|^>\s*", re.MULTILINE)
_LIST_MARKER = re.compile(r"^(?:[-*•·▪‣]|\(?\d{1,2}[.)、]|[一二三四五六七八九十][、.])\s*")
_TIMESTAMP = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?\b", re.IGNORECASE)


def normalise_for_display(text: str) -> str:
    """The display form of ``text``: the same content always renders to the same characters."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _MARKUP.sub("", text.replace("\t", " "))
    sections: list[tuple[str, list[str]]] = [("", [])]
    continuing = False
    for raw_line in text.split("\n"):
        line = re.sub(r"[ \u3000]+", " ", raw_line).strip()
        if not line:
            continuing = False
            continue
        if any(pattern.match(line) for pattern in (*_DROPPED_LINES, *SIGNATURES)):
            continuing = False
            continue
        heading, rest = _split_heading(line)
        if heading:
            sections.append((heading, []))
            continuing = False
            if not rest:
                continue
            line = rest
        items = sections[-1][1]
        marker = _LIST_MARKER.match(line)
        if marker:
            items.append(line[marker.end() :].strip())
        elif continuing and items and not _SENTENCE_END.search(items[-1]):
            # A line broken mid-sentence (hard wrapping) continues the item above it.
            items[-1] = _join(items[-1], line)
        else:
            items.append(line)
        continuing = True
    blocks = []
    for heading, items in sections:
        items = [_TIMESTAMP.sub("", item).strip() if PLACEHOLDER in item else item for item in items]
        items = [item for item in items if item and item != PLACEHOLDER]
        if not items:
            continue
        body = "\n".join("- " + item if len(items) > 1 else item for item in items)
        colon = "：" if CJK_IDEOGRAPH.search(heading) else ":"
        blocks.append(f"{heading}{colon}\n{body}" if heading else body)
    return "\n\n".join(blocks)


def _split_heading(line: str) -> tuple[str, str]:
    """(canonical heading, text after it) when ``line`` opens a known section, else ("", line)."""
    name, colon, rest = (
        re.split(r"([:：])", line, maxsplit=1) if re.search(r"[:：]", line) else (line, "", "")
    )
    canonical = _HEADING_BY_SPELLING.get(name.strip().lower())
    # Without a colon only a line that is nothing but the heading counts: "Findings are..." is prose.
    if canonical and (colon or name.strip() == line):
        return canonical, rest.strip()
    return "", line


def _join(previous: str, line: str) -> str:
    if CJK_IDEOGRAPH.search(previous[-1:]) or CJK_IDEOGRAPH.search(line[:1]):
        return previous + line
    return previous + " " + line
