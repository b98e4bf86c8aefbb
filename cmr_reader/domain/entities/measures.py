"""Labelled measurements: volumes, mass and ejection fractions ("LVEDV 182 ml (95 ml/m2)", "左室射血分数约55%").

A label is followed by its values within a short window that ends at the next label of any
measure or at the end of the sentence. The unit decides the field: "ml" is the volume, "ml/m2"
its index, "g" the mass, "g/m2" its index, "%" an ejection fraction. A number written without
a unit is accepted where the label leaves no doubt ("EF 58", "LVEDVi 82").

Which ventricle: the label may say ("LVEF", "RV ejection fraction", "右室射血分数"); a bare
label ("EF 55%", "射血分数60%") belongs to the ventricle last named earlier in the sentence, and to
the left ventricle when none is. Right-ventricular volumes have no field and are skipped.
The first statement of a measure in the report wins; ranges give their midpoint (see ``numbers``).
"""

from dataclasses import dataclass

from cmr_reader.domain.entities import lexicon
from cmr_reader.domain.entities.document import Document, Span
from cmr_reader.domain.entities.numbers import Quantity, find_quantities

WINDOW_CHARS = 50
EF_PLAUSIBLE = (5.0, 95.0)


@dataclass(frozen=True)
class Label:
    measure: str
    start: int
    end: int
    ventricle: str
    indexed: bool


# For each measure: the field of its absolute value, the field of its index, and their units.
FIELDS_BY_MEASURE = {
    "edv": (("lv_edv_ml", "ml"), ("lv_edv_index_ml_m2", "ml_m2")),
    "esv": (("lv_esv_ml", "ml"), (None, "ml_m2")),
    "mass": (("lv_mass_g", "g"), ("lv_mass_index_g_m2", "g_m2")),
}


def find_labels(document: Document) -> list[Label]:
    """Every measure label in the kept sentences, in text order."""
    labels = []
    for sentence in document.sentences:
        for measure in ("edv", "esv", "mass", "ef"):
            for match in lexicon.find(
                text=document.text, lang=document.lang, key=measure, start=sentence.start, end=sentence.end
            ):
                if measure == "mass" and _is_scar_mass(
                    document=document, sentence=sentence, start=match.start
                ):
                    continue
                ventricle = _ventricle(document=document, sentence=sentence, match=match)
                indexed = bool(match.group("i") or match.group("i0"))
                labels.append(Label(measure, match.start, match.end, ventricle, indexed))
    labels.sort(key=lambda label: (label.start, -label.end))
    # Drop labels nested in a longer one ("ef" inside "ejection fraction" cannot happen, but
    # "质量" inside "心肌质量指数" from two languages can).
    kept: list[Label] = []
    for label in labels:
        if kept and label.start < kept[-1].end:
            continue
        kept.append(label)
    return kept


def extract_measures(*, document: Document, labels: list[Label]) -> dict:
    """The volume, mass and ejection-fraction fields the report states."""
    found: dict = {}
    for index, label in enumerate(labels):
        sentence = document.sentence_at(label.start)
        stop = min(label.end + WINDOW_CHARS, sentence.end if sentence else len(document.text))
        if index + 1 < len(labels):
            stop = min(stop, max(labels[index + 1].start, label.end))
        quantities = find_quantities(document.text, start=label.end, end=stop)
        for field, value in _values_for(
            label=label, quantities=quantities, hint=document.text[label.end : stop]
        ):
            found.setdefault(field, value)
    return found


def _values_for(*, label: Label, quantities: list[Quantity], hint: str) -> list[tuple[str, float]]:
    if label.measure == "ef":
        if not quantities or quantities[0].unit not in ("pct", None):
            return []
        value = quantities[0].midpoint
        if quantities[0].unit is None and not EF_PLAUSIBLE[0] <= value <= EF_PLAUSIBLE[1]:
            return []
        return [("rv_ef_pct" if label.ventricle == "rv" else "lv_ef_pct", value)]
    if label.ventricle == "rv":
        return []
    (plain_field, plain_unit), (index_field, index_unit) = FIELDS_BY_MEASURE[label.measure]
    values: list[tuple[str | None, float]] = []
    for position, quantity in enumerate(quantities):
        unit = quantity.unit
        if unit is None and position == 0:
            # "(ml/m2): 95" or "LVEDVi 82": the label or a bracketed unit speaks for the number.
            unit = index_unit if label.indexed or "/m2" in hint[:12] else plain_unit
        if unit == index_unit and index_field:
            values.append((index_field, quantity.midpoint))
        elif unit == plain_unit:
            values.append((index_field if label.indexed else plain_field, quantity.midpoint))
    return [(field, number) for field, number in values if field]


def _ventricle(*, document: Document, sentence: Span, match: lexicon.Match) -> str:
    written = match.group("v")
    if written:
        return "rv" if written.startswith(("r", "右")) else "lv"
    before = Span(sentence.start, match.start)
    mentions = [
        (m.start, side)
        for side in ("lv", "rv")
        for m in lexicon.find(
            text=document.text,
            lang=document.lang,
            key=f"ventricle_{side}",
            start=before.start,
            end=before.end,
        )
    ]
    return max(mentions)[1] if mentions else "lv"


def _is_scar_mass(*, document: Document, sentence: Span, start: int) -> bool:
    """ "LGE mass 18 g" is the mass of the scar, not of the ventricle."""
    before = document.text[max(sentence.start, start - 20) : start]
    return lexicon.search(text=before, lang=document.lang, key="mass_excluded_before") is not None
