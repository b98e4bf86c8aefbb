"""The blinding audit's classifier and statistics, on report pairs written by the synthetic report
generators: two voices it must tell apart, one voice it must not."""

import json

import pytest
from scipy.stats import binomtest

from cmr_reader.demo.study import house_style_ai_report
from cmr_reader.domain.synthetic import GROUND_TRUTH_FILE, write_cases
from cmr_reader.domain.synthetic.reports import ai_report, reference_report
from cmr_reader.reports.normalise import display_form
from cmr_reader.studies.blinding_audit import MIN_PAIRS, AuditPair, AuditReport, audit_pairs
from cmr_reader.studies.surface_features import common_words, surface_features, tokens
from inference.demo_reports import target_report


@pytest.fixture(scope="module")
def truths(tmp_path_factory) -> list[dict]:
    folders = write_cases(tmp_path_factory.mktemp("audit-cases"), cases=40, seed=3, matrix=32, phases=6)
    return [json.loads((folder / GROUND_TRUTH_FILE).read_text()) for folder in folders]


def shown(text: str) -> AuditReport:
    form = display_form(text, language="en")
    return AuditReport(text=form.text, findings=form.findings, impression=form.impression)


def pairs_of(truths, *, reference, ai) -> list[AuditPair]:
    return [
        AuditPair(label=f"case-{n}", reference=shown(reference(t, n)), ai=shown(ai(t, n)))
        for n, t in enumerate(truths)
    ]


def test_the_interval_and_p_value_are_clopper_pearson_and_the_exact_binomial_test():
    # 7 successes in 10: R's binom.test(7, 10) gives the Clopper-Pearson 95% interval 0.3475 to
    # 0.9333; the one-sided p is (C(10,7) + C(10,8) + C(10,9) + C(10,10)) / 2^10 = 176 / 1024.
    interval = binomtest(7, 10, 0.5).proportion_ci(confidence_level=0.95, method="exact")
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.3475, 0.9333)
    assert binomtest(7, 10, 0.5, alternative="greater").pvalue == pytest.approx(176 / 1024, abs=1e-12)


def test_two_voices_are_told_apart_and_the_audit_warns(truths):
    pairs = pairs_of(
        truths,
        reference=lambda t, n: reference_report(t, seed=n).text,
        ai=lambda t, n: ai_report(t, seed=n, error_rate=0.0).text,
    )

    result = audit_pairs(pairs, threshold=0.65, seed=1)

    assert result.accuracy >= 0.9 and result.exceeds_threshold
    assert result.ci_low > 0.65 and result.p_value < 1e-6
    assert result.correct == round(result.accuracy * len(pairs))
    assert len(result.features) > 0 and len(result.standouts) == 10
    assert result.as_json()["exceeds_threshold"] is True


def test_one_voice_for_both_arms_is_not_told_apart(truths):
    # Both arms in the reference voice with different seeds: the same distribution of form.
    pairs = pairs_of(
        truths,
        reference=lambda t, n: reference_report(t, seed=n).text,
        ai=lambda t, n: reference_report(t, seed=1000 + n).text,
    )

    result = audit_pairs(pairs, threshold=0.65, seed=1)

    assert not result.exceeds_threshold
    assert result.ci_low < 0.5 < result.ci_high


def test_reports_that_differ_only_in_length_are_caught_by_a_length_feature(truths):
    pairs = pairs_of(
        truths,
        reference=lambda t, n: target_report(t) + " " + target_report(t).split("\n")[1],
        ai=lambda t, n: target_report(t),
    )

    result = audit_pairs(pairs, threshold=0.65, seed=1)

    assert result.accuracy == 1.0
    assert result.median_length_ratio < 0.8
    assert {f.feature for f in result.features[:3]} & {
        "characters_log",
        "sentences",
        "findings_sentences",
        "words_per_sentence",
    }


def test_the_demo_house_style_passes_the_audit(truths):
    pairs = pairs_of(
        truths, reference=lambda t, n: target_report(t), ai=lambda t, n: house_style_ai_report(t, seed=n)[0]
    )

    result = audit_pairs(pairs, threshold=0.65, seed=1)

    assert not result.exceeds_threshold


def test_the_audit_is_reproducible_with_its_seed(truths):
    pairs = pairs_of(
        truths,
        reference=lambda t, n: reference_report(t, seed=n).text,
        ai=lambda t, n: ai_report(t, seed=n).text,
    )

    assert audit_pairs(pairs, threshold=0.65, seed=5) == audit_pairs(pairs, threshold=0.65, seed=5)


def test_too_few_pairs_give_counts_but_no_accuracy(truths):
    pairs = pairs_of(
        truths[: MIN_PAIRS - 1], reference=lambda t, n: target_report(t), ai=lambda t, n: target_report(t)
    )

    result = audit_pairs(pairs, threshold=0.65)

    assert (result.pairs, result.accuracy, result.correct) == (MIN_PAIRS - 1, None, None)
    assert result.median_length_ratio == 1.0 and not result.exceeds_threshold


def test_no_pairs_at_all_is_not_an_error():
    result = audit_pairs([], threshold=0.65)

    assert (result.pairs, result.accuracy, result.median_length_ratio) == (0, None, None)


def test_surface_features_count_what_a_reader_sees():
    text = "Findings:\nLVEF 55% (normal).\nSeptum 22 mm, no LGE.\n\nImpression:\nNot stated."
    features = surface_features(
        text=text,
        findings=("LVEF 55% (normal).", "Septum 22 mm, no LGE."),
        impression=(),
        vocabulary=["no", "septum", "absent"],
    )

    assert features["sentences"] == 2 and features["empty_sections"] == 1
    assert features["numbers"] == 2 and features["units"] == 2
    assert features["parentheses"] == 1 and features["commas"] == 1
    assert features["abbreviations"] == 2  # LVEF, LGE
    assert features["cjk_share"] == 0.0
    assert features["word:absent"] == 0.0 and features["word:no"] == pytest.approx(
        100 / 6
    )  # lvef normal septum mm no lge


def test_section_titles_are_not_words_of_the_vocabulary():
    assert tokens("Findings:\nLV normal.\n\nImpression:\nNot stated.") == ["lv", "normal"]
    assert tokens("检查所见：\n正常。") == ["正", "常"]
    assert common_words(["a b", "b c", "b"], count=2) == ["b", "a"]
