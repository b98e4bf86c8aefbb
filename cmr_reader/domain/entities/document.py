"""A report prepared for pattern matching: normalised text cut into sentences and clauses.

Normalisation is NFKC (full-width digits, brackets, colons and commas become ASCII; "m²" becomes
"m2"), lower case, one kind of dash, common abbreviations spelled out (so their full stop does not
end a sentence) and reference ranges such as "(normal 55-70%)" removed (so they are never read
as the patient's value). Every later step works on offsets into this normalised text.

Sentences end at a full stop that is not a decimal point, "。", ";", "!" or a line break. Sentences
that open a clinical-history or technique section are dropped: "Indication: ?HCM" or "LGE imaging
after gadobutrol" says nothing about this patient's findings. The conclusion starts at the first
"Impression:"/"诊断意见:"-style heading; diagnosis prefers it.

Clauses bound the scope of a negation: "No pericardial effusion, but patchy LGE" negates only the
effusion. English clauses end at a comma or a contrast word ("but", "however", "although",
"whereas"), except inside a list closed by "or"/"and"/"nor" ("No SAM, LVOT obstruction or apical
aneurysm" is one clause). Chinese lists use "、", so every Chinese comma ends a clause.
"""

import re
import unicodedata
from dataclasses import dataclass, field

ABBREVIATIONS = (
    (re.compile(r"\bapprox\."), "approximately"),
    (re.compile(r"\bca\.(?=\s*\d)"), "circa"),
    (re.compile(r"\be\.g\."), "eg"),
    (re.compile(r"\bi\.e\."), "ie"),
    (re.compile(r"\bvs\."), "vs"),
    (re.compile(r"\bno\.(?=\s*\d)"), "number"),
)
REFERENCE_RANGE = re.compile(r"[(\[]\s*(?:normal|ref\w*|nl\b|range|正常|参考)[^)\]]*[)\]]")
SENTENCE_END = re.compile(r"\n|。|;|!|(?<!\d)\.(?!\d)|\.(?=\s|$)")
HEADING_LEAD = r"^[\s\-*#•·>【\[(\d.)]*"
SKIPPED_SECTION = re.compile(
    HEADING_LEAD
    + r"(?:indications?|clinical(?: history| information| details| question| indication| data)?|history"
    r"|reason for (?:study|exam\w*|referral|scan)|referral|technique|protocol|sequences?|procedure"
    r"|临床诊断|临床资料|临床信息|临床病史|病史|检查目的|申请目的|检查技术|检查方法|扫描方案|扫描技术|扫描序列)"
    r"\s*[:】\]]"
)
CONCLUSION_HEADING = re.compile(
    HEADING_LEAD
    + r"(?:impressions?|conclusions?|summary|opinion|(?:final )?diagnosis|诊断意见|影像学诊断|影像诊断|诊断|印象|结论|意见)"
    r"\s*[:】\]-]"
)
CONTRAST_WORD = re.compile(r"\b(?:but|however|although|though|whereas)\b|但是|但|然而")
LIST_CLOSER = re.compile(r"\b(?:or|and|nor)\b")
VERB_LIKE = re.compile(
    r"\b(?:is|are|was|were|measur\w*|shows?|showing|demonstrat\w*|there|which|seen|noted|present)\b"
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class Document:
    """Normalised report text with its kept sentences and clauses, in order."""

    text: str
    lang: str
    sentences: list[Span] = field(default_factory=list)
    clauses: list[Span] = field(default_factory=list)
    conclusion_start: int | None = None

    def sentence_at(self, position: int) -> Span | None:
        return _span_at(self.sentences, position)

    def clause_at(self, position: int) -> Span | None:
        return _span_at(self.clauses, position)

    def in_conclusion(self, position: int) -> bool:
        return self.conclusion_start is not None and position >= self.conclusion_start

    def slice(self, span: Span) -> str:
        return self.text[span.start : span.end]


def _span_at(spans: list[Span], position: int) -> Span | None:
    for span in spans:
        if span.start <= position < span.end:
            return span
    return None


def normalise_text(text: str) -> str:
    """NFKC, lower case, one dash, abbreviations spelled out, reference ranges removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    for pattern, replacement in ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return REFERENCE_RANGE.sub(" ", text)


def prepare_document(*, text: str, lang: str) -> Document:
    """Normalise ``text`` and cut it into kept sentences and clauses."""
    normalised = normalise_text(text)
    document = Document(text=normalised, lang=lang)
    skip_next = False
    for sentence in _split_sentences(normalised):
        body = normalised[sentence.start : sentence.end]
        if not body.strip():
            continue
        heading = SKIPPED_SECTION.match(body)
        if heading or skip_next:
            # A bare heading line ("Clinical history:") hands its content to the next sentence.
            skip_next = heading is not None and not body[heading.end() :].strip()
            continue
        if document.conclusion_start is None and CONCLUSION_HEADING.match(body):
            document.conclusion_start = sentence.start
        document.sentences.append(sentence)
        document.clauses.extend(_split_clauses(text=normalised, sentence=sentence, lang=lang))
    return document


def _split_sentences(text: str) -> list[Span]:
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        spans.append(Span(start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append(Span(start, len(text)))
    return spans


def _split_clauses(*, text: str, sentence: Span, lang: str) -> list[Span]:
    cuts = [sentence.start]
    body = text[sentence.start : sentence.end]
    for match in CONTRAST_WORD.finditer(body):
        cuts.append(sentence.start + match.start())
    commas = [sentence.start + m.start() + 1 for m in re.finditer(r",", body)]
    cuts.extend(commas if lang == "zh" else _english_comma_cuts(text=text, commas=commas, end=sentence.end))
    cuts = sorted(set(cuts)) + [sentence.end]
    return [Span(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _english_comma_cuts(*, text: str, commas: list[int], end: int) -> list[int]:
    """The commas that end a clause: all but those inside a noun-phrase list closed by "or"/"and"."""
    bounds = commas + [end]
    parts = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    keep, index = [], 0
    while index < len(parts):
        run_end = index
        # Extend over short verb-less parts until one of them closes the list.
        while run_end < len(parts) and _is_list_item(parts[run_end]):
            if LIST_CLOSER.search(parts[run_end]):
                break
            run_end += 1
        closed = run_end < len(parts) and _is_list_item(parts[run_end]) and LIST_CLOSER.search(parts[run_end])
        if closed:
            index = run_end + 1
        else:
            keep.append(commas[index])
            index += 1
    return keep


def _is_list_item(part: str) -> bool:
    return len(part.split()) <= 6 and not VERB_LIKE.search(part)
