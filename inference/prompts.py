"""Prompt templates (files a site can edit) rendered with a study's labelled videos and images.

A template is plain text with three fields: ``{patient}``, ``{items}`` (where the labelled
visual parts are inserted, in reading order) and ``{sections}``. Lines starting with "#" are
comments. Two templates ship, English and Simplified Chinese; ``PromptTemplate.load`` also
takes a path. The template's SHA-256 and the rendered prompt go into every report's provenance.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from inference.conversation import Part, describe_parts
from inference.inputs import PatientInfo, StudyInputs, VisualItem

TEMPLATES = Path(__file__).resolve().parent / "prompts"
SECTIONS = {"en": "Technique; Findings; Impression", "zh": "检查技术；检查所见；诊断意见"}
KIND_LABELS = {
    "en": {
        "cine_sax": "short-axis cine",
        "cine_4ch": "4-chamber cine",
        "cine_2ch": "2-chamber cine",
        "cine_3ch": "3-chamber (LVOT) cine",
        "cine_lax_other": "long-axis cine",
        "lge_sax": "LGE, short axis",
        "lge_lax": "LGE, long axis",
    },
    "zh": {
        "cine_sax": "短轴电影序列",
        "cine_4ch": "四腔心电影序列",
        "cine_2ch": "两腔心电影序列",
        "cine_3ch": "三腔心（左室流出道）电影序列",
        "cine_lax_other": "长轴电影序列",
        "lge_sax": "短轴延迟强化",
        "lge_lax": "长轴延迟强化",
    },
}
POSITIONS = {
    "en": {"basal": "basal slice", "mid": "mid-ventricular slice", "apical": "apical slice"},
    "zh": {"basal": "基底段层面", "mid": "中间段层面", "apical": "心尖段层面"},
}


@dataclass(frozen=True)
class PromptTemplate:
    name: str  # the file it came from
    text: str
    language: str  # "en" | "zh"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @classmethod
    def load(cls, source: str | Path = "en") -> "PromptTemplate":
        """ "en" / "zh" for a shipped template, or the path of a site's own file (its language
        is "zh" when its name ends in _zh.txt or it contains Chinese text, else "en")."""
        path = TEMPLATES / f"report_{source}.txt" if source in SECTIONS else Path(source)
        text = path.read_text(encoding="utf-8")
        for field in ("{patient}", "{items}", "{sections}"):
            if field not in text:
                raise ValueError(f"prompt template {path} lacks the field {field}")
        language = (
            source if source in SECTIONS else ("zh" if path.stem.endswith("_zh") or _has_cjk(text) else "en")
        )
        return cls(name=str(path.name if source in SECTIONS else path), text=text, language=language)


@dataclass(frozen=True)
class RenderedPrompt:
    parts: list[Part]
    text: str  # describe_parts(parts): recorded with the report

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def render_prompt(
    template: PromptTemplate, inputs: StudyInputs, *, include_patient: bool = True
) -> RenderedPrompt:
    body = "\n".join(line for line in template.text.splitlines() if not line.startswith("#"))
    body = body.replace(
        "{patient}", patient_line(inputs.patient, template.language) if include_patient else ""
    )
    body = body.replace("{sections}", SECTIONS[template.language])
    before, after = body.split("{items}", 1)
    parts = [Part("text", text=_tidy(before))]
    counters = {"video": 0, "image": 0}
    for item in inputs.items:
        for part in _item_parts(item, template.language, counters):
            parts.append(part)
    parts.append(Part("text", text=_tidy(after)))
    parts = [part for part in parts if part.kind != "text" or part.text]
    return RenderedPrompt(parts=parts, text=describe_parts(parts))


def item_label(item: VisualItem, language: str) -> str:
    label = KIND_LABELS[language].get(item.kind, item.kind)
    if item.position:
        separator = "，" if language == "zh" else ", "
        label += separator + POSITIONS[language].get(item.position, item.position)
    if item.slice_index is not None and item.slice_count:
        number, count = item.slice_index + 1, item.slice_count
        label += (
            f"（自基底起第{number}/{count}层）"
            if language == "zh"
            else f" ({number} of {count} from the base)"
        )
    return label


def patient_line(patient: PatientInfo, language: str) -> str:
    facts = []
    if language == "zh":
        if patient.sex in ("F", "M"):
            facts.append("女" if patient.sex == "F" else "男")
        if patient.age_years is not None:
            facts.append(f"{patient.age_years}岁")
        if patient.height_m:
            facts.append(f"身高{patient.height_m:.2f}米")
        if patient.weight_kg:
            facts.append(f"体重{patient.weight_kg:.0f}公斤")
        return "患者：" + "，".join(facts) + "。" if facts else ""
    if patient.sex in ("F", "M"):
        facts.append("female" if patient.sex == "F" else "male")
    if patient.age_years is not None:
        facts.append(f"{patient.age_years} years")
    if patient.height_m:
        facts.append(f"{patient.height_m:.2f} m")
    if patient.weight_kg:
        facts.append(f"{patient.weight_kg:.0f} kg")
    return "Patient: " + ", ".join(facts) + "." if facts else ""


def _item_parts(item: VisualItem, language: str, counters: dict[str, int]) -> list[Part]:
    label = item_label(item, language)
    if item.modality == "video":
        counters["video"] += 1
        head = (
            f"视频{counters['video']}：{label}（{len(item.frames)}帧，每秒{item.fps:.1f}帧）"
            if language == "zh"
            else f"Video {counters['video']}: {label} ({len(item.frames)} frames at {item.fps:.1f} frames/s)"
        )
        return [Part("text", text=head), Part("video", frames=item.frames, fps=item.fps)]
    parts = []
    for number, frame in enumerate(item.frames, start=1):
        counters["image"] += 1
        suffix = (
            f"（第{number}/{len(item.frames)}层）"
            if language == "zh"
            else f" (slice {number} of {len(item.frames)})"
        )
        head = (
            f"图像{counters['image']}：{label}{suffix}"
            if language == "zh"
            else f"Image {counters['image']}: {label}{suffix}"
        )
        parts += [Part("text", text=head), Part("image", frames=frame)]
    return parts


def _tidy(text: str) -> str:
    return "\n".join(line for line in text.strip().splitlines() if line.strip())


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)
