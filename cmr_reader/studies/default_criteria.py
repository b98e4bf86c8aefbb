"""The default rating criteria of a new study, in English and Chinese, with the wording of every
point of the scale.

These are study data, not interface strings: each language goes into its own field of the
criterion (``label`` / ``label_zh``...), whatever language the coordinator's interface is in,
and readers see the one of their own language (studies/study_texts.py)."""

DEFAULT_CRITERIA = (
    {
        "key": "correctness",
        "label": "Correctness",
        "label_zh": "正确性",
        "help_text": "Are the findings and conclusions stated in the report correct for these images?",
        "help_text_zh": "报告所述的影像所见和结论与这些图像是否相符？",
        "anchors": [
            "1: Major errors that would change management",
            "2: Several errors, some clinically relevant",
            "3: Minor errors without clinical consequence",
            "4: Essentially correct, trivial imprecision",
            "5: Fully correct",
        ],
        "anchors_zh": [
            "1：存在会改变临床处置的重大错误",
            "2：多处错误，部分具有临床意义",
            "3：轻微错误，无临床后果",
            "4：基本正确，仅有细微不精确",
            "5：完全正确",
        ],
    },
    {
        "key": "completeness",
        "label": "Completeness",
        "label_zh": "完整性",
        "help_text": "Does the report include every clinically relevant finding?",
        "help_text_zh": "报告是否包含所有具有临床意义的所见？",
        "anchors": [
            "1: Most relevant findings are missing",
            "2: Several relevant findings are missing",
            "3: One relevant finding is missing",
            "4: Only minor findings are missing",
            "5: Complete",
        ],
        "anchors_zh": [
            "1：大部分相关所见缺失",
            "2：多项相关所见缺失",
            "3：缺失一项相关所见",
            "4：仅缺失次要所见",
            "5：完整，无遗漏",
        ],
    },
    {
        "key": "readability",
        "label": "Readability",
        "label_zh": "可读性",
        "help_text": "Is the report clear, well organised and easy to act on?",
        "help_text_zh": "报告是否表述清晰、条理分明、便于临床据此处置？",
        "anchors": [
            "1: Confusing or contradictory",
            "2: Hard to follow",
            "3: Understandable with effort",
            "4: Clear",
            "5: Exemplary: clear, concise, well organised",
        ],
        "anchors_zh": [
            "1：表述混乱或自相矛盾",
            "2：难以理解",
            "3：需费力才能理解",
            "4：清晰",
            "5：堪称范例：清晰、简洁、条理分明",
        ],
    },
)
