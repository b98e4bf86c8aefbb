"""Mentions of a concept in the kept sentences, each with its polarity (present/absent/uncertain)."""

from dataclasses import dataclass

from cmr_reader.domain.entities import lexicon
from cmr_reader.domain.entities.document import Document, Span
from cmr_reader.domain.entities.negation import mention_polarity


@dataclass(frozen=True)
class Mention:
    span: Span
    polarity: str


def find_mentions(
    *,
    document: Document,
    key: str,
    self_negating: bool = False,
    excluded_after: str | None = None,
    context: str | None = None,
) -> list[Mention]:
    """Mentions of ``key``; ``excluded_after`` drops those followed by that pattern ("LGE imaging"),
    ``context`` keeps only those whose sentence also matches it (a bare "effusion" must be pericardial).
    """
    found = []
    for sentence in document.sentences:
        if context and not lexicon.search(
            text=document.text, lang=document.lang, key=context, start=sentence.start, end=sentence.end
        ):
            continue
        for match in lexicon.find(
            text=document.text, lang=document.lang, key=key, start=sentence.start, end=sentence.end
        ):
            following = document.text[match.end : sentence.end]
            if excluded_after and lexicon.matches_at_start(
                text=following, lang=document.lang, key=excluded_after
            ):
                continue
            span = Span(match.start, match.end)
            polarity = mention_polarity(document=document, mention=span, self_negating=self_negating)
            found.append(Mention(span, polarity))
    return found


def terms_in(*, document: Document, spans: list[Span], keys: tuple[str, ...]) -> set[str]:
    """Which of ``keys`` match somewhere inside ``spans``."""
    return {
        key
        for key in keys
        for span in spans
        if lexicon.search(text=document.text, lang=document.lang, key=key, start=span.start, end=span.end)
    }
