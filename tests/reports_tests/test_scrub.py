import json

import pytest

from cmr_reader.reports.scrub import PLACEHOLDER, scrub_report_text

CLINICAL = "LVEF 55%, maximal wall thickness 22 mm in AHA segment 3, LVEDVi 78 ml/m2, BP 120/80."


@pytest.fixture
def planted(synthetic_case_dir) -> dict[str, str]:
    return json.loads((synthetic_case_dir / "ground_truth.json").read_text())["planted_identifiers"]


def test_planted_names_go_in_every_order_and_case(planted):
    family, given = planted["patient_name"].split("^")
    text = (
        f"Patient {given} {family}, also {family.upper()}, {given.upper()}; DICOM {family}^{given}; "
        f"ID {planted['patient_id']}, accession {planted['accession_number']}, "
        f"UID {planted['study_instance_uid']}. {CLINICAL}"
    )
    scrubbed = scrub_report_text(
        text,
        identifiers=[
            planted["patient_name"],
            planted["patient_id"],
            planted["accession_number"],
            planted["study_instance_uid"],
        ],
    )
    for needle in (
        family,
        given,
        planted["patient_id"],
        planted["accession_number"],
        planted["study_instance_uid"],
    ):
        assert needle.lower() not in scrubbed.lower()
    assert CLINICAL in scrubbed
    assert scrubbed.startswith(
        f"Patient {PLACEHOLDER}, also {PLACEHOLDER}; DICOM {PLACEHOLDER}; ID {PLACEHOLDER}"
    )


def test_a_name_part_inside_an_ordinary_word_stays():
    assert scrub_report_text("Ren Takahashi: normal renal arteries.", identifiers=["Takahashi^Ren"]) == (
        f"{PLACEHOLDER}: normal renal arteries."
    )


@pytest.mark.parametrize(
    "date",
    [
        "2024-03-15",
        "2024/3/15",
        "15/03/2024",
        "15.03.2024",
        "03/15/2024",
        "20240315",
        "2024年3月15日",
        "2024 年 3 月 15 日",
        "15 March 2024",
        "15th Mar 2024",
        "March 15, 2024",
        "Sept. 2019",
    ],
)
def test_every_date_form_is_removed(date):
    assert scrub_report_text(f"Examined on {date}. {CLINICAL}") == f"Examined on {PLACEHOLDER}. {CLINICAL}"


@pytest.mark.parametrize(
    "phone",
    ["+49-123-4567890", "+86 10 1234 5678", "(010) 1234 5678", "13812345678", "010-12345678", "555-123-4567"],
)
def test_phone_numbers_are_removed(phone):
    assert scrub_report_text(f"Call {phone} with questions. {CLINICAL}") == (
        f"Call {PLACEHOLDER} with questions. {CLINICAL}"
    )


def test_labelled_phone_numbers_are_removed_whatever_their_shape():
    assert scrub_report_text("Tel: 12 34 56 7") == PLACEHOLDER
    assert scrub_report_text("联系电话：8765 4321") == PLACEHOLDER


@pytest.mark.parametrize(
    "signature",
    [
        "Reported by Dr Jane Smith, FRCR",
        "Dictated by: J. Smith 14:32",
        "Electronically signed by Jane Smith MD",
        "Verified by Henrik Lindqvist on 2024-03-16",
        "Attending radiologist: Orla Brannigan",
    ],
)
def test_english_signatures_are_removed_to_the_end_of_their_line(signature):
    scrubbed = scrub_report_text(f"Impression: {CLINICAL}\n{signature}\nNext line stays.")
    assert scrubbed == f"Impression: {CLINICAL}\n{PLACEHOLDER}\nNext line stays."


def test_chinese_signatures_are_removed_without_touching_findings():
    text = "诊断意见：肥厚型心肌病，左心室扩张。\n报告医师：张三 审核医师：李四\n医师签名：王五"
    scrubbed = scrub_report_text(text)
    assert scrubbed == f"诊断意见：肥厚型心肌病，左心室扩张。\n{PLACEHOLDER}\n{PLACEHOLDER}"


def test_a_chinese_name_goes_but_its_single_characters_elsewhere_stay():
    scrubbed = scrub_report_text("张三，左心室扩张，张三先生。", identifiers=["张^三"])
    assert scrubbed == f"{PLACEHOLDER}，左心室扩张，{PLACEHOLDER}先生。"


def test_doctor_names_in_running_text_are_removed():
    assert scrub_report_text("Discussed with Dr. Moreau today.") == f"Discussed with {PLACEHOLDER} today."


def test_nothing_clinical_is_removed():
    text = f"{CLINICAL}\nLGE in segments 2-3 and 8-9, 12% of LV mass. T1 1050 ms, ECV 28%. 左心室射血分数55%，室间隔厚度22 mm。"
    assert scrub_report_text(text, identifiers=["ACC1234567890"]) == text
