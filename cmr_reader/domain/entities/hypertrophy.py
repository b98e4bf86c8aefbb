"""The hypertrophy pattern: asymmetric septal, apical, concentric, mid-ventricular, or none.

The first affirmed pattern in the report wins ("Asymmetric septal hypertrophy", "心尖部肥厚",
"向心性增厚", "mid-ventricular hypertrophy"); "septal hypertrophy" and "the septum is
hypertrophied" count as asymmetric septal. A hedged or negated pattern ("Apical HCM cannot be
excluded") is not a pattern. ``none`` needs an explicit statement: a negated hypertrophy ("No LVH",
"室壁未见增厚") or normal wall thickness ("wall thickness is normal", "室壁厚度正常"), and no
affirmed pattern anywhere. The "hypertrophic" of "hypertrophic cardiomyopathy" is a disease name,
so "No evidence of hypertrophic cardiomyopathy" says nothing about the walls.
"""

from cmr_reader.domain.entities.document import Document
from cmr_reader.domain.entities.mentions import find_mentions
from cmr_reader.domain.entities.negation import ABSENT, PRESENT

PATTERNS = (
    ("hyp_asymmetric_septal", "asymmetric_septal", None),
    ("hyp_apical", "apical", None),
    ("hyp_concentric", "concentric", None),
    # "Mid-ventricular" names a level as often as a pattern; it needs hypertrophy or obstruction nearby.
    ("hyp_mid_ventricular", "mid_ventricular", "hyp_mid_context"),
)


def extract_hypertrophy_pattern(document: Document) -> str | None:
    """The stated hypertrophy pattern, ``"none"``, or ``None`` when the report does not say."""
    affirmed, pattern_spans = [], []
    for key, value, context in PATTERNS:
        for mention in find_mentions(document=document, key=key, context=context):
            pattern_spans.append(mention.span)
            if mention.polarity == PRESENT:
                affirmed.append((mention.span.start, value))
    if affirmed:
        return min(affirmed)[1]
    normal = find_mentions(document=document, key="hyp_normal", self_negating=True)
    generic = [
        mention
        for mention in find_mentions(document=document, key="hyp_generic")
        if not any(span.start <= mention.span.start < span.end for span in pattern_spans)
    ]
    if any(m.polarity == PRESENT for m in normal) or any(m.polarity == ABSENT for m in generic):
        return "none"
    return None
