"""Numbers, ranges and units are read the way radiologists write them."""

import pytest

from cmr_reader.domain.entities import extract_entities
from cmr_reader.domain.entities.numbers import find_quantities, to_millimetres


@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("22 mm", 22.0, 22.0, "mm"),
        ("2.2cm", 2.2, 2.2, "cm"),
        ("58 %", 58.0, 58.0, "pct"),
        ("15-17 mm", 15.0, 17.0, "mm"),
        ("1.8-2.0 cm", 1.8, 2.0, "cm"),
        ("58%~62%", 58.0, 62.0, "pct"),
        ("13至15mm", 13.0, 15.0, "mm"),
        ("17 to 20 mm", 17.0, 20.0, "mm"),
        ("178mls", 178.0, 178.0, "ml"),
        ("190 cc", 190.0, 190.0, "ml"),
        ("88 ml/m2", 88.0, 88.0, "ml_m2"),
        ("101g/m2", 101.0, 101.0, "g_m2"),
        ("220 grams", 220.0, 220.0, "g"),
        ("70 percent", 70.0, 70.0, "pct"),
        ("12 mmhg", 12.0, 12.0, "other"),
    ],
)
def test_quantities_keep_their_number_range_and_unit(text, low, high, unit):
    (quantity,) = find_quantities(text)
    assert (quantity.low, quantity.high, quantity.unit) == (low, high, unit)


def test_centimetres_become_millimetres():
    assert to_millimetres(value=2.24, unit="cm") == 22.4
    assert to_millimetres(value=22.4, unit="mm") == 22.4


def test_wall_thickness_range_takes_the_upper_end():
    assert extract_entities("Septal thickness 15-17 mm.")["max_wall_thickness_mm"] == 17.0
    assert extract_entities("室间隔增厚，厚约17~19mm。")["max_wall_thickness_mm"] == 19.0


def test_other_ranges_take_the_midpoint():
    assert extract_entities("LVEF 55-60%.")["lv_ef_pct"] == 57.5
    assert extract_entities("左室射血分数约为58%~62%。")["lv_ef_pct"] == 60.0


def test_full_width_digits_and_units_are_read():
    record = extract_entities("左室射血分数（ＬＶＥＦ）约５５％，室间隔最厚处约２２ｍｍ。")
    assert record["lv_ef_pct"] == 55.0
    assert record["max_wall_thickness_mm"] == 22.0


def test_unit_spellings_mean_the_same_quantity():
    for text in ("LVEDV 180 ml", "LVEDV 180 mL", "LVEDV 180mls", "LVEDV 180 cc", "左室舒张末期容积180毫升"):
        assert extract_entities(text)["lv_edv_ml"] == 180.0, text


def test_reference_ranges_are_not_read_as_values():
    record = extract_entities("LVEF 48% (normal 55-70%). LVEDV 210 ml (ref 106-214 ml).")
    assert record["lv_ef_pct"] == 48.0
    assert record["lv_edv_ml"] == 210.0
