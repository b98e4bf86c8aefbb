"""The scrubber on real RIS text: a corpus of 120 English and Chinese reports with planted
identifiers (cmr_reader.domain.synthetic.ris_corpus) must lose every identifier and keep every clinical
value, and each form the adversarial review found is checked on its own."""

import pytest

from cmr_reader.domain.entities import extract_entities
from cmr_reader.domain.synthetic.ris_corpus import ris_corpus
from cmr_reader.reports.scrub import PLACEHOLDER, labelled_identifiers, scrub_report_text

CORPUS = ris_corpus(count=120, seed=2026)


def test_the_corpus_is_large_and_bilingual():
    assert len(CORPUS) >= 100
    assert {report.language for report in CORPUS} == {"en", "zh"}
    assert sum(len(report.planted) for report in CORPUS) > 1000
    assert sum(bool(report.identifiers) for report in CORPUS) > 40  # with the optional columns


def test_every_planted_identifier_is_removed():
    missed = [
        (number, planted)
        for number, report in enumerate(CORPUS)
        for planted in report.planted
        if planted in scrub_report_text(report.text, identifiers=report.identifiers)
    ]
    assert missed == []


def test_every_clinical_value_is_kept_and_reads_back_the_same():
    for report in CORPUS:
        scrubbed = scrub_report_text(report.text, identifiers=report.identifiers)
        assert [value for value in report.clinical if value not in scrubbed] == []
        before = extract_entities(report.text, lang=report.language)
        assert extract_entities(scrubbed, lang=report.language) == before
        assert before["lv_ef_pct"] is not None and before["max_wall_thickness_mm"] is not None


@pytest.mark.parametrize(
    ("text", "identifier"),
    [
        ("患者于2024年3月5日就诊，LVEF 55%。", "2024年3月5日"),
        ("二〇二四年三月五日检查，LVEF 55%。", "二〇二四年三月五日"),
        ("3月5日复查，LVEF 55%。", "3月5日"),
        ("对比2024年3月5日MRI，LGE范围扩大。", "2024年3月5日"),
        ("Seen on 12-Mar-2023. LVEF 55%.", "12-Mar-2023"),
        ("Seen on 05.03.22. LVEF 55%.", "05.03.22"),
        ("Acquired 2024-03-05T14:32:00Z. LVEF 55%.", "2024-03-05T14:32:00Z"),
        ("Acquired 2024-03-05 14:32. LVEF 55%.", "14:32"),
        ("身份证：11010519491231002X。", "11010519491231002X"),
        ("身份证110105491231002。", "110105491231002"),
        ("住院号：ZY123456 门诊号：MZ-20240305001", "ZY123456"),
        ("住院号：ZY123456 门诊号：MZ-20240305001", "20240305001"),
        ("检查号MR240305 登记号：0012345 影像号：IMG-7788", "MR240305"),
        ("检查号MR240305 登记号：0012345 影像号：IMG-7788", "0012345"),
        ("检查号MR240305 登记号：0012345 影像号：IMG-7788", "IMG-7788"),
        ("Call 13812345678 or 138 1234 5678.", "138 1234 5678"),
        ("Call 13812345678 or 138 1234 5678.", "13812345678"),
        ("Ring 021 4190 8452 or (555) 123-4567 or 555.123.4567.", "4190 8452"),
        ("Ring 021 4190 8452 or (555) 123-4567 or 555.123.4567.", "123-4567"),
        ("Ring 021 4190 8452 or (555) 123-4567 or 555.123.4567.", "555.123.4567"),
        ("Results to zhang.wei@hospital.cn please.", "zhang.wei@hospital.cn"),
        ("Lives at 221B Baker Street, London. LVEF 55%.", "Baker Street"),
        ("住北京市朝阳区建国路88号3号楼。", "建国路88号"),
        ("住址：上海市徐汇区漕溪北路600号，LVEF 55%。", "漕溪北路"),
        ("审核：李娜", "李娜"),
        ("审核医师：王强  医师：陈静", "王强"),
        ("审核医师：王强  医师：陈静", "陈静"),
        ("签字：赵敏 记录：孙丽", "赵敏"),
        ("签字：赵敏 记录：孙丽", "孙丽"),
        ("报告医生：周杰", "周杰"),
        ("signed: Alice Brown MD", "Alice Brown"),
        ("姓名：张伟  性别：男", "张伟"),
        ("患者：李娜，心悸。", "李娜"),
        ("病人：王芳，晕厥。", "王芳"),
        ("Patient name: ZHANG^WEI, palpitations.", "ZHANG^WEI"),
    ],
)
def test_each_form_of_identifier_is_removed_without_the_optional_columns(text, identifier):
    scrubbed = scrub_report_text(text)

    assert identifier not in scrubbed
    assert PLACEHOLDER in scrubbed


def test_a_labelled_name_is_removed_wherever_else_it_appears():
    text = "姓名：张伟\n临床资料：张伟，反复心悸。张 伟之母有HCM。"
    assert "张" not in scrub_report_text(text).replace("扩张", "")
    text = "Patient name: Mary O'Neil\nHistory: Mary reports palpitations; O'Neil family history of HCM."
    scrubbed = scrub_report_text(text)
    assert "Mary" not in scrubbed and "O'Neil" not in scrubbed and "palpitations" in scrubbed


@pytest.mark.parametrize(
    ("text", "column", "gone"),
    [
        ("患者张伟，心悸。", "ZHANG^WEI", "张伟"),  # pinyin column, Han text
        ("患者张伟，心悸。", "Wei Zhang", "张伟"),  # given-family order
        ("患者李 娜，心悸。", "LI^NA", "李 娜"),  # spaced characters
        ("Patient Zhang Wei, palpitations.", "张伟", "Zhang Wei"),  # Han column, pinyin text
        ("Patient Wei Zhang, palpitations.", "张伟", "Wei Zhang"),
        ("Patient ZHANG^WEI, palpitations.", "张伟", "ZHANG^WEI"),
        ("患者欧阳娜娜，心悸。", "OUYANG^NANA", "欧阳娜娜"),  # compound surname
        ("Patient Ouyang Nana, palpitations.", "欧阳娜娜", "Ouyang Nana"),
    ],
)
def test_names_from_the_optional_columns_go_in_their_other_forms(text, column, gone):
    scrubbed = scrub_report_text(text, identifiers=[column])

    assert gone not in scrubbed and PLACEHOLDER in scrubbed
    assert ("心悸" in scrubbed) or ("palpitations" in scrubbed)


@pytest.mark.parametrize(
    "clinical",
    [
        "BP 120/80, LVEF 55%, maximal wall thickness 22 mm in AHA segment 3.",
        "T1 1050 ms, ECV 28%, NT-proBNP 1250 pg/mL, QRS 120 ms at 1.5 T.",
        "LGE 8.5% of LV mass; LVEDVi 78 ml/m2; range 100-150 ms.",
        "Mitral valve: SAM with LVOT gradient 45 mmHg at rest.",
        "患者男性，45岁，反复胸闷3月。",
        "患者：男，45岁。左心室射血分数55%。",
        "随访3个月后复查。左心室扩张，张力增高。",
        "Patient: Male, 45 years. Name: not recorded.",
        "The anterior wall (segment 1) and the apex (segment 17) are normal.",
    ],
)
def test_clinical_text_stays_exactly_as_it_was(clinical):
    assert scrub_report_text(clinical) == clinical


def test_labelled_values_are_found_but_sex_and_age_words_are_not_names():
    assert labelled_identifiers("姓名：张伟 住院号：ZY123456 Patient: Male") == ["张伟", "ZY123456"]
