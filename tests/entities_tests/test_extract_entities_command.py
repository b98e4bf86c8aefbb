import io
import json

import pytest
from django.core.management import CommandError, call_command


def run(*args) -> dict:
    out = io.StringIO()
    call_command("extract_entities", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_record_of_an_english_report_as_json():
    record = run("--text", "Asymmetric septal hypertrophy, max 2.2 cm. LVEF 68%. No LGE. Impression: HCM.")

    assert record["max_wall_thickness_mm"] == 22
    assert record["lv_ef_pct"] == 68
    assert record["lge"] == "absent"
    assert record["diagnosis"] == "hcm"


def test_it_reads_a_chinese_report_from_a_file(tmp_path):
    report = tmp_path / "report.txt"
    report.write_text(
        "左室射血分数约55%。室间隔最厚处约22mm。未见延迟强化。考虑肥厚型心肌病（非梗阻性）。",
        encoding="utf-8",
    )

    record = run("--file", str(report))

    assert (record["lv_ef_pct"], record["max_wall_thickness_mm"], record["lge"]) == (55, 22, "absent")
    assert (record["diagnosis"], record["hcm_obstruction"]) == ("hcm", "non_obstructive")


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("extract_entities", "--file", str(tmp_path / "missing.txt"))
