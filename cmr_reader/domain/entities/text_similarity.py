"""Surface text similarity of a generated report to its reference: BLEU-4, ROUGE-L and chrF.

Secondary endpoints only: they reward shared wording, not clinical correctness. All three scores are
fractions in [0, 1] (sacrebleu's 0-100 scale divided by 100) so they sit beside ROUGE-L.

- BLEU-4 (Papineni et al., ACL 2002) via sacrebleu (Post, WMT 2018): tokenizer ``13a`` for English,
  ``zh`` for Chinese (each ideograph a token, the rest as ``13a``), exponential smoothing; sentence
  scores use effective order, as sacrebleu recommends for single sentences.
- chrF (Popovic, WMT 2015) via sacrebleu: character 6-grams, no word n-grams, beta 2, whitespace
  removed. Characters need no tokenizer, so it is the same metric in both languages.
- ROUGE-L (Lin, 2004) via rouge-score: the F1 of the longest common subsequence of tokens. Its
  default tokenizer keeps only ``[a-z0-9]`` and so deletes every Chinese character; Chinese text is
  tokenized here into single ideographs plus ASCII words and numbers.

Corpus BLEU and chrF pool n-gram counts over all pairs (they are not means of sentence scores);
corpus ROUGE-L is the mean of the per-pair F1.
"""

import re
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, TypeVar

from rouge_score.rouge_scorer import RougeScorer
from sacrebleu.metrics import BLEU, CHRF

from cmr_reader.domain.entities.language import CJK_IDEOGRAPH, resolve_language

CHRF_CHAR_ORDER = 6
CHRF_WORD_ORDER = 0
CHRF_BETA = 2
BLEU_TOKENIZERS = {"en": "13a", "zh": "zh"}
ROUGE_TOKENIZATION = {
    "en": "rouge-score default (lowercase, [a-z0-9]+ tokens, no stemming)",
    "zh": "one token per CJK ideograph plus lowercase [a-z0-9]+ words and numbers, no stemming",
}
CORPUS_ROUGE_AGGREGATION = "ROUGE-L is the mean F1 over pairs; BLEU and chrF pool counts over the corpus"
_CHINESE_TOKEN = re.compile(rf"{CJK_IDEOGRAPH.pattern}|[a-z0-9]+")


@dataclass(frozen=True)
class TextSimilarity:
    """BLEU-4, ROUGE-L F1 and chrF of one candidate against one reference, each in [0, 1]."""

    bleu4: float
    rouge_l_f1: float
    chrf: float
    lang: str
    tokenization: str
    sacrebleu_version: str
    rouge_score_version: str


@dataclass(frozen=True)
class CorpusTextSimilarity(TextSimilarity):
    """Corpus BLEU-4 and chrF, mean ROUGE-L F1, over ``pairs`` candidate-reference pairs."""

    pairs: int
    aggregation: str


Result = TypeVar("Result", bound=TextSimilarity)


class ChineseRougeTokenizer:
    """Tokens for rouge-score that keep Chinese: each CJK ideograph alone, ASCII words and numbers whole.

    Mirrors the default tokenizer otherwise (lowercase; punctuation, including Chinese punctuation,
    dropped), so ``LVEF 55%`` gives the same tokens in an English or a Chinese report.
    """

    def tokenize(self, text: str) -> list[str]:
        return _CHINESE_TOKEN.findall(text.lower())


def text_similarity(*, candidate: str, reference: str, lang: str = "auto") -> TextSimilarity:
    """Score ``candidate`` against ``reference`` (see the module docstring for the three metrics).

    ``lang="auto"`` reads both texts as Chinese if either holds a CJK ideograph, so a Chinese
    candidate is never tokenized by an English-only tokenizer. An empty (or blank) candidate scores
    0 on all three; an empty reference raises ``ValueError``, since there is nothing to score against.
    """
    if not reference.strip():
        raise ValueError("reference is empty; there is nothing to score the candidate against")
    lang = resolve_language(text=f"{candidate}\n{reference}", lang=lang)
    if not candidate.strip():
        return _result(TextSimilarity, bleu4=0.0, rouge_l_f1=0.0, chrf=0.0, lang=lang)
    bleu = bleu_metric(lang=lang, sentence=True).sentence_score(candidate, [reference])
    chrf = chrf_metric().sentence_score(candidate, [reference])
    rouge_l = _rouge(lang=lang).score(reference, candidate)["rougeL"].fmeasure
    return _result(
        TextSimilarity, bleu4=bleu.score / 100, rouge_l_f1=rouge_l, chrf=chrf.score / 100, lang=lang
    )


def corpus_text_similarity(
    *, candidates: list[str], references: list[str], lang: str = "auto"
) -> CorpusTextSimilarity:
    """Corpus BLEU-4 and chrF (sacrebleu ``corpus_score``) and mean ROUGE-L F1 over aligned pairs.

    ``lang="auto"`` reads the corpus as Chinese if any text holds a CJK ideograph (sacrebleu's ``zh``
    tokenizer handles English text as ``13a`` does). Empty candidates count as wholly missed text.
    """
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} references")
    if not references:
        raise ValueError("no candidate-reference pairs to score")
    if any(not reference.strip() for reference in references):
        raise ValueError("a reference is empty; there is nothing to score its candidate against")
    lang = resolve_language(text="\n".join([*candidates, *references]), lang=lang)
    bleu = bleu_metric(lang=lang, sentence=False).corpus_score(candidates, [references])
    chrf = chrf_metric().corpus_score(candidates, [references])
    scorer = _rouge(lang=lang)
    rouge_l = [
        scorer.score(reference, candidate)["rougeL"].fmeasure
        for candidate, reference in zip(candidates, references, strict=True)
    ]
    return _result(
        CorpusTextSimilarity,
        bleu4=bleu.score / 100,
        rouge_l_f1=sum(rouge_l) / len(rouge_l),
        chrf=chrf.score / 100,
        lang=lang,
        pairs=len(references),
        aggregation=CORPUS_ROUGE_AGGREGATION,
    )


def bleu_metric(*, lang: str, sentence: bool) -> BLEU:
    """sacrebleu BLEU-4 as configured here; sentence scores use effective order (Post, 2018)."""
    return BLEU(tokenize=BLEU_TOKENIZERS[lang], effective_order=sentence)


def chrf_metric() -> CHRF:
    """sacrebleu chrF as configured here: character 6-grams, no word n-grams, beta 2."""
    return CHRF(char_order=CHRF_CHAR_ORDER, word_order=CHRF_WORD_ORDER, beta=CHRF_BETA)


def _rouge(*, lang: str) -> RougeScorer:
    # The English default keeps scores comparable with published ROUGE-L; only Chinese needs our own.
    tokenizer = ChineseRougeTokenizer() if lang == "zh" else None
    return RougeScorer(["rougeL"], use_stemmer=False, tokenizer=tokenizer)


def _tokenization(*, lang: str) -> str:
    return (
        f"BLEU-4: sacrebleu tokenize={BLEU_TOKENIZERS[lang]}, smooth=exp; "
        f"chrF: char order {CHRF_CHAR_ORDER}, word order {CHRF_WORD_ORDER}, beta {CHRF_BETA}, "
        f"whitespace removed; ROUGE-L: {ROUGE_TOKENIZATION[lang]}"
    )


def _result(cls: type[Result], *, lang: str, **scores: Any) -> Result:
    return cls(
        lang=lang,
        tokenization=_tokenization(lang=lang),
        sacrebleu_version=version("sacrebleu"),
        rouge_score_version=version("rouge-score"),
        **scores,
    )
