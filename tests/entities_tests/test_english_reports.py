"""Each field is read from English reports, whatever the layout."""

from cmr_reader.domain.entities import FIELDS, extract_entities


def test_terse_measurements_fill_volumes_mass_and_ejection_fraction():
    record = extract_entities(
        "LVEDV 182 ml (95 ml/m2), LVESV 61 ml, LVEF 66%, LV mass 198 g (103 g/m2). RVEF 58%."
    )
    assert record["lv_edv_ml"] == 182.0
    assert record["lv_edv_index_ml_m2"] == 95.0
    assert record["lv_esv_ml"] == 61.0
    assert record["lv_ef_pct"] == 66.0
    assert record["lv_mass_g"] == 198.0
    assert record["lv_mass_index_g_m2"] == 103.0
    assert record["rv_ef_pct"] == 58.0


def test_bare_ejection_fraction_belongs_to_the_ventricle_named_before_it():
    record = extract_entities(
        "The right ventricle is normal in size, EF 55%. The left ventricle is hyperdynamic, EF 74%."
    )
    assert (record["rv_ef_pct"], record["lv_ef_pct"]) == (55.0, 74.0)


def test_right_ventricular_volumes_are_not_left_ventricular():
    record = extract_entities("RV end-diastolic volume 160 ml. LV end-diastolic volume 140 ml.")
    assert record["lv_edv_ml"] == 140.0


def test_scar_mass_is_not_ventricular_mass():
    assert extract_entities("LGE mass 18 g, 11% of LV mass.")["lv_mass_g"] is None


def test_indexed_labels_without_units_are_indices():
    record = extract_entities("LVEDVi 82, LVMi 70 g/m2.")
    assert (record["lv_edv_index_ml_m2"], record["lv_mass_index_g_m2"]) == (82.0, 70.0)


def test_thickest_wall_and_its_place_are_read_after_the_value():
    record = extract_entities("Maximal wall thickness 2.4 cm in the basal antero-septum.")
    assert (record["max_wall_thickness_mm"], record["max_wall_thickness_location"]) == (24.0, "septal")


def test_thickest_of_several_walls_wins():
    record = extract_entities("Septal wall thickness 25 mm, posterior wall 11 mm.")
    assert (record["max_wall_thickness_mm"], record["max_wall_thickness_location"]) == (25.0, "septal")


def test_named_aha_segment_is_the_location():
    assert (
        extract_entities("Maximal wall thickness 23 mm (anterior wall, segment 7).")[
            "max_wall_thickness_location"
        ]
        == 7
    )


def test_millimetres_of_an_effusion_are_not_a_wall_thickness():
    assert (
        extract_entities("Large pericardial effusion measuring up to 25 mm.")["max_wall_thickness_mm"] is None
    )


def test_hypertrophy_patterns_are_recognised():
    assert extract_entities("Assymetric septal hypertrophy.")["hypertrophy_pattern"] == "asymmetric_septal"
    assert extract_entities("Apical variant HCM.")["hypertrophy_pattern"] == "apical"
    assert extract_entities("Concentric LVH.")["hypertrophy_pattern"] == "concentric"
    assert extract_entities("Mid-ventricular hypertrophy.")["hypertrophy_pattern"] == "mid_ventricular"
    assert extract_entities("Wall thickness is normal.")["hypertrophy_pattern"] == "none"


def test_disease_name_hypertrophic_says_nothing_about_the_walls():
    assert extract_entities("No evidence of hypertrophic cardiomyopathy.")["hypertrophy_pattern"] is None


def test_lge_patterns_follow_their_precedence():
    assert extract_entities("Patchy mid-wall LGE in the septum.")["lge_pattern"] == "patchy_midwall"
    assert extract_entities("LGE at the RV insertion points only.")["lge_pattern"] == "rv_insertion"
    assert (
        extract_entities("Patchy LGE in the septum and at the RV insertion points.")["lge_pattern"]
        == "patchy_midwall"
    )
    assert extract_entities("Diffuse subendocardial LGE.")["lge_pattern"] == "subendocardial"
    assert extract_entities("Subepicardial and transmural LGE.")["lge_pattern"] == "transmural"
    assert extract_entities("Extensive diffuse LGE.")["lge_pattern"] == "diffuse"


def test_lge_extent_is_the_percentage_of_myocardium_not_the_ejection_fraction():
    record = extract_entities("Patchy LGE, approximately 9% of LV mass, LVEF 66%.")
    assert (record["lge_extent_pct"], record["lv_ef_pct"]) == (9.0, 66.0)


def test_effusion_sizes_are_graded():
    assert extract_entities("Trivial pericardial effusion.")["pericardial_effusion"] == "small"
    assert extract_entities("Moderate pericardial effusion.")["pericardial_effusion"] == "moderate"
    assert extract_entities("Large circumferential pericardial effusion.")["pericardial_effusion"] == "large"
    assert extract_entities("Pericardium normal.")["pericardial_effusion"] == "none"
    assert extract_entities("Bilateral pleural effusions.")["pericardial_effusion"] is None


def test_diagnoses_are_named():
    cases = {
        "Impression: Obstructive HCM.": ("hcm", "obstructive"),
        "Impression: HCM (non-obstructive).": ("hcm", "non_obstructive"),
        "Impression: HOCM.": ("hcm", "obstructive"),
        "Impression: Non-ischaemic dilated cardiomyopathy.": ("dcm", None),
        "Impression: Ischaemic cardiomyopathy.": ("ischemic", None),
        "Impression: cardiac amyloidosis.": ("amyloidosis", None),
        "Impression: myopericarditis.": ("myocarditis", None),
        "Impression: Anderson-Fabry disease.": ("other", None),
        "Conclusion: Normal cardiac MRI.": ("normal", None),
    }
    for text, expected in cases.items():
        record = extract_entities(text)
        assert (record["diagnosis"], record["hcm_obstruction"]) == expected, text


def test_conclusion_beats_findings_for_the_diagnosis():
    record = extract_entities("Features could suggest amyloidosis. Impression: Hypertrophic cardiomyopathy.")
    assert record["diagnosis"] == "hcm"


def test_clinical_history_is_not_a_finding():
    record = extract_entities("Indication: family history of HCM, ?LVOT obstruction.\nFindings: LVEF 60%.")
    assert (record["diagnosis"], record["lvot_obstruction"]) == (None, None)


def test_silent_report_gives_an_empty_record():
    record = extract_entities("Study reviewed.")
    assert list(record) == list(FIELDS)
    assert all(value is None for value in record.values())
