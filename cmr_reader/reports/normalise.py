"""The display form: one layout for both reports of a pair, so that form cannot tell the model's
report from the radiologist's (docs/decisions/0013-display-form.md).

The rules, in order:

1. Markup goes (``**``, ``#``, ``>``, backticks); lines that are not findings (report titles, a
   generator's chatter, date and time lines) and signature lines are withheld.
2. Text sits in one of two sections, Findings and Impression, titled in the report's language
   whatever the author called them. Text outside a recognised section belongs to Findings.
   Sections an AI report cannot have (indication, history, technique, comparison) are withheld
   for both arms. Such a section written on one line ("Indication: chest pain.") is that line and
   any hard-wrapped continuation; under a heading of its own it runs to the next heading or the
   first blank line after its text.
3. Every paragraph and list item is split into sentences; list markers go (bullets and numbering
   are a house style), hard-wrapped lines are joined, and a sentence without end punctuation gets
   a full stop. Each sentence is shown on its own line.
4. A sentence that carried a scrubbed identifier (``[removed]``) or refers to an earlier
   examination is withheld for both arms.
5. An empty section shows "Not stated." (in the report's language), so that both reports always
   have the same two sections.

Nothing else changes: no sentence is reworded, and the stored text is never touched. What was
withheld is returned with its reason, for the coordinator's view and the counts.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from cmr_reader.domain.entities.language import CJK_IDEOGRAPH, detect_language
from cmr_reader.reports.display_rules import (
    BOILERPLATE_LINES,
    FINDINGS,
    HEADINGS,
    IMPRESSION,
    NOT_STATED,
    PRIOR_EXAMINATION,
    SECTION_TITLES,
    WITHHELD_SECTION,
)
from cmr_reader.reports.scrub import PLACEHOLDER, SIGNATURES
from cmr_reader.reports.sentences import end_sentence, split_sentences

# Why a piece of a report is not shown to readers (the keys of ``DisplayForm.withheld_counts``).
BOILERPLATE = "boilerplate"
SIGNATURE = "signature"
SECTION = "section"
IDENTIFIER = "identifier"
PRIOR_EXAM = "prior_examination"
WITHHELD_REASONS = (SECTION, PRIOR_EXAM, IDENTIFIER, SIGNATURE, BOILERPLATE)

_MARKUP = re.compile(r"\*\*|__|`|^#{1,6}\s*|^>\s*", re.MULTILINE)
_LIST_MARKER = re.compile(
    r"^(?:[-*•·▪‣–]|\(?\d{1,2}[.)、](?!\d)|[一二三四五六七八九十][、.]|[a-z][.)](?=\s))\s*"
)
_OPEN_SENTENCE = re.compile(r"[^.。!?！？:：;；]$")


@dataclass(frozen=True)
class Withheld:
    reason: str  # one of WITHHELD_REASONS
    text: str


@dataclass(frozen=True)
class DisplayForm:
    """What readers see of one report, and what they do not."""

    language: str  # "en" or "zh": the section titles' language
    findings: tuple[str, ...]  # sentences, in order
    impression: tuple[str, ...]
    withheld: tuple[Withheld, ...]

    @property
    def text(self) -> str:
        titles = SECTION_TITLES[self.language]
        colon = "：" if self.language == "zh" else ":"
        blocks = []
        for section, sentences in ((FINDINGS, self.findings), (IMPRESSION, self.impression)):
            body = "\n".join(sentences or (NOT_STATED[self.language],))
            blocks.append(f"{titles[section]}{colon}\n{body}")
        return "\n\n".join(blocks)

    @property
    def withheld_counts(self) -> dict[str, int]:
        return dict(Counter(item.reason for item in self.withheld))


def display_form(text: str, *, language: str | None = None) -> DisplayForm:
    """The display form of a stored report ``text``; ``language`` ("en" or "zh") is the pair's,
    so that both reports get the same titles (detected from ``text`` when not given)."""
    language = language or detect_language(text)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _MARKUP.sub("", text.replace("\t", " "))
    withheld: list[Withheld] = []
    items: dict[str, list[str]] = {FINDINGS: [], IMPRESSION: [], WITHHELD_SECTION: []}
    section, continuing, section_has_text, one_line = FINDINGS, False, False, False
    for raw_line in text.split("\n"):
        line = re.sub(r"[ \u3000\u00a0]+", " ", raw_line).strip()
        if not line:
            continuing = False
            if section == WITHHELD_SECTION and section_has_text:
                section = FINDINGS  # a withheld section ends at the first blank line after text
            continue
        if any(pattern.match(line) for pattern in SIGNATURES):
            withheld.append(Withheld(SIGNATURE, line))
            continuing = False
            continue
        if any(pattern.match(line) for pattern in BOILERPLATE_LINES):
            withheld.append(Withheld(BOILERPLATE, line))
            continuing = False
            continue
        heading, rest = _split_heading(line)
        if heading:
            section, continuing, section_has_text = heading, False, False
            # "Indication: chest pain." is one line; a heading on a line of its own opens a block.
            one_line = heading == WITHHELD_SECTION and bool(rest)
            if not rest:
                continue
            line = rest
        current = items[section]
        opens_sentence = not (continuing and current and _OPEN_SENTENCE.search(current[-1]))
        if section == WITHHELD_SECTION and one_line and not heading and opens_sentence:
            section, current = FINDINGS, items[FINDINGS]  # the line after a one-line section
        section_has_text = True
        marker = _LIST_MARKER.match(line)
        if marker:
            current.append(line[marker.end() :].strip())
        elif not opens_sentence and not heading:
            current[-1] = _join(current[-1], line)  # a line broken mid-sentence (hard wrapping)
        else:
            current.append(line)
        continuing = True
    withheld.extend(Withheld(SECTION, item) for item in items[WITHHELD_SECTION])
    shown = {}
    for name in (FINDINGS, IMPRESSION):
        shown[name] = []
        for item in items[name]:
            for sentence in split_sentences(item):
                reason = _withheld_reason(sentence)
                if reason:
                    withheld.append(Withheld(reason, sentence))
                elif sentence.strip(" .。,;:，；：-"):
                    shown[name].append(end_sentence(sentence, language=language))
    return DisplayForm(
        language=language,
        findings=tuple(shown[FINDINGS]),
        impression=tuple(shown[IMPRESSION]),
        withheld=tuple(withheld),
    )


def normalise_for_display(text: str, *, language: str | None = None) -> str:
    """The text readers see of ``text``: ``display_form(text, language=...).text``."""
    return display_form(text, language=language).text


def _withheld_reason(sentence: str) -> str:
    if PLACEHOLDER in sentence:
        return IDENTIFIER
    if PRIOR_EXAMINATION.search(sentence):
        return PRIOR_EXAM
    return ""


def _split_heading(line: str) -> tuple[str, str]:
    """(section, text after the heading) when ``line`` opens a known section, else ("", line)."""
    match = re.match(r"^([^:：]{1,40})[:：]\s*(.*)$", line)
    name, rest = (match.group(1), match.group(2)) if match else (line.rstrip("."), "")
    section = HEADINGS.get(name.strip().lower())
    # Without a colon only a line that is nothing but the heading counts: "Findings are..." is prose.
    if section and (match or name.strip() == line.rstrip(".")):
        return section, rest.strip()
    return "", line


def _join(previous: str, line: str) -> str:
    if CJK_IDEOGRAPH.search(previous[-1:]) or CJK_IDEOGRAPH.search(line[:1]):
        return previous + line
    return previous + " " + line
