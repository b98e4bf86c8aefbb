"""manage.py mrmc and plan_study, as a statistician runs them on a CSV."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

DATA = Path(__file__).parent / "mrmc_data"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_mrmc_prints_the_published_van_dyke_result():
    text = run("mrmc", "--input", str(DATA / "van_dyke_1993.csv"))
    assert "F(1, 15.26) = 4.4563, p = 0.0517" in text
    assert "1 - 2 = -0.04380, SE 0.02075, df 15.26, p 0.0517, 95% CI [-0.08796, 0.00036]" in text


def test_mrmc_json_has_every_analysis():
    result = json.loads(run("mrmc", "--input", str(DATA / "franken_1992.csv"), "--json"))
    assert result["random_readers_random_cases"]["global_test"]["df2"] == pytest.approx(3.0)
    assert result["fixed_readers_random_cases"]["global_test"]["distribution"] == "chi-square"
    assert "matrix" not in result["covariances"]


def test_mrmc_mean_score_needs_no_truth(tmp_path):
    source = tmp_path / "likert.csv"
    rows = ["reader,modality,case,score"] + [
        f"{reader},{arm},{case},{1 + (case * (2 + reader) + (arm == 'ai')) % 5}"
        for reader in (1, 2, 3)
        for arm in ("ai", "reference")
        for case in range(15)
    ]
    source.write_text("\n".join(rows) + "\n")
    assert "ai - reference" in run("mrmc", "--input", str(source), "--fom", "mean")


def test_mrmc_names_the_line_of_a_bad_row(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("reader,modality,case,truth,score\n1,1,1,0,3\n1,1,2,1,\n")
    with pytest.raises(CommandError, match="line 3: score '' is not a number"):
        run("mrmc", "--input", str(source))


def test_plan_study_lists_cases_per_reader_count():
    text = run(
        "plan_study",
        "--input",
        str(DATA / "franken_1992.csv"),
        "--fom",
        "auc",
        "--effect",
        "0.05",
        "--readers",
        "6",
    )
    assert "6 readers: 121 cases (power 0.800" in text


def test_plan_study_refuses_one_reader():
    with pytest.raises(CommandError, match="two readers or more"):
        run("plan_study", "--input", str(DATA / "franken_1992.csv"), "--margin", "0.05", "--readers", "1")
