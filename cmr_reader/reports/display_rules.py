"""The vocabulary of the display form (``normalise.py``): section headings, lines that are not
findings, and sentences that refer to an earlier examination.

Kept apart from the layout code so that a coordinator's question "why was this withheld?" can be
answered by reading one list (docs/decisions/0013-display-form.md describes the rules).
"""

import re

FINDINGS, IMPRESSION, WITHHELD_SECTION = "findings", "impression", "withheld"

# The two sections readers see, in the report's language.
SECTION_TITLES = {
    "en": {FINDINGS: "Findings", IMPRESSION: "Impression"},
    "zh": {FINDINGS: "检查所见", IMPRESSION: "诊断意见"},
}
# What an empty section shows, identically for both reports of a pair: its absence is content.
NOT_STATED = {"en": "Not stated.", "zh": "未述及。"}

# Heading spelling (lower case, no colon) -> the section it opens. Sections an AI report cannot
# have (why the exam was done, how, compared with what) are withheld from readers for both arms.
_SPELLINGS = {
    FINDINGS: (
        "findings",
        "finding",
        "results",
        "report findings",
        "report",
        "description",
        "observations",
        "检查所见",
        "所见",
        "影像所见",
        "影像表现",
        "表现",
        "检查结果",
        "描述",
    ),
    IMPRESSION: (
        "impression",
        "impressions",
        "conclusion",
        "conclusions",
        "summary",
        "opinion",
        "diagnosis",
        "assessment",
        "interpretation",
        "recommendation",
        "recommendations",
        "impression and recommendations",
        "诊断意见",
        "印象",
        "结论",
        "影像诊断",
        "诊断",
        "意见",
        "影像学诊断",
        "建议",
        "诊断及建议",
    ),
    WITHHELD_SECTION: (
        "indication",
        "indications",
        "clinical history",
        "history",
        "clinical information",
        "clinical indication",
        "clinical details",
        "clinical question",
        "reason for exam",
        "reason for study",
        "reason for referral",
        "referral",
        "technique",
        "protocol",
        "sequences",
        "procedure",
        "contrast",
        "comparison",
        "comparisons",
        "prior studies",
        "prior study",
        "previous studies",
        "临床资料",
        "临床病史",
        "病史",
        "临床信息",
        "临床诊断",
        "检查目的",
        "检查技术",
        "技术",
        "扫描技术",
        "检查方法",
        "扫描序列",
        "对比",
        "比较",
        "对比检查",
    ),
}
HEADINGS = {spelling: section for section, spellings in _SPELLINGS.items() for spelling in spellings}

# Whole lines that say nothing about the patient's heart: report titles, a generator's chatter,
# date and time lines, and lines left with nothing but placeholders or separators.
BOILERPLATE_LINES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:cardiac |cardiovascular |heart )?(?:mri?|cmr|magnetic resonance(?: imaging)?)?\s*"
        r"(?:examination |study )?report$",
        r"^(?:心脏)?(?:磁共振|MRI|MR|CMR)(?:检查|成像)?(?:诊断)?报告(?:单)?$",
        r"^(?:as an ai|as a language model|i am an ai|i'm an ai)\b.*",
        r"^(?:generated|produced|written|created) (?:by|with|using)\b.*",
        r"^(?:here is|here's|below is|the following is)\b.*(?:report|findings)\b.*[:.]?$",
        r"^(?:sure|certainly|of course)\b.*",
        r"^(?:i hope|let me know|please (?:consult|note)|note: this (?:report|is)|disclaimer)\b.*",
        r"^(?:以下是|这是|下面是).{0,20}报告.*",
        r"^(?:作为(?:一个)?(?:ai|人工智能)|本报告由|由.{0,20}生成).*",
        r"^(?:report(?:ed)? (?:date|time)|date(?: of (?:report|exam(?:ination)?|study))?|time|exam date|"
        r"study date|报告(?:日期|时间)|检查(?:日期|时间))\s*[:：].*",
        r"^(?:\[removed\]|[\s\d:./,;-])*$",
    )
)

# A sentence that compares with an earlier examination: an AI report of one study cannot.
PRIOR_EXAMINATION = re.compile(
    r"\b(?:compared (?:with|to)|in comparison (?:with|to)|comparison (?:with|to)|relative to|since)\s+"
    r"(?:the\s+|a\s+)?(?:prior|previous|earlier|last|preceding|most recent|\[removed\]|baseline)"
    r"|\b(?:prior|previous|earlier|preceding|most recent|baseline|last|outside)\s+(?:cardiac\s+)?"
    r"(?:study|studies|exam|exams|examination|examinations|scan|scans|mri|mr|cmr|imaging|echo|"
    r"echocardiogram|ct|report|film|films)\b"
    r"|\binterval\s+(?:change|increase|decrease|improvement|worsening|progression|development|"
    r"resolution|enlargement|reduction|growth)\b"
    r"|\b(?:unchanged|stable|progressed|improved|worsened|increased|decreased|new)\s+(?:since|from)\b"
    r"|\bno (?:significant |interval )?change\b"
    r"|\bas (?:before|previously (?:seen|described|noted|reported))\b"
    r"|\bagain (?:seen|noted|demonstrated|shown|identified)\b"
    r"|较前|与前(?:片|次)?|前片|前次|上次|既往(?:检查|MRI|MR|CMR|磁共振|片|影像)|复查(?:对比|比较)|"
    r"原片|与.{0,12}(?:片|检查|MRI|CMR)(?:比较|对比|相比)|(?:无|未见)(?:明显)?变化|同前",
    re.IGNORECASE,
)
