"""Whether a mention is affirmed, negated or hedged, judged within its clause.

Order matters: uncertainty is looked for first and its cue spans are set aside, so that "cannot be
excluded", "not excluded" or "不除外" never count as negations. Affirming cues ("(+)", "阳性",
"可能性大") are set aside the same way, so "可能性大" (most likely) is not read as "可能" (possibly).

Scope: in English a negation before the mention ("no", "without", "absence of") or after it
("none", "not seen", ": no") counts only inside the mention's clause, so in "Patchy LGE without
pericardial effusion" the "without" reaches the effusion and not the LGE. Chinese clauses are
short and put the cue on either side ("未见SAM征", "心包无积液", "左室流出道未见梗阻"), so a
Chinese cue anywhere in the clause counts.
"""

import re

from cmr_reader.domain.entities import lexicon
from cmr_reader.domain.entities.document import Document, Span

PRESENT, ABSENT, UNCERTAIN = "present", "absent", "uncertain"
# "No LGE and a small pericardial effusion": an article or a size after "and" starts a new,
# affirmed noun phrase, so the negation stops there ("no SAM and LVOT obstruction" still reaches).
NEW_PHRASE = re.compile(r"\band (?:a|an|the|there|mild|small|moderate|large|trace|trivial)\b")


def mention_polarity(*, document: Document, mention: Span, self_negating: bool = False) -> str:
    """``present``, ``absent`` or ``uncertain`` for the mention at ``mention``.

    ``self_negating`` mentions carry their own negation ("no evidence of cardiomyopathy" as a
    statement of normality; "未见异常"): only uncertainty can change them.
    """
    clause = document.clause_at(mention.start) or Span(mention.start, mention.end)
    text, lang = document.text, document.lang

    def cues(key: str) -> list[lexicon.Match]:
        return lexicon.find(text=text, lang=lang, key=key, start=clause.start, end=clause.end)

    set_aside = [(m.start, m.end) for m in cues("affirmation")]
    uncertain = [m for m in cues("uncertain") if not _overlaps(m, set_aside)]
    if uncertain:
        return UNCERTAIN
    if self_negating:
        return PRESENT
    set_aside += [(m.start, m.end) for m in cues("uncertain")]
    for cue in cues("negation_before"):
        if _overlaps(cue, set_aside):
            continue
        if cue.lang == "zh":
            return ABSENT
        if cue.end <= mention.start + 1 and not NEW_PHRASE.search(text, cue.end, mention.start):
            return ABSENT
    for cue in cues("negation_after"):
        if _overlaps(cue, set_aside):
            continue
        if cue.lang == "zh" or cue.start >= mention.end - 1:
            return ABSENT
    return PRESENT


def _overlaps(match: lexicon.Match, spans: list[tuple[int, int]]) -> bool:
    return any(match.start < end and start < match.end for start, end in spans)


def combine_polarities(polarities: list[str]) -> str | None:
    """One finding from all its mentions: any affirmed mention wins, then any hedged one.

    "No LGE in the lateral wall. Patchy LGE in the septum." is LGE present; "No definite LGE;
    subtle enhancement at the insertion points cannot be excluded" is uncertain.
    """
    for polarity in (PRESENT, UNCERTAIN, ABSENT):
        if polarity in polarities:
            return polarity
    return None
