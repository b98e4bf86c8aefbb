"""Prompt templates: fields filled, each visual item labelled in reading order, both languages."""

import pytest

from inference.conversation import Part
from inference.inputs import InputConfig, PatientInfo, load_study_inputs
from inference.prompts import PromptTemplate, patient_line, render_prompt


@pytest.fixture
def inputs(synthetic_case_dir):
    return load_study_inputs(synthetic_case_dir, config=InputConfig(frames_per_cine=4))


def test_the_english_prompt_labels_every_video_and_image_in_reading_order(inputs):
    prompt = render_prompt(PromptTemplate.load("en"), inputs)

    visual = [part for part in prompt.parts if part.kind != "text"]
    assert len([p for p in visual if p.kind == "video"]) == sum(
        1 for i in inputs.items if i.modality == "video"
    )
    labels = [
        before.text
        for before, part in zip(prompt.parts, prompt.parts[1:], strict=False)
        if part.kind != "text"
    ]
    assert labels[0].startswith("Video 1: short-axis cine, basal slice") and "4 frames at" in labels[0]
    assert any(label.startswith("Image 1: LGE, short axis") for label in labels)
    assert prompt.parts[0].text.startswith("You are a cardiac MRI specialist")
    assert "Technique; Findings; Impression" in prompt.parts[-1].text
    assert "{" not in prompt.text and "#" not in prompt.text  # fields filled, comments dropped
    assert "<video: 4 frames" in prompt.text and len(prompt.sha256) == 64


def test_the_chinese_template_writes_chinese_labels_and_sections(inputs):
    template = PromptTemplate.load("zh")
    prompt = render_prompt(template, inputs)

    assert template.language == "zh"
    assert "视频1：短轴电影序列，基底段层面" in prompt.text and "检查技术；检查所见；诊断意见" in prompt.text


def test_a_sites_own_template_file_is_used_and_hashed(tmp_path, inputs):
    path = tmp_path / "site_zh.txt"
    path.write_text("{patient}\n请描述：\n{items}\n分节：{sections}\n", encoding="utf-8")
    template = PromptTemplate.load(path)

    assert template.language == "zh" and template.name == str(path)
    assert (
        render_prompt(template, inputs).parts[0].text.startswith("患者：")
        and "请描述" in render_prompt(template, inputs).parts[0].text
    )
    assert template.sha256 != PromptTemplate.load("zh").sha256
    path.write_text("no fields here", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks the field"):
        PromptTemplate.load(path)


def test_the_patient_line_says_only_what_is_known():
    assert patient_line(PatientInfo(sex="F", age_years=54, height_m=1.62, weight_kg=60.0), "en") == (
        "Patient: female, 54 years, 1.62 m, 60 kg."
    )
    assert (
        patient_line(PatientInfo(sex="M", age_years=None, height_m=None, weight_kg=None), "zh")
        == "患者：男。"
    )
    assert patient_line(PatientInfo(sex=None, age_years=None, height_m=None, weight_kg=None), "en") == ""


def test_a_visual_part_needs_frames():
    with pytest.raises(ValueError):
        Part("video")
    with pytest.raises(ValueError):
        Part("audio", text="x")
