import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.analysis_tests.reference_datasets import FLEISS_1971_DIAGNOSES


@pytest.fixture
def fleiss_csv(tmp_path: Path) -> Path:
    """Fleiss (1971) reshaped to long format, one row per psychiatrist's diagnosis."""
    lines = ["case_id,reader_id,criterion,arm,score"] + [
        f"patient{i},psychiatrist{j},diagnosis,ai,{int(score)}"
        for i, scores in enumerate(FLEISS_1971_DIAGNOSES)
        for j, score in enumerate(scores)
    ]
    path = tmp_path / "ratings.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_it_prints_the_agreement_table_as_json(fleiss_csv: Path):
    out = io.StringIO()

    call_command("agreement", "--input", str(fleiss_csv), stdout=out)

    table = json.loads(out.getvalue())
    (fleiss,) = [row for row in table if row["coefficient"] == "fleiss_kappa"]
    assert fleiss["estimate"] == pytest.approx(0.430, abs=5e-4)
    assert (fleiss["criterion"], fleiss["arm"], fleiss["n_subjects"]) == ("diagnosis", "ai", 30)


def test_it_writes_csv_with_a_seeded_bootstrap_to_a_file(fleiss_csv: Path, tmp_path: Path):
    output = tmp_path / "agreement.csv"

    call_command(
        "agreement",
        "--input",
        str(fleiss_csv),
        "--format",
        "csv",
        "--bootstrap",
        "100",
        "--seed",
        "4",
        "--output",
        str(output),
    )

    rows = list(csv.DictReader(output.open()))
    (fleiss,) = [row for row in rows if row["coefficient"] == "fleiss_kappa"]
    assert float(fleiss["bootstrap_ci_low"]) < float(fleiss["estimate"]) < float(fleiss["bootstrap_ci_high"])
    assert (fleiss["bootstrap_b"], fleiss["bootstrap_seed"]) == ("100", "4")


def test_a_malformed_csv_is_a_command_error_naming_the_line(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("case_id,reader_id,criterion,score\nc1,alice,accuracy,4\nc2,alice,accuracy,excellent\n")

    with pytest.raises(CommandError, match="line 3: score 'excellent' is not a number"):
        call_command("agreement", "--input", str(path), stdout=io.StringIO())


def test_a_score_off_a_narrower_declared_scale_is_rejected(fleiss_csv: Path):
    with pytest.raises(CommandError, match="line 2: score '4' is not an integer on the declared scale 1..3"):
        call_command("agreement", "--input", str(fleiss_csv), "--scale-max", "3", stdout=io.StringIO())


def test_a_missing_input_file_is_a_command_error(tmp_path: Path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("agreement", "--input", str(tmp_path / "absent.csv"))


def test_it_writes_the_same_table_as_an_xlsx_workbook(fleiss_csv: Path, tmp_path: Path):
    from openpyxl import load_workbook

    output = tmp_path / "agreement.xlsx"
    call_command("agreement", "--input", str(fleiss_csv), "--format", "xlsx", "--output", str(output))
    out = io.StringIO()
    call_command("agreement", "--input", str(fleiss_csv), stdout=out)

    header, *rows = load_workbook(output)["agreement"].iter_rows(values_only=True)
    from_json = json.loads(out.getvalue())
    assert len(rows) == len(from_json)
    fleiss = dict(
        zip(header, next(r for r in rows if r[header.index("coefficient")] == "fleiss_kappa"), strict=True)
    )
    assert fleiss["estimate"] == pytest.approx(0.430, abs=5e-4)
    with pytest.raises(CommandError, match="--output"):
        call_command("agreement", "--input", str(fleiss_csv), "--format", "xlsx")
