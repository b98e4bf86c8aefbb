"""Negation and uncertainty are respected, each within its own clause."""

from cmr_reader.domain.entities import extract_entities


def test_english_negations_make_findings_absent():
    assert extract_entities("No LGE.")["lge"] == "absent"
    assert extract_entities("Without evidence of late gadolinium enhancement.")["lge"] == "absent"
    assert extract_entities("No SAM.")["sam"] == "absent"
    assert extract_entities("Apical aneurysm: none.")["apical_aneurysm"] == "absent"
    assert extract_entities("LGE not seen.")["lge"] == "absent"


def test_chinese_negations_make_findings_absent():
    assert extract_entities("未见延迟强化。")["lge"] == "absent"
    assert extract_entities("无SAM。")["sam"] == "absent"
    assert extract_entities("左室流出道未见梗阻。")["lvot_obstruction"] == "absent"
    assert extract_entities("延迟强化：无。")["lge"] == "absent"
    assert extract_entities("SAM（-）。")["sam"] == "absent"


def test_uncertainty_is_its_own_value():
    assert extract_entities("Possible mild SAM.")["sam"] == "uncertain"
    assert extract_entities("A small apical aneurysm cannot be excluded.")["apical_aneurysm"] == "uncertain"
    assert extract_entities("右室插入点可疑延迟强化。")["lge"] == "uncertain"
    assert extract_entities("心尖室壁瘤不除外。")["apical_aneurysm"] == "uncertain"


def test_cannot_be_excluded_is_not_a_negation():
    assert extract_entities("LGE at the insertion points cannot be excluded.")["lge"] == "uncertain"


def test_most_likely_affirms_rather_than_hedges():
    assert extract_entities("结论：急性心肌炎可能性大。")["diagnosis"] == "myocarditis"


def test_hedged_diagnosis_is_not_a_diagnosis():
    assert extract_entities("Impression: HCM is possible.")["diagnosis"] is None
    assert extract_entities("意见：肥厚型心肌病不除外。")["diagnosis"] is None


def test_negation_stops_at_the_clause_boundary():
    record = extract_entities("No pericardial effusion, but there is patchy mid-wall LGE in the septum.")
    assert (record["pericardial_effusion"], record["lge"]) == ("none", "present")
    record = extract_entities("未见心包积液，室间隔片状延迟强化。")
    assert (record["pericardial_effusion"], record["lge"]) == ("none", "present")


def test_negation_after_a_finding_does_not_reach_back():
    record = extract_entities("Patchy LGE without pericardial effusion.")
    assert (record["lge"], record["pericardial_effusion"]) == ("present", "none")


def test_one_negation_covers_a_list():
    record = extract_entities("No SAM, LVOT obstruction or apical aneurysm.")
    assert (record["sam"], record["lvot_obstruction"], record["apical_aneurysm"]) == ("absent",) * 3
    record = extract_entities("未见SAM征、左室流出道梗阻及心尖室壁瘤。")
    assert (record["sam"], record["lvot_obstruction"], record["apical_aneurysm"]) == ("absent",) * 3


def test_an_affirmed_mention_outweighs_a_negated_one():
    assert extract_entities("No LGE in the lateral wall. Patchy LGE in the septum.")["lge"] == "present"


def test_negated_diagnosis_is_not_the_diagnosis():
    record = extract_entities(
        "Impression: No evidence of hypertrophic cardiomyopathy. Structurally normal heart."
    )
    assert record["diagnosis"] == "normal"


def test_measured_gradient_alone_is_not_an_obstruction_statement():
    assert extract_entities("LVOT peak gradient 12 mmHg at rest.")["lvot_obstruction"] is None
    assert extract_entities("No significant LVOT gradient.")["lvot_obstruction"] == "absent"


def test_negation_stops_where_and_opens_a_new_affirmed_phrase():
    record = extract_entities("Normal LV size, no LGE and a small pericardial effusion.")
    assert (record["lge"], record["pericardial_effusion"]) == ("absent", "small")
    assert extract_entities("No SAM and LVOT obstruction.")["lvot_obstruction"] == "absent"
