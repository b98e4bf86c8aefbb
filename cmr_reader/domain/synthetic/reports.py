"""Report texts written from a synthetic case's ground truth: a radiologist's and an AI's.

``reference_report`` writes what a radiologist would (findings, then an impression) and states the
ground truth exactly: LV volumes, EF and mass (absolute and indexed), the maximal wall thickness
with its AHA segment, the hypertrophy pattern, LGE with its pattern and extent, and the diagnosis.
``ai_report`` writes the same facts in another voice and, for a share ``error_rate`` of cases,
first plants one or two plausible clinical errors, named in ``introduced_errors``:

    ef_off_by_<n>          EF misstated by n points (signed, 8 to 15 either way)
    thickness_off_by_<n>   maximal wall thickness misstated by n mm (signed, 4 to 6 either way)
    wrong_segment          the thickest wall placed in another region and AHA segment
    lge_missed             "no LGE" when there is LGE
    lge_hallucinated       LGE described where there is none
    wrong_diagnosis        the impression names another diagnosis

Phrasing varies with the seed (synonyms, sentence order, paragraphs, units, decimals), so that
style alone identifies neither a case nor a source, and it never uses a hedge, a question mark or
a second diagnosis: every sentence is one that ``analysis.entities.extract_entities`` reads back
as written. Nothing identifying is written (no names, dates, titles or signatures). Standard
library only; the same (truth, seed) always gives the same text.
"""

import random
from dataclasses import dataclass, replace

REFERENCE, MODEL = "reference", "model"
ERROR_KINDS = ("ef", "thickness", "segment", "lge", "diagnosis")

# AHA segment -> (noun phrase, adjective phrase, wall region as ground_truth.wall_region names it).
SEGMENTS = {
    **{
        level_start + offset: (f"{level} {noun}", f"{level} {adjective}", region)
        for level_start, level in ((1, "basal"), (7, "mid"))
        for offset, (noun, adjective, region) in enumerate(
            (
                ("anterior wall", "anterior", "anterior"),
                ("anteroseptum", "anteroseptal", "septal"),
                ("inferoseptum", "inferoseptal", "septal"),
                ("inferior wall", "inferior", "inferior"),
                ("inferolateral wall", "inferolateral", "lateral"),
                ("anterolateral wall", "anterolateral", "lateral"),
            )
        )
    },
    13: ("apical anterior wall", "apical anterior", "apical"),
    14: ("apical septum", "apical septal", "apical"),
    15: ("apical inferior wall", "apical inferior", "apical"),
    16: ("apical lateral wall", "apical lateral", "apical"),
    17: ("apex", "apical cap", "apical"),
}
# Plausible misreadings, by case type: the classic differentials and misses.
WRONG_DIAGNOSES = {
    "hcm_septal": ("hypertensive", "amyloidosis"),
    "hcm_apical": ("normal", "hypertensive"),
    "dcm": ("ischaemic",),
    "normal": ("hcm", "dcm"),
}
HALLUCINATED_LGE = {"hcm_septal": "patchy_midwall", "hcm_apical": "patchy_midwall", "dcm": "midwall_septal"}


@dataclass(frozen=True)
class SyntheticReport:
    text: str
    language: str
    introduced_errors: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class StatedFacts:
    """What a report says: the ground truth, or the ground truth with planted errors."""

    case_type: str
    diagnosis: str  # a case type, or a key of WRONG_DIAGNOSES' values
    sex: str
    edv_ml: float
    esv_ml: float
    edv_index: float
    esv_index: float
    stroke_volume_ml: float
    ef_pct: float
    mass_g: float
    mass_index: float
    thickness_mm: float
    segment: int
    hypertrophy: str
    lge_pattern: str | None  # None: no LGE
    lge_extent_pct: float


def reference_report(truth: dict, *, seed: int) -> SyntheticReport:
    """A radiologist-style report that states ``truth`` (a ``ground_truth.json`` document)."""
    text = render_report(stated_facts(truth), rng=_rng("reference", seed, truth), voice=REFERENCE)
    return SyntheticReport(text=text, language="en", introduced_errors=())


def ai_report(truth: dict, *, seed: int, error_rate: float = 0.3) -> SyntheticReport:
    """A model-style report of ``truth``; with probability ``error_rate`` it carries 1-2 errors."""
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError(f"error_rate must be within [0, 1], got {error_rate!r}")
    facts, errors = plant_errors(
        stated_facts(truth), rng=_rng("ai-errors", seed, truth), error_rate=error_rate
    )
    # A separate stream for style, so the wording does not depend on whether errors were drawn.
    text = render_report(facts, rng=_rng("ai-style", seed, truth), voice=MODEL)
    return SyntheticReport(text=text, language="en", introduced_errors=errors)


def _rng(role: str, seed: int, truth: dict) -> random.Random:
    # The case's own seed joins in, so cases reported with one seed still differ in style.
    # Seeding with a str is stable across processes (it is hashed with SHA-512, not hash()).
    return random.Random(f"{role}:{seed}:{truth.get('seed', '')}:{truth['case_type']}")


def stated_facts(truth: dict) -> StatedFacts:
    """The facts of ``truth`` as a report states them."""
    present = truth["lge"] == "present"
    return StatedFacts(
        case_type=truth["case_type"],
        diagnosis=truth["case_type"],
        sex=truth.get("patient", {}).get("sex", "M"),
        edv_ml=truth["lv_edv_ml"],
        esv_ml=truth["lv_esv_ml"],
        edv_index=truth["lv_edv_index_ml_m2"],
        esv_index=truth["lv_esv_index_ml_m2"],
        stroke_volume_ml=truth.get("lv_sv_ml", round(truth["lv_edv_ml"] - truth["lv_esv_ml"], 1)),
        ef_pct=truth["lv_ef_pct"],
        mass_g=truth["lv_mass_g"],
        mass_index=truth["lv_mass_index_g_m2"],
        thickness_mm=truth["max_wall_thickness_mm"],
        segment=truth["max_wall_thickness_aha_segment"],
        hypertrophy=truth["hypertrophy_pattern"],
        lge_pattern=truth["lge_pattern"] if present else None,
        lge_extent_pct=truth["lge_extent_pct"] if present else 0.0,
    )


def plant_errors(
    facts: StatedFacts, *, rng: random.Random, error_rate: float
) -> tuple[StatedFacts, tuple[str, ...]]:
    """With probability ``error_rate``, ``facts`` with one or two errors, and their tags."""
    if rng.random() >= error_rate:
        return facts, ()
    kinds = sorted(rng.sample(ERROR_KINDS, k=rng.choice((1, 2))), key=ERROR_KINDS.index)
    tags = []
    for kind in kinds:
        facts, tag = _PLANTERS[kind](facts, rng)
        tags.append(tag)
    return facts, tuple(tags)


def _misstate_ef(facts: StatedFacts, rng: random.Random) -> tuple[StatedFacts, str]:
    size = rng.randint(8, 15)
    sign = 1 if facts.ef_pct - size < 10 else -1 if facts.ef_pct + size > 85 else rng.choice((1, -1))
    return replace(facts, ef_pct=round(facts.ef_pct + sign * size, 1)), f"ef_off_by_{sign * size}"


def _misstate_thickness(facts: StatedFacts, rng: random.Random) -> tuple[StatedFacts, str]:
    size = rng.randint(4, 6)
    sign = rng.choice((1, -1)) if facts.thickness_mm - size >= 6 else 1
    delta = sign * size
    return replace(facts, thickness_mm=round(facts.thickness_mm + delta, 1)), f"thickness_off_by_{delta}"


def _misplace_segment(facts: StatedFacts, rng: random.Random) -> tuple[StatedFacts, str]:
    # Same ring for basal and mid segments; an apical maximum moves up to the mid ring.
    ring = range(7, 13) if facts.segment >= 13 else range(1, 7) if facts.segment <= 6 else range(7, 13)
    region = SEGMENTS[facts.segment][2]
    choices = [segment for segment in ring if SEGMENTS[segment][2] != region]
    return replace(facts, segment=rng.choice(choices)), "wrong_segment"


def _flip_lge(facts: StatedFacts, rng: random.Random) -> tuple[StatedFacts, str]:
    if facts.lge_pattern:
        return replace(facts, lge_pattern=None, lge_extent_pct=0.0), "lge_missed"
    pattern = HALLUCINATED_LGE.get(facts.case_type, "rv_insertion")
    return replace(
        facts, lge_pattern=pattern, lge_extent_pct=round(rng.uniform(2.0, 8.0), 1)
    ), "lge_hallucinated"


def _misdiagnose(facts: StatedFacts, rng: random.Random) -> tuple[StatedFacts, str]:
    return replace(facts, diagnosis=rng.choice(WRONG_DIAGNOSES[facts.case_type])), "wrong_diagnosis"


_PLANTERS = {
    "ef": _misstate_ef,
    "thickness": _misstate_thickness,
    "segment": _misplace_segment,
    "lge": _flip_lge,
    "diagnosis": _misdiagnose,
}

# Sentence templates per voice and topic; ``render_report`` fills them from ``_phrases``.
# Each is checked against the entity extractor by tests/synthetic_tests/test_synthetic_reports.py.
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    REFERENCE: {
        "volumes": (
            "The left ventricle is {size} with an end-diastolic volume of {edv} ({edvi}) and an "
            "end-systolic volume of {esv} ({esvi}).",
            "The left ventricle is {size}. LV end-diastolic volume {edv} (indexed {edvi}), "
            "end-systolic volume {esv} ({esvi}).",
            "Left ventricular end-diastolic volume is {edv} ({edvi}) and end-systolic volume {esv} "
            "({esvi}), the ventricle being {size}.",
        ),
        "function": (
            "Global systolic function is {function} with an ejection fraction of {ef}.",
            "LV systolic function is {function}, EF {ef}.",
            "{Function} left ventricular systolic function, with an LVEF of {ef} and a stroke volume of {sv}.",
        ),
        "mass": (
            "LV mass is {mass} ({massi}), which is {mass_state}.",
            "Myocardial mass {mass} (indexed {massi}), {mass_state}.",
            "The LV mass is {mass_state} at {mass} ({massi}).",
        ),
        "wall_asymmetric_septal": (
            "There is asymmetric septal hypertrophy with a maximal wall thickness of {thick} in {where}.",
            "Asymmetric hypertrophy of the interventricular septum, measuring up to {thick} in {where}.",
            "The septum is asymmetrically hypertrophied, with a maximal thickness of {thick} in {where}.",
        ),
        "wall_apical": (
            "There is apical hypertrophy with a spade-shaped cavity at end-diastole. Maximal wall "
            "thickness is {thick} in {where}.",
            "Hypertrophy confined to the LV apex, measuring up to {thick} in {where}.",
            "The apical segments are thickened, with a maximal wall thickness of {thick} in {where}.",
        ),
        "wall_none": (
            "Wall thickness is normal, measuring up to {thick} in {where}.",
            "No left ventricular hypertrophy. Maximal wall thickness is {thick} in {where}.",
            "Normal myocardial wall thickness, the thickest segment measuring {thick} in {where}.",
        ),
        "lge_none": (
            "No late gadolinium enhancement.",
            "There is no myocardial late gadolinium enhancement.",
            "Late gadolinium enhancement imaging shows no myocardial scar or fibrosis.",
        ),
        "lge_patchy_midwall": (
            "There is patchy mid-wall late gadolinium enhancement within the {site}, {extent_phrase}.",
            "Patchy mid-myocardial LGE is seen in the {site}, {extent_phrase}.",
            "Late gadolinium enhancement is present in a patchy mid-wall distribution in the {site}, "
            "{extent_phrase}.",
        ),
        "lge_rv_insertion": (
            "Focal late gadolinium enhancement at the superior and inferior right ventricular insertion "
            "points, {extent_phrase}.",
            "LGE is confined to the RV insertion points, {extent_phrase}.",
            "There is focal enhancement at both RV-LV junctions, {extent_phrase}.",
        ),
        "lge_midwall_septal": (
            "There is linear mid-wall late gadolinium enhancement in the septum, {extent_phrase}, a "
            "non-ischaemic pattern.",
            "A mid-wall stripe of enhancement is present in the interventricular septum, {extent_phrase}.",
        ),
        "extent_phrase": (
            "approximately {extent} of LV mass",
            "estimated at {extent} of the left ventricular mass",
            "involving about {extent} of the myocardium",
        ),
        "dilated": ("There is global hypokinesis.", "Global LV hypokinesis is noted."),
        "rv": (
            "The right ventricle is normal in size and function.",
            "Normal right ventricular size and systolic function.",
        ),
        "pericardium": ("No pericardial effusion.", "The pericardium is normal."),
        "function_summary": (
            "{Function} LV systolic function (EF {ef}).",
            "{Function} systolic function, LVEF {ef}.",
        ),
        "lge_summary_present": ("{Lge_kind} late gadolinium enhancement ({extent} of LV mass).",),
        "lge_summary_absent": ("No late gadolinium enhancement.", "No myocardial fibrosis."),
        "dx_hcm_septal": (
            "Hypertrophic cardiomyopathy with asymmetric septal hypertrophy.",
            "Appearances are consistent with hypertrophic cardiomyopathy, asymmetric septal phenotype.",
            "Findings in keeping with septal hypertrophic cardiomyopathy.",
        ),
        "dx_hcm_apical": (
            "Apical hypertrophic cardiomyopathy.",
            "Appearances are in keeping with apical variant hypertrophic cardiomyopathy.",
        ),
        "dx_dcm": (
            "Dilated cardiomyopathy with {function} left ventricular systolic function.",
            "Appearances are consistent with a non-ischaemic dilated cardiomyopathy.",
        ),
        "dx_normal": (
            "Normal cardiac MRI.",
            "Structurally normal heart.",
            "Normal CMR study, with no evidence of cardiomyopathy.",
        ),
    },
    MODEL: {
        "volumes": (
            "Left ventricular volumes: EDV {edv} (EDVi {edvi}), ESV {esv} (ESVi {esvi}). The LV is {size}.",
            "The LV is {size} (LVEDV {edv}, LVEDVi {edvi}, LVESV {esv}, LVESVi {esvi}).",
            "End-diastolic volume measures {edv} ({edvi} indexed to BSA) with an end-systolic volume of "
            "{esv} ({esvi}).",
        ),
        "function": (
            "Left ventricular ejection fraction (LVEF) is {ef}, consistent with {function} systolic function.",
            "LVEF {ef} ({function} systolic function).",
            "Systolic function is {function} (LVEF {ef}, stroke volume {sv}).",
        ),
        "mass": (
            "LV myocardial mass {mass} (LVMi {massi}), {mass_state}.",
            "Myocardial mass measures {mass}, indexed {massi} ({mass_state}).",
        ),
        "wall_asymmetric_septal": (
            "Asymmetric septal hypertrophy is present. Maximum wall thickness: {thick}, located in {where}.",
            "Septal hypertrophy with a maximal thickness of {thick} at {where}.",
            "The interventricular septum is disproportionately thickened, measuring {thick} at {where}, "
            "consistent with asymmetric septal hypertrophy.",
        ),
        "wall_apical": (
            "Hypertrophy predominantly at the apex, with a maximal wall thickness of {thick} in {where}.",
            "Apical wall thickening is noted. Maximum wall thickness: {thick}, located in {where}.",
        ),
        "wall_none": (
            "Normal LV wall thickness, maximum {thick} in {where}.",
            "No evidence of left ventricular hypertrophy. Maximum wall thickness: {thick}, located in {where}.",
        ),
        "lge_none": (
            "No evidence of late gadolinium enhancement (LGE).",
            "LGE imaging demonstrates no myocardial enhancement.",
            "No late gadolinium enhancement is identified.",
        ),
        "lge_patchy_midwall": (
            "Patchy mid-wall LGE involving the {site}, {extent_phrase}.",
            "LGE demonstrates patchy intramyocardial enhancement in the {site}, {extent_phrase}.",
        ),
        "lge_rv_insertion": (
            "Focal LGE at the RV insertion points, {extent_phrase}.",
            "Enhancement is confined to the inferior RV-LV junction, {extent_phrase}.",
        ),
        "lge_midwall_septal": (
            "Linear mid-wall septal LGE, {extent_phrase}.",
            "LGE demonstrates a mid-wall stripe of enhancement in the septum, {extent_phrase}.",
        ),
        "extent_phrase": (
            "approximately {extent} of total LV myocardial mass",
            "estimated LGE burden {extent}",
            "quantified at {extent} of LV mass",
        ),
        "dilated": ("Global hypokinesis is present.", "Diffuse LV hypokinesis is observed."),
        "rv": (
            "Right ventricular size and systolic function are within normal limits.",
            "The RV is normal in size with preserved systolic function.",
        ),
        "pericardium": ("No pericardial effusion is identified.", "Pericardium: no effusion."),
        "function_summary": ("{Function} LV systolic function (LVEF {ef}).", "LVEF {ef}, {function}."),
        "lge_summary_present": ("{Lge_kind} LGE ({extent} of LV mass).", "{Lge_kind} LGE, {extent}."),
        "lge_summary_absent": ("No LGE.", "No evidence of myocardial fibrosis."),
        "dx_hcm_septal": (
            "Imaging findings are consistent with hypertrophic cardiomyopathy, asymmetric septal variant.",
            "Asymmetric septal hypertrophic cardiomyopathy (HCM).",
        ),
        "dx_hcm_apical": ("Findings are consistent with apical hypertrophic cardiomyopathy.", "Apical HCM."),
        "dx_dcm": (
            "Findings are consistent with dilated cardiomyopathy (DCM).",
            "Dilated left ventricle with {function} systolic function, consistent with dilated cardiomyopathy.",
        ),
        "dx_normal": ("Normal cardiac MRI.", "Normal cardiac MRI study. No evidence of cardiomyopathy."),
        # Only planted errors state these.
        "dx_hcm": ("Findings are consistent with hypertrophic cardiomyopathy.",),
        "dx_hypertensive": ("Findings are consistent with hypertensive heart disease.",),
        "dx_amyloidosis": ("Appearances suggest cardiac amyloidosis.",),
        "dx_ischaemic": ("Findings are consistent with ischaemic cardiomyopathy.",),
    },
}
LGE_KIND = {
    "patchy_midwall": "Patchy mid-wall",
    "rv_insertion": "Focal RV insertion point",
    "midwall_septal": "Linear mid-wall septal",
}
LGE_SITE = {"asymmetric_septal": "hypertrophied septum", "apical": "hypertrophied apical segments"}
HEADINGS = {"findings": ("Findings:", ""), "impression": ("Impression:", "Conclusion:", "Summary:")}


def render_report(facts: StatedFacts, *, rng: random.Random, voice: str) -> str:
    """The report text of ``facts`` in ``voice``; every choice of wording comes from ``rng``."""
    templates = TEMPLATES[voice]
    phrases = _phrases(facts, rng=rng, voice=voice)

    def say(topic: str) -> str:
        return rng.choice(templates[topic]).format_map(phrases)

    phrases["extent_phrase"] = say("extent_phrase")
    ventricle = [say("volumes"), say("function"), say("mass"), say(f"wall_{facts.hypertrophy}")]
    rng.shuffle(ventricle)
    if facts.case_type == "dcm":
        ventricle.append(say("dilated"))
    tissue = [say(f"lge_{facts.lge_pattern or 'none'}"), say("rv"), say("pericardium")]
    rng.shuffle(tissue)
    diagnosis = rng.choice(templates[f"dx_{facts.diagnosis}"])
    summary = [say("lge_summary_present" if facts.lge_pattern else "lge_summary_absent")]
    # A diagnosis sentence that already grades function is not followed by another that does.
    if "{function}" not in diagnosis and (facts.diagnosis != "normal" or rng.random() < 0.5):
        summary.append(say("function_summary"))
    rng.shuffle(summary)
    # The diagnosis comes first: the extractor takes the first diagnosis named in the impression.
    impression = [diagnosis.format_map(phrases), *summary]
    return _lay_out(ventricle=ventricle, tissue=tissue, impression=impression, rng=rng)


def _lay_out(*, ventricle: list[str], tissue: list[str], impression: list[str], rng: random.Random) -> str:
    """Findings as one paragraph, two, or a sentence a line (a house style each), then the impression."""
    layout = rng.choice(("paragraph", "paragraphs", "lines"))
    if layout == "paragraph":
        body = " ".join(ventricle + tissue)
    elif layout == "paragraphs":
        body = " ".join(ventricle) + "\n\n" + " ".join(tissue)
    else:
        body = "\n".join(ventricle + tissue)
    heading = rng.choice(HEADINGS["findings"])
    findings = f"{heading}\n{body}" if heading else body
    joiner = "\n" if layout == "lines" else " "
    after_heading = "\n" if layout == "lines" or rng.random() < 0.5 else " "
    conclusion = rng.choice(HEADINGS["impression"]) + after_heading + joiner.join(impression)
    return f"{findings}\n\n{conclusion}"


def _phrases(facts: StatedFacts, *, rng: random.Random, voice: str) -> dict[str, str]:
    """The values and words the templates insert, formatted in one report-wide number style."""
    decimals = rng.choice((0, 1))
    millilitres = rng.choice(("mL", "ml"))
    per_m2 = rng.choice(("/m2", "/m²"))
    ef_format = rng.choice(("{:.0f}%", "{:.0f} %", "{:.1f}%", "{:.0f} percent"))
    function = _function(facts.ef_pct, rng=rng)
    lge_site = LGE_SITE.get(facts.hypertrophy, "septum")
    return {
        "size": _size(facts, rng=rng),
        "edv": f"{facts.edv_ml:.{decimals}f} {millilitres}",
        "esv": f"{facts.esv_ml:.{decimals}f} {millilitres}",
        "sv": f"{facts.stroke_volume_ml:.{decimals}f} {millilitres}",
        "edvi": f"{facts.edv_index:.{decimals}f} {millilitres}{per_m2}",
        "esvi": f"{facts.esv_index:.{decimals}f} {millilitres}{per_m2}",
        "mass": f"{facts.mass_g:.{decimals}f} g",
        "massi": f"{facts.mass_index:.{decimals}f} g{per_m2}",
        "mass_state": _mass_state(facts, rng=rng),
        "ef": ef_format.format(facts.ef_pct),
        "function": function,
        "Function": function[0].upper() + function[1:],
        "thick": _thickness(facts.thickness_mm, rng=rng),
        "where": _where(facts.segment, rng=rng, voice=voice),
        "site": lge_site,
        "extent": _extent(facts.lge_extent_pct, rng=rng),
        "Lge_kind": LGE_KIND.get(facts.lge_pattern or "", ""),
    }


def _size(facts: StatedFacts, *, rng: random.Random) -> str:
    """LV size from the indexed EDV (upper limits about 105 mL/m2 in men, 96 in women)."""
    upper = 105.0 if facts.sex == "M" else 96.0
    if facts.edv_index > 1.35 * upper:
        return rng.choice(("severely dilated", "markedly dilated"))
    if facts.edv_index > upper:
        return rng.choice(("dilated", "enlarged"))
    if facts.edv_index < 50.0:
        return rng.choice(("small", "small in size"))
    return rng.choice(("normal in size", "not dilated", "of normal size"))


def _function(ef_pct: float, *, rng: random.Random) -> str:
    if ef_pct >= 72:
        return "hyperdynamic"
    if ef_pct >= 55:
        return rng.choice(("normal", "preserved"))
    if ef_pct >= 45:
        return "mildly impaired"
    return "moderately impaired" if ef_pct >= 35 else "severely impaired"


def _mass_state(facts: StatedFacts, *, rng: random.Random) -> str:
    """Indexed mass against upper limits of about 85 g/m2 in men and 70 in women."""
    if facts.mass_index > (85.0 if facts.sex == "M" else 70.0):
        return rng.choice(("increased", "elevated"))
    return rng.choice(("normal", "within normal limits"))


def _thickness(millimetres: float, *, rng: random.Random) -> str:
    style = rng.choice(("mm", "mm1", "cm"))
    if style == "cm":
        return f"{millimetres / 10:.1f} cm"
    return f"{millimetres:.1f} mm" if style == "mm1" else f"{millimetres:.0f} mm"


def _where(segment: int, *, rng: random.Random, voice: str) -> str:
    """Where the thickest wall is: mostly with its AHA segment number, sometimes by name only."""
    noun, adjective, _ = SEGMENTS[segment]
    if voice == REFERENCE:
        options = (f"the {noun} (AHA segment {segment})", f"the {noun} (segment {segment})", f"the {noun}")
    else:
        options = (
            f"AHA segment {segment} ({adjective})",
            f"the {adjective} segment (segment {segment})",
            f"the {noun}",
        )
    return rng.choice(options)


def _extent(percent: float, *, rng: random.Random) -> str:
    if percent < 1.0:
        return f"{percent:.1f}%"
    return rng.choice(("{:.0f}%", "{:.1f}%", "{:.1f} %")).format(percent)
