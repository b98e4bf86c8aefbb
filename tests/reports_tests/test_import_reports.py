import csv
import io
import json

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import Report

pytestmark = pytest.mark.django_db

HEADER = ["accession_number", "study_instance_uid", "patient_name", "language", "author", "report_text"]


@pytest.fixture
def imported_case(synthetic_case_dir):
    truth = json.loads((synthetic_case_dir / "ground_truth.json").read_text())
    call_command("import_dicom", str(synthetic_case_dir), "--json", stdout=io.StringIO())
    return Case.objects.get(), truth


def write_csv(path, rows, header=HEADER):
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_reports(path) -> dict:
    out = io.StringIO()
    call_command("import_reports", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def identifying_report(truth: dict) -> tuple[str, dict[str, str]]:
    planted = truth["planted_identifiers"]
    family, given = planted["patient_name"].split("^")
    date = planted["study_date"]
    iso_date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    text = (
        f"CARDIAC MRI REPORT\nPatient: {given} {family} ({planted['patient_name']}), "
        f"accession {truth['accession_number']}, examined {iso_date}.\n"
        "Findings: asymmetric septal hypertrophy, maximal wall thickness 22 mm in AHA segment 3.\n"
        "LVEF 55%.\n"
        "Reported by Dr Adaeze Okonkwo on " + iso_date
    )
    needles = {
        "family": family,
        "given": given,
        "accession": truth["accession_number"],
        "date": iso_date,
        "compact date": date,
        "author family": "Okonkwo",
        "author given": "Adaeze",
    }
    return text, needles


def test_a_report_is_linked_to_its_case_with_no_identifier_stored(imported_case, tmp_path):
    case, truth = imported_case
    text, needles = identifying_report(truth)
    path = write_csv(
        tmp_path / "reports.csv",
        [
            [
                truth["accession_number"],
                "",
                truth["planted_identifiers"]["patient_name"],
                "",
                "Adaeze Okonkwo",
                text,
            ],
        ],
    )

    assert import_reports(path) == {"imported": 1, "duplicates": 0, "rejected": []}

    report = Report.objects.get()
    assert report.case == case
    assert report.source == Report.Source.REFERENCE
    assert report.language == "en"
    assert report.author_pseudonym.startswith("R-") and len(report.author_pseudonym) == 10
    assert "22 mm in AHA segment 3" in report.text and "LVEF 55%" in report.text
    stored = serializers.serialize("json", Report.objects.all()).encode()
    for label, needle in needles.items():
        assert needle.encode() not in stored, label
        assert needle.lower().encode() not in stored.lower(), label


def test_a_report_links_through_the_original_study_uid_alone(imported_case, tmp_path):
    case, truth = imported_case
    path = write_csv(
        tmp_path / "reports.csv", [["", truth["study_instance_uid"], "", "", "", "左心室射血分数55%。"]]
    )

    assert import_reports(path)["imported"] == 1
    report = Report.objects.get(case=case)
    assert report.language == "zh"
    assert report.author_pseudonym == ""


def test_importing_the_same_file_again_changes_nothing(imported_case, tmp_path):
    _, truth = imported_case
    text, _needles = identifying_report(truth)
    path = write_csv(
        tmp_path / "reports.csv", [[truth["accession_number"], "", "", "en", "Adaeze Okonkwo", text]]
    )
    import_reports(path)
    before = list(Report.objects.values())

    assert import_reports(path) == {"imported": 0, "duplicates": 1, "rejected": []}
    assert list(Report.objects.values()) == before


def test_bad_rows_are_rejected_by_line_and_good_ones_imported(imported_case, tmp_path):
    case, truth = imported_case
    accession = truth["accession_number"]
    path = write_csv(
        tmp_path / "reports.csv",
        [
            ["ACC0000000000", "", "", "en", "", "Normal study."],  # line 2
            [accession, "", "", "en", "", "   "],  # line 3
            [accession, "", "", "fr", "", "Étude normale."],  # line 4
            [accession, "", "", "", "", "Normal biventricular size\nand function."],  # lines 5-6
            [accession, "", "", "en", "", "A different report."],  # line 7
            ["", "", "", "en", "", "No link."],  # line 8
        ],
    )

    summary = import_reports(path)

    assert summary["imported"] == 1
    assert summary["duplicates"] == 0
    assert [rejection["line"] for rejection in summary["rejected"]] == [2, 3, 4, 7, 8]
    reasons = [rejection["reason"] for rejection in summary["rejected"]]
    assert "no imported study matches" in reasons[0]
    assert "empty" in reasons[1]
    assert "unknown language 'fr'" in reasons[2]
    assert f"{case.case_id} already has a different reference report" in reasons[3]
    assert "neither accession_number nor study_instance_uid" in reasons[4]
    assert Report.objects.get().text == "Normal biventricular size\nand function."


def test_the_same_author_always_gets_the_same_pseudonym(imported_case, tmp_path):
    from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
    from cmr_reader.reports.report_import import author_pseudonym

    pseudonymizer = site_pseudonymizer()
    assert author_pseudonym("Adaeze  Okonkwo", pseudonymizer=pseudonymizer) == author_pseudonym(
        "adaeze okonkwo", pseudonymizer=pseudonymizer
    )
    assert author_pseudonym("Henrik Lindqvist", pseudonymizer=pseudonymizer) != author_pseudonym(
        "Adaeze Okonkwo", pseudonymizer=pseudonymizer
    )


def test_a_file_without_the_needed_columns_is_refused(tmp_path):
    path = write_csv(tmp_path / "reports.csv", [["x"]], header=["patient_name"])
    with pytest.raises(CommandError, match="report_text"):
        import_reports(path)


def test_the_plain_summary_lists_rejections_by_line(db, tmp_path):
    path = write_csv(tmp_path / "reports.csv", [["ACC1", "", "", "", "", "Normal."]])
    out = io.StringIO()
    call_command("import_reports", str(path), stdout=out)
    assert "Imported 0 reports, 0 duplicates, 1 rejected." in out.getvalue()
    assert "line 2: no imported study matches" in out.getvalue()


def test_the_stated_diagnosis_is_stored_with_the_report(imported_case, tmp_path):
    case, truth = imported_case
    path = write_csv(
        tmp_path / "reports.csv",
        [["", truth["study_instance_uid"], "", "", "", "室间隔最大厚度22毫米。诊断：肥厚型心肌病。"]],
    )

    assert import_reports(path)["imported"] == 1
    assert Report.objects.get(case=case).diagnosis == "hcm"
