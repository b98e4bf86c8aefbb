"""Each field is read from Chinese reports, including the brief's own examples."""

from cmr_reader.domain.entities import extract_entities


def test_ejection_fraction_with_abbreviation_and_approximately():
    assert extract_entities("左室射血分数(LVEF)约55%")["lv_ef_pct"] == 55.0


def test_thickest_septum_with_approximately():
    record = extract_entities("室间隔最厚处约22mm")
    assert (record["max_wall_thickness_mm"], record["max_wall_thickness_location"]) == (22.0, "septal")


def test_septal_and_insertion_point_patchy_midwall_enhancement():
    record = extract_entities("LGE：室间隔与右室插入点处片状肌壁间强化")
    assert (record["lge"], record["lge_pattern"]) == ("present", "patchy_midwall")


def test_considered_non_obstructive_hcm():
    record = extract_entities("考虑肥厚型心肌病（非梗阻性）")
    assert (record["diagnosis"], record["hcm_obstruction"]) == ("hcm", "non_obstructive")


def test_volumes_mass_and_indices():
    record = extract_entities(
        "左室舒张末期容积指数 98 ml/m2，左室心肌质量指数 110 g/m2。左心室舒张末容积 190 ml，收缩末容积 75 ml，"
        "左室心肌质量 230g。右室射血分数48%。"
    )
    assert record["lv_edv_index_ml_m2"] == 98.0
    assert record["lv_mass_index_g_m2"] == 110.0
    assert record["lv_edv_ml"] == 190.0
    assert record["lv_esv_ml"] == 75.0
    assert record["lv_mass_g"] == 230.0
    assert record["rv_ef_pct"] == 48.0


def test_centimetres_in_chinese():
    assert extract_entities("室间隔肥厚为主，最厚处约2.6厘米。")["max_wall_thickness_mm"] == 26.0


def test_place_introduced_after_the_value():
    record = extract_entities("最大室壁厚度：2.0 cm，位于前间隔基底段")
    assert (record["max_wall_thickness_mm"], record["max_wall_thickness_location"]) == (20.0, "septal")


def test_segment_number_in_chinese():
    assert extract_entities("最大室壁厚度25mm（前壁，第7段）。")["max_wall_thickness_location"] == 7


def test_chinese_hypertrophy_patterns():
    assert extract_entities("室间隔非对称性肥厚。")["hypertrophy_pattern"] == "asymmetric_septal"
    assert extract_entities("心尖部肥厚，最厚约16mm。")["hypertrophy_pattern"] == "apical"
    assert extract_entities("左室壁均匀增厚。")["hypertrophy_pattern"] == "concentric"
    assert extract_entities("左室中段室壁肥厚。")["hypertrophy_pattern"] == "mid_ventricular"
    assert extract_entities("室壁厚度正常。")["hypertrophy_pattern"] == "none"


def test_chinese_effusion_grades():
    assert extract_entities("心包少量积液。")["pericardial_effusion"] == "small"
    assert extract_entities("心包中等量积液。")["pericardial_effusion"] == "moderate"
    assert extract_entities("心包大量积液。")["pericardial_effusion"] == "large"
    assert extract_entities("心包未见积液。")["pericardial_effusion"] == "none"


def test_chinese_diagnoses():
    assert extract_entities("诊断：梗阻性肥厚型心肌病。")["hcm_obstruction"] == "obstructive"
    assert extract_entities("印象：扩张型心肌病。")["diagnosis"] == "dcm"
    assert extract_entities("诊断：陈旧性前壁心肌梗死。")["diagnosis"] == "ischemic"
    assert extract_entities("结论：考虑心肌淀粉样变性可能性大。")["diagnosis"] == "amyloidosis"
    assert extract_entities("诊断意见：急性心肌炎。")["diagnosis"] == "myocarditis"
    assert extract_entities("结论：高血压性心脏病。")["diagnosis"] == "other"
    assert extract_entities("诊断意见：心脏MRI平扫+增强未见明显异常。")["diagnosis"] == "normal"


def test_clinical_diagnosis_heading_is_history_not_conclusion():
    record = extract_entities("临床诊断：肥厚型心肌病？\n诊断意见：心脏结构及功能未见明显异常。")
    assert record["diagnosis"] == "normal"


def test_lge_extent_in_chinese_and_not_transmurality():
    assert extract_entities("片状延迟强化，约占左室心肌质量的8%。")["lge_extent_pct"] == 8.0
    assert extract_entities("下壁心内膜下延迟强化，累及约50%室壁厚度。")["lge_extent_pct"] is None
