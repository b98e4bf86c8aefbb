"""The analysis dashboard shows a run's stored English values (coefficient names, Landis-Koch
labels, conclusions, methods, entity fields, diagnoses) in the reader's language, while the
stored results and the bundle stay English."""

import html
import json
import re
import zipfile
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cmr_reader.analysis import runs
from cmr_reader.analysis.display_labels import label
from cmr_reader.analysis.stored_sentences import translate_sentence
from cmr_reader.reports.models import Report
from cmr_reader.studies.models import Assignment
from tests.i18n_tests.test_pages_in_chinese import chinese_client, page
from tests.studies_tests.conftest import build_study
from tests.studies_tests.test_study_analysis import complete

pytestmark = pytest.mark.django_db

# Reference and AI reports that disagree on purpose: a missed LGE, a wrong diagnosis (DCM read as
# HCM), an omitted statement and values within and beyond tolerance.
REFERENCE_TEXTS = (
    "Asymmetric septal hypertrophy, maximal wall thickness 19 mm in the septum. LVEF 68%. "
    "Patchy midwall LGE present. No LVOT obstruction. Diagnosis: hypertrophic cardiomyopathy.",
    "Dilated left ventricle, LVEF 30%. No LGE. Diagnosis: dilated cardiomyopathy.",
    "Normal study. LVEF 60%. No late gadolinium enhancement. Conclusion: normal.",
    "Diffuse subendocardial LGE. Diagnosis: cardiac amyloidosis. LVEF 50%.",
)
AI_TEXTS = (
    "Maximal wall thickness 16 mm in the septum. LVEF 66%. No LGE. Diagnosis: hypertrophic cardiomyopathy.",
    "Dilated left ventricle, LVEF 45%. No LGE. Diagnosis: hypertrophic cardiomyopathy.",
    "Normal study. LVEF 61%. Conclusion: normal.",
    "Diffuse subendocardial LGE. Diagnosis: cardiac amyloidosis. LVEF 52%.",
)
# Stored English that must not be what a Chinese reader sees (whole words, case-sensitive).
# Kept on purpose and so not listed: eponyms (Cohen, Fleiss, Gwet, Krippendorff, Wilcoxon, Wilson),
# symbols and formula names (ICC1 ... ICC3k, AC1, F1, MAE, BLEU-4, chrF, ROUGE-L, n, p).
STORED_ENGLISH = (
    "poor",
    "slight",
    "fair",
    "moderate",
    "substantial",
    "almost perfect",
    "non-inferior",
    "non-inferiority not shown",
    "undecided",
    "paired cases",
    "lower bound",
    "margin",
    "Fleiss' kappa",
    "Cohen's kappa",
    "Krippendorff's alpha",
    "Gwet's AC1",
    "Percent agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "gwet_ac2",
    "percent_agreement",
    "icc",
    "none",
    "linear",
    "quadratic",
    "nominal",
    "ordinal",
    "interval",
    "ratio",
    "descriptives",
    "paired_difference",
    "wilcoxon",
    "bootstrap_mean_difference",
    "non_inferiority",
    "mixed_model",
    "ordinal_gee",
    "preference",
    "ai_guess",
    "ai_errors",
    "reference_errors",
    "ai",
    "equal",
    "reference",
    "correct",
    "unsure",
    "any_error",
    "false_finding",
    "missed_finding",
    "wrong",
    "omitted",
    "added",
    "lge",
    "lge_presence",
    "hcm_diagnosis",
    "missed_obstruction",
    "threshold_crossing",
    "any",
    "lv_ef_pct",
    "max_wall_thickness_mm",
    "diagnosis",
    "micro",
    "macro",
    "hcm",
    "dcm",
    "normal",
    "ischemic",
    "amyloidosis",
    "myocarditis",
    "other",
    "obstructive",
    "hcm_vs_not_hcm",
    "sensitivity",
    "specificity",
    "ppv",
    "npv",
    "tolerances",
    "percentage points",
    "exact category match",
    "bleu4",
    "rouge_l_f1",
    "chrf",
    "en",
)
# Code in the method tooltips, kept as written: model formulas and library functions.
CODE = re.compile(r"score ~ [^，；;]*|\b\w+(?:\.\w+)+")
# Tool settings in the text-similarity method and formulas (n_kk / n_k.), which stay as written.
TECHNICAL = re.compile(
    r"^(BLEU-4: sacrebleu|chrF: char order|whitespace removed|ROUGE-L: |sacrebleu \d|2? ?n_kk /)"
)


@pytest.fixture
def analysed(reader, other_reader):
    built = build_study(readers=[reader, other_reader], non_inferiority_margin=0.5)
    for n, case in enumerate(built.cases):
        Report.objects.filter(case=case, source="reference").update(text=REFERENCE_TEXTS[n % 4])
        Report.objects.filter(case=case, source="ai").update(text=AI_TEXTS[n % 4])
    for user, shift in ((reader, 0), (other_reader, 1)):
        for n, assignment in enumerate(Assignment.objects.filter(reader=user).order_by("position")):
            complete(assignment, user, ai=1 + (n + shift) % 5, reference=1 + (2 * n + shift) % 5)
    run = runs.run_analysis(runs.create_run(study=built.study, bootstrap=20, seed=1))
    assert run.state == run.State.DONE, run.error
    return run


class _Text(HTMLParser):
    """The text a person sees (outside script and style) and the tooltips (title attributes)."""

    def __init__(self):
        super().__init__()
        self.text, self.titles, self._hidden = [], [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        self.titles += [value for name, value in attrs if name == "title" and value]

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def seen(body: str) -> tuple[str, str]:
    parser = _Text()
    parser.feed(body)
    return " ".join(parser.text), "\n".join(parser.titles)


def dashboard(client: Client, run) -> str:
    return page(client, reverse("analysis:dashboard", args=[run.study_id]))


def english_words_in(text: str) -> list[str]:
    return [word for word in STORED_ENGLISH if re.search(rf"(?<![\w']){re.escape(word)}(?![\w'])", text)]


def test_the_chinese_dashboard_shows_stored_values_in_chinese(analysed, statistician):
    body = dashboard(chinese_client(statistician), analysed)

    for text in (
        "Fleiss kappa 系数",
        "Cohen kappa 系数",
        "Krippendorff α 系数",
        "Gwet AC1 系数",
        "组内相关系数（ICC）",
        "二次加权",
        "线性加权",
        "有序尺度",
        "Wilcoxon 符号秩检验",
        "线性混合模型",
        # Six cases: below the ten a non-inferiority decision needs, so it abstains and says why.
        "未判定：配对病例 6 例，少于 10 例",
        "更偏好AI报告",
        "哪份是AI报告？",
        "有无延迟钆增强（LGE）",
        "左心室射血分数（%）",
        "全部字段（微平均）",
        "延迟钆增强（LGE）有无判断错误",
        "肥厚型心肌病",
        "扩张型心肌病",
        "心肌淀粉样变性",
        "敏感度",
        "阳性预测值",
        "|AI - 参考| ≤ 5 个百分点",
    ):
        assert html.escape(text) in body, text
    stored = {row["landis_koch"] for row in analysed.results["agreement"] if row["landis_koch"]}
    assert stored, "the study should give Landis-Koch labels"
    with translation.override("zh-hans"):
        assert all(label("landis_koch", value) in body for value in stored)


def test_no_stored_english_word_is_left_on_the_chinese_dashboard(analysed, statistician):
    text, titles = seen(dashboard(chinese_client(statistician), analysed))

    assert english_words_in(text) == []
    assert english_words_in(CODE.sub("", titles)) == []


def test_every_stored_sentence_is_translated_phrase_by_phrase(analysed):
    results = analysed.results
    metrics = results["report_metrics"]
    sentences = {
        row.get(key)
        for rows, keys in (
            (results["agreement"] + results["pairwise_kappa"], ("ci_method",)),
            (results["comparison"], ("method", "conclusion")),
            (results["pair_items"], ("method",)),
            (metrics["entity_accuracy"], ("method", "tolerance")),
            (metrics["critical_errors"], ("method",)),
            (metrics["diagnostic_agreement"], ("method",)),
            (metrics["text_similarity"], ("method",)),
        )
        for row in rows
        for key in keys
    } - {None}
    assert len(sentences) > 20

    untranslated = []
    with translation.override("zh-hans"):
        for sentence in sorted(sentences):
            shown = set(translate_sentence(sentence).split("; "))
            untranslated += [
                phrase for phrase in sentence.split("; ") if phrase in shown and not TECHNICAL.match(phrase)
            ]
    assert untranslated == []


def test_the_english_dashboard_shows_the_stored_english(analysed, statistician):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(statistician)
    body = dashboard(client, analysed)

    results = analysed.results
    for row in results["comparison"]:
        assert html.escape(row["method"]) in body
        if row["conclusion"]:
            assert html.escape(row["conclusion"]) in body
    for row in results["report_metrics"]["entity_accuracy"]:
        assert html.escape(row["tolerance"]) in body
    for value in {row["landis_koch"] for row in results["agreement"] if row["landis_koch"]}:
        assert f"<td>{value}</td>" in body
    for text in ("Fleiss&#x27; kappa", "Hypertrophic cardiomyopathy", "Sensitivity", "LGE present or absent"):
        assert text in body, text
    assert "肥厚型心肌病" not in body and "系数" not in body


def test_the_stored_results_and_the_bundle_stay_english(analysed, statistician):
    dashboard(chinese_client(statistician), analysed)  # rendering in Chinese changes nothing stored
    analysed.refresh_from_db()

    assert {row["coefficient"] for row in analysed.results["agreement"]} >= {"fleiss_kappa", "icc"}
    with analysed.bundle.open("rb") as handle, zipfile.ZipFile(handle) as bundle:
        metadata = json.loads(bundle.read("export_metadata.json"))
        plot = bundle.read("plots/bland-altman-lv_ef_pct.svg").decode()
    assert metadata["missing_data_rule"] == analysed.results["parameters"]["missing_data_rule"]
    assert "LV ejection fraction (percent)" in plot and "左心室" not in plot


def test_a_plot_served_to_a_chinese_reader_is_labelled_in_chinese(analysed, statistician):
    url = reverse("analysis:plot", args=[analysed.study_id, analysed.pk, "bland-altman-lv_ef_pct", "svg"])
    english_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    english_client.force_login(statistician)

    chinese = chinese_client(statistician).get(url).content.decode()
    english = english_client.get(url).content.decode()

    assert "左心室射血分数（%）" in chinese
    assert "LV ejection fraction (percent)" in english and "左心室" not in english


def test_a_sentence_that_is_no_known_message_is_kept_as_stored():
    with translation.override("zh-hans"):
        assert translate_sentence("a phrase from a newer version; normal quantile") == (
            "a phrase from a newer version; 正态分位数"
        )
        # "; " inside parentheses does not split a phrase.
        assert translate_sentence(
            "F distribution (Shrout & Fleiss 1979; McGraw & Wong 1996, Table 7)"
        ).startswith("F 分布（")
        assert translate_sentence("non-inferior: lower bound -0.210 > margin -0.5") == (
            "非劣效：下限 -0.210 > 界值 -0.5"
        )
        assert label("diagnosis", "sarcoidosis") == "sarcoidosis"
        assert label("diagnosis", None) is None
