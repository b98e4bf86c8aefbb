"""Reports are read in their own language, detected from the text when not given."""

import pytest

from cmr_reader.domain.entities import extract_entities
from cmr_reader.domain.entities.language import detect_language, resolve_language


def test_any_cjk_ideograph_makes_a_report_chinese():
    assert detect_language("LVEF 55%，未见延迟强化") == "zh"
    assert detect_language("LVEF 55%, no LGE") == "en"


def test_explicit_language_overrides_detection():
    assert resolve_language(text="LVEF 55%", lang="zh") == "zh"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        resolve_language(text="LVEF 55%", lang="fr")


def test_chinese_reports_read_embedded_english_abbreviations():
    record = extract_entities("可见SAM征，LGE（+），LVEF 62%。")
    assert (record["sam"], record["lge"], record["lv_ef_pct"]) == ("present", "present", 62.0)


def test_english_patterns_see_abbreviations_that_touch_chinese_characters():
    # Python counts ideographs as word characters; without ASCII boundaries "无SAM" would not match.
    assert extract_entities("无SAM。LGE未见。")["sam"] == "absent"
    assert extract_entities("无SAM。LGE未见。")["lge"] == "absent"


def test_a_stray_chinese_name_does_not_make_an_english_report_chinese():
    from cmr_reader.domain.entities.language import detect_language

    english = "Referred by Dr 王. Asymmetric septal hypertrophy, maximal thickness 22 mm; LVEF 68%."
    chinese = "LVEF 68%，室间隔非对称性肥厚，最厚处约22mm，考虑肥厚型心肌病。"

    assert detect_language(english) == "en"
    assert detect_language(chinese) == "zh"
