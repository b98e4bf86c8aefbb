"""Radiologist-style reports written from a synthetic ground truth, to check extraction end to end.

``write_reference_report`` renders the ground truth of ``cmr_reader.domain.synthetic`` (keys such as
``lv_edv_ml``, ``max_wall_thickness_location``, ``lge_pattern``) as an English or Chinese report;
``reference_record`` says what that report states, in the extractor's vocabulary, so a test can
assert ``extract_entities(report)`` equals it field by field.

``style_seed`` picks the variant: ``style_seed % 3`` the layout (English: terse, narrative,
templated with headings; Chinese: narrative, templated, terse with English abbreviations),
``(style_seed // 3) % 2`` whether wall thickness is written in cm, ``(style_seed // 6) % 2``
whether the AHA segment of the thickest wall is named (the record then holds the segment number).
The synthetic DCM pattern ``midwall_septal`` (a linear mid-wall stripe) is written as such and
recorded as ``patchy_midwall``, the record's closest value.
"""

REGION_EN = {
    "septal": "interventricular septum",
    "anterior": "anterior wall",
    "lateral": "lateral wall",
    "inferior": "inferior wall",
    "apical": "apex",
}
REGION_ZH = {
    "septal": "室间隔",
    "anterior": "前壁",
    "lateral": "侧壁",
    "inferior": "下壁",
    "apical": "心尖部",
}
PATTERN_EN = {
    "asymmetric_septal": "Asymmetric septal hypertrophy",
    "apical": "Apical hypertrophy",
    "none": "No left ventricular hypertrophy",
}
PATTERN_ZH = {"asymmetric_septal": "室间隔非对称性肥厚", "apical": "心尖部肥厚", "none": "左室壁未见增厚"}
LGE_EN = {
    "patchy_midwall": "patchy mid-wall late gadolinium enhancement in the hypertrophied segments",
    "rv_insertion": "focal late gadolinium enhancement confined to the RV insertion points",
    "midwall_septal": "linear mid-wall septal late gadolinium enhancement",
}
LGE_ZH = {
    "patchy_midwall": "肥厚节段片状肌壁间延迟强化",
    "rv_insertion": "仅见右室插入点处局灶性延迟强化",
    "midwall_septal": "室间隔肌壁间线样延迟强化",
}
DIAGNOSIS_EN = {
    "hcm": "Hypertrophic cardiomyopathy",
    "dcm": "Dilated cardiomyopathy",
    "normal": "Normal cardiac MRI",
}
DIAGNOSIS_ZH = {"hcm": "肥厚型心肌病", "dcm": "扩张型心肌病", "normal": "心脏MRI未见明显异常"}
RECORDED_LGE_PATTERN = {"midwall_septal": "patchy_midwall"}
MEASURES = ("lv_edv_ml", "lv_esv_ml", "lv_ef_pct", "lv_mass_g")
INDICES = ("lv_edv_index_ml_m2", "lv_mass_index_g_m2")
# The terse Chinese layout leaves out the indices and the pericardium, as terse reports do.
UNSTATED = {("zh", 2): INDICES + ("pericardial_effusion",)}


def write_reference_report(ground_truth: dict, *, lang: str, style_seed: int) -> str:
    """A plausible report stating the ground truth's measures, pattern, LGE and diagnosis."""
    parts = _parts(ground_truth=ground_truth, lang=lang, style_seed=style_seed)
    layout = style_seed % 3
    if lang == "en":
        return (_english_terse, _english_narrative, _english_templated)[layout](**parts)
    if lang == "zh":
        return (_chinese_narrative, _chinese_templated, _chinese_terse)[layout](**parts)
    raise ValueError(f"unknown language {lang!r}; expected 'en' or 'zh'")


def reference_record(ground_truth: dict, *, lang: str, style_seed: int) -> dict:
    """The fields ``write_reference_report`` states for these arguments, as the extractor names them."""
    lge_present = ground_truth["lge"] == "present"
    record = {name: ground_truth[name] for name in MEASURES + INDICES}
    record.update(
        max_wall_thickness_mm=ground_truth["max_wall_thickness_mm"],
        max_wall_thickness_location=(
            ground_truth["max_wall_thickness_aha_segment"]
            if _names_segment(style_seed)
            else ground_truth["max_wall_thickness_location"]
        ),
        hypertrophy_pattern=ground_truth["hypertrophy_pattern"],
        lge=ground_truth["lge"],
        lge_pattern=RECORDED_LGE_PATTERN.get(ground_truth["lge_pattern"], ground_truth["lge_pattern"]),
        lge_extent_pct=ground_truth["lge_extent_pct"] if lge_present else None,
        pericardial_effusion="none",
        diagnosis=ground_truth["diagnosis"],
    )
    for name in UNSTATED.get((lang, style_seed % 3), ()):
        record.pop(name)
    return record


def _names_segment(style_seed: int) -> bool:
    return (style_seed // 6) % 2 == 1


def _number(value: float) -> str:
    return f"{value:g}"


def _parts(*, ground_truth: dict, lang: str, style_seed: int) -> dict:
    """The phrases every layout of ``lang`` assembles."""
    english = lang == "en"
    thickness_mm = ground_truth["max_wall_thickness_mm"]
    in_cm = (style_seed // 3) % 2 == 1
    thickness = f"{_number(round(thickness_mm / 10, 2))} cm" if in_cm else f"{_number(thickness_mm)} mm"
    region = ground_truth["max_wall_thickness_location"]
    segment = ground_truth["max_wall_thickness_aha_segment"]
    if english:
        location = REGION_EN[region] + (f" (AHA segment {segment})" if _names_segment(style_seed) else "")
    else:
        location = REGION_ZH[region] + (f"(第{segment}段)" if _names_segment(style_seed) else "")
    lge_pattern = ground_truth["lge_pattern"]
    extent = _number(ground_truth["lge_extent_pct"])
    if ground_truth["lge"] != "present":
        lge = "No late gadolinium enhancement" if english else "未见延迟强化"
    elif english:
        lge = f"{LGE_EN[lge_pattern]}, approximately {extent}% of LV mass"
        lge = lge[0].upper() + lge[1:]
    else:
        lge = f"{LGE_ZH[lge_pattern]},约占左室心肌质量的{extent}%"
    diagnosis = (DIAGNOSIS_EN if english else DIAGNOSIS_ZH)[ground_truth["diagnosis"]]
    if ground_truth["hypertrophy_pattern"] == "apical" and ground_truth["diagnosis"] == "hcm":
        diagnosis = "Apical hypertrophic cardiomyopathy" if english else "心尖肥厚型心肌病"
    values = {name: _number(ground_truth[name]) for name in MEASURES + INDICES}
    return {
        **values,
        "thickness": thickness,
        "location": location,
        "pattern": (PATTERN_EN if english else PATTERN_ZH)[ground_truth["hypertrophy_pattern"]],
        "lge": lge,
        "diagnosis": diagnosis,
    }


def _english_terse(**p: str) -> str:
    return (
        f"LVEDV {p['lv_edv_ml']} ml ({p['lv_edv_index_ml_m2']} ml/m2), LVESV {p['lv_esv_ml']} ml, "
        f"LVEF {p['lv_ef_pct']}%, LV mass {p['lv_mass_g']} g ({p['lv_mass_index_g_m2']} g/m2). "
        f"{p['pattern']}. Maximal wall thickness {p['thickness']} in the {p['location']}. {p['lge']}. "
        f"No pericardial effusion. Impression: {p['diagnosis']}."
    )


def _english_narrative(**p: str) -> str:
    return (
        "Findings: The left ventricle has an end-diastolic volume of "
        f"{p['lv_edv_ml']} mL (indexed {p['lv_edv_index_ml_m2']} mL/m2) and an end-systolic volume of "
        f"{p['lv_esv_ml']} mL, with an ejection fraction of {p['lv_ef_pct']}%. Myocardial mass is "
        f"{p['lv_mass_g']} g ({p['lv_mass_index_g_m2']} g/m2). {p['pattern']} is noted; the thickest wall is the "
        f"{p['location']}, measuring {p['thickness']}. {p['lge']}. There is no pericardial effusion.\n"
        f"Conclusion: {p['diagnosis']}."
    )


def _english_templated(**p: str) -> str:
    pattern = p["pattern"].lower() if not p["pattern"].startswith("No ") else "none"
    return (
        "LEFT VENTRICLE\n"
        f"LVEDV: {p['lv_edv_ml']} ml\nLVEDV index: {p['lv_edv_index_ml_m2']} ml/m2\n"
        f"LVESV: {p['lv_esv_ml']} ml\nLVEF: {p['lv_ef_pct']} %\n"
        f"LV mass: {p['lv_mass_g']} g\nLV mass index: {p['lv_mass_index_g_m2']} g/m2\n"
        f"Maximal wall thickness: {p['thickness']}, {p['location']}\n"
        f"Hypertrophy pattern: {pattern}\n"
        f"LGE: {p['lge']}\nPericardium: no effusion\n"
        f"CONCLUSION: {p['diagnosis']}"
    )


def _chinese_narrative(**p: str) -> str:
    return (
        f"检查所见:左室舒张末期容积约{p['lv_edv_ml']}ml(指数{p['lv_edv_index_ml_m2']}ml/m²),"
        f"收缩末期容积约{p['lv_esv_ml']}ml,左室射血分数约{p['lv_ef_pct']}%,"
        f"左室心肌质量约{p['lv_mass_g']}g(质量指数{p['lv_mass_index_g_m2']}g/m²)。"
        f"{p['pattern']},最厚处位于{p['location']},约{p['thickness'].replace(' ', '')}。"
        f"{p['lge']}。心包未见积液。\n诊断意见:{p['diagnosis']}。"
    )


def _chinese_templated(**p: str) -> str:
    return (
        f"【左心室】\nLVEDV:{p['lv_edv_ml']} ml\nLVEDVi:{p['lv_edv_index_ml_m2']} ml/m²\n"
        f"LVESV:{p['lv_esv_ml']} ml\nLVEF:{p['lv_ef_pct']} %\n"
        f"左室质量:{p['lv_mass_g']} g\n左室质量指数:{p['lv_mass_index_g_m2']} g/m²\n"
        f"最大室壁厚度:{p['thickness']},位于{p['location']}\n"
        f"肥厚方式:{p['pattern']}\n"
        f"【延迟强化】{p['lge']}\n【心包】未见积液\n【结论】{p['diagnosis']}"
    )


def _chinese_terse(**p: str) -> str:
    return (
        f"LVEDV {p['lv_edv_ml']}ml,LVESV {p['lv_esv_ml']}ml,EF {p['lv_ef_pct']}%,LVM {p['lv_mass_g']}g。"
        f"{p['pattern']},{p['location']}最厚约{p['thickness'].replace(' ', '')}。{p['lge']}。"
        f"结论:{p['diagnosis']}。"
    )
