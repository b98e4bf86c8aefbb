"""BLEU-4, ROUGE-L and chrF of generated reports against references, in English and Chinese.

Published values come from sacrebleu's README ("Using SacreBLEU from Python", sacrebleu 2.x,
https://github.com/mjpost/sacrebleu#using-sacrebleu-from-python): the three-sentence system with
two reference streams scores BLEU = 48.53 and chrF2 = 59.73. ROUGE-L values are longest common
subsequences counted by hand in each test.
"""

import dataclasses
from importlib.metadata import version

import pytest
import sacrebleu
from rouge_score.rouge_scorer import RougeScorer

from cmr_reader.domain.entities.text_similarity import (
    ChineseRougeTokenizer,
    bleu_metric,
    chrf_metric,
    corpus_text_similarity,
    text_similarity,
)

README_SYSTEM = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
README_REFERENCES = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
]
CHINESE_REPORT = "左心室大小正常，射血分数LVEF 62%，未见延迟强化。"
UNRELATED_CHINESE_REPORT = "右冠状动脉起源异常伴大量心包积液"


def test_corpus_bleu_matches_sacrebleu_readme_example():
    score = bleu_metric(lang="en", sentence=False).corpus_score(README_SYSTEM, README_REFERENCES)

    assert score.score == pytest.approx(48.53, abs=0.005)


def test_chrf_matches_sacrebleu_readme_example():
    score = chrf_metric().corpus_score(README_SYSTEM, README_REFERENCES)

    assert score.score == pytest.approx(59.73, abs=0.005)


def test_rouge_l_is_lcs_f1_counted_by_hand():
    # LCS "the cat on the mat" = 5 of 6 tokens each side: P = R = F1 = 5/6.
    result = text_similarity(candidate="the cat sat on the mat", reference="the cat lay on the mat")

    assert result.rouge_l_f1 == pytest.approx(5 / 6)
    assert result.lang == "en"


def test_chinese_rouge_l_counts_characters_by_hand():
    # 左心室扩大 vs 左心房扩大: LCS 左心扩大 = 4 of 5 characters, F1 = 0.8.
    result = text_similarity(candidate="左心室扩大", reference="左心房扩大")

    assert result.rouge_l_f1 == pytest.approx(0.8)
    assert result.lang == "zh"


def test_chinese_bleu_counts_character_ngrams():
    # Under 13a each unspaced Chinese string is one word, so one changed character would give 0.
    result = text_similarity(candidate="左心室扩大", reference="左心房扩大")

    expected = sacrebleu.sentence_bleu("左心室扩大", ["左心房扩大"], tokenize="zh").score / 100
    assert result.bleu4 == pytest.approx(expected)
    assert result.bleu4 > 0.1


@pytest.mark.parametrize("report", [CHINESE_REPORT, UNRELATED_CHINESE_REPORT])
def test_identical_chinese_reports_score_one_on_all_three(report):
    result = text_similarity(candidate=report, reference=report)

    assert result.bleu4 == pytest.approx(1.0)
    assert result.rouge_l_f1 == pytest.approx(1.0)
    assert result.chrf == pytest.approx(1.0)
    assert "tokenize=zh" in result.tokenization


def test_unrelated_chinese_reports_score_low_on_all_three():
    result = text_similarity(candidate=CHINESE_REPORT, reference=UNRELATED_CHINESE_REPORT)

    assert result.bleu4 < 0.1
    assert result.rouge_l_f1 < 0.15
    assert result.chrf < 0.1


def test_rouge_score_default_tokenizer_would_score_chinese_zero():
    # Why the Chinese tokenizer exists; if rouge-score ever keeps CJK, revisit it.
    default = RougeScorer(["rougeL"]).score(UNRELATED_CHINESE_REPORT, UNRELATED_CHINESE_REPORT)["rougeL"]

    assert default.fmeasure == 0.0


def test_chinese_tokenizer_splits_ideographs_and_keeps_ascii_words_and_numbers():
    tokens = ChineseRougeTokenizer().tokenize("LVEF 62%，左室正常")

    assert tokens == ["lvef", "62", "左", "室", "正", "常"]


def test_identical_english_reports_score_one_on_all_three():
    report = "Normal left ventricular size and function. LVEF 62%. No late gadolinium enhancement."

    result = text_similarity(candidate=report, reference=report)

    assert (result.bleu4, result.rouge_l_f1, result.chrf) == pytest.approx((1.0, 1.0, 1.0))
    assert "tokenize=13a" in result.tokenization


def test_chinese_candidate_against_english_reference_is_read_as_chinese():
    result = text_similarity(candidate=CHINESE_REPORT, reference="Normal left ventricle.")

    assert result.lang == "zh"


def test_explicit_language_overrides_detection():
    result = text_similarity(candidate="左心室扩大", reference="左心房扩大", lang="en")

    assert result.lang == "en"
    # rouge-score's default tokenizer deletes the ideographs, leaving nothing to match.
    assert result.rouge_l_f1 == 0.0


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        text_similarity(candidate="a", reference="a", lang="fr")


@pytest.mark.parametrize("candidate", ["", "   \n"])
def test_empty_candidate_scores_zero_rather_than_raising(candidate):
    result = text_similarity(candidate=candidate, reference="Normal left ventricle.")

    assert (result.bleu4, result.rouge_l_f1, result.chrf) == (0.0, 0.0, 0.0)


def test_empty_reference_is_refused():
    with pytest.raises(ValueError, match="reference is empty"):
        text_similarity(candidate="Normal left ventricle.", reference=" ")


def test_result_records_package_versions_and_is_frozen():
    result = text_similarity(candidate="a b c d", reference="a b c e")

    assert result.sacrebleu_version == sacrebleu.__version__
    assert result.rouge_score_version == version("rouge-score")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.bleu4 = 1.0


def test_corpus_bleu_and_chrf_pool_counts_rather_than_average_sentences():
    references = README_REFERENCES[0]

    result = corpus_text_similarity(candidates=README_SYSTEM, references=references)

    # sacrebleu's compatibility API is an independent path to the same defaults (13a, exp, chrF2).
    assert result.bleu4 == pytest.approx(sacrebleu.corpus_bleu(README_SYSTEM, [references]).score / 100)
    assert result.chrf == pytest.approx(sacrebleu.corpus_chrf(README_SYSTEM, [references]).score / 100)
    sentences = [
        text_similarity(candidate=c, reference=r) for c, r in zip(README_SYSTEM, references, strict=True)
    ]
    assert result.bleu4 != pytest.approx(sum(s.bleu4 for s in sentences) / len(sentences), abs=0.01)
    assert result.pairs == 3


def test_corpus_rouge_l_is_mean_pair_f1():
    # Pair F1s 5/6 (hand-counted above) and 1: mean 11/12.
    result = corpus_text_similarity(
        candidates=["the cat sat on the mat", "the dog barked"],
        references=["the cat lay on the mat", "the dog barked"],
    )

    assert result.rouge_l_f1 == pytest.approx(11 / 12)
    assert "mean F1 over pairs" in result.aggregation


def test_corpus_with_any_chinese_text_is_read_as_chinese():
    result = corpus_text_similarity(
        candidates=[CHINESE_REPORT, "Normal."], references=[CHINESE_REPORT, "Normal."]
    )

    assert result.lang == "zh"
    assert (result.bleu4, result.rouge_l_f1, result.chrf) == pytest.approx((1.0, 1.0, 1.0))


def test_corpus_empty_candidate_counts_as_missed_text():
    result = corpus_text_similarity(
        candidates=["", "the dog barked"], references=["the cat lay on the mat", "the dog barked"]
    )

    assert result.rouge_l_f1 == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("candidates", "references", "message"),
    [
        (["a"], ["a", "b"], "1 candidates but 2 references"),
        ([], [], "no candidate-reference pairs"),
        (["a"], [""], "a reference is empty"),
    ],
)
def test_corpus_refuses_misaligned_or_empty_input(candidates, references, message):
    with pytest.raises(ValueError, match=message):
        corpus_text_similarity(candidates=candidates, references=references)
