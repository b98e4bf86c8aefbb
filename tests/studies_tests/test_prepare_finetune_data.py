"""manage.py prepare_finetune_data: manifests from the site's database, reader studies kept out."""

import json

import pytest
from django.core.management import CommandError, call_command

from cmr_reader.domain.training_manifests import read_manifests
from cmr_reader.domain.training_split import patient_hash
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies.models import ReaderStudy, StudyCase

pytestmark = pytest.mark.django_db


def add_case(n: int, *, patient: str, language: str = "en") -> Case:
    case = Case.objects.create(
        case_id=f"CMR-F{n:04d}", patient_pseudonym=patient, study_instance_uid=f"2.25.7{n}"
    )
    series = Series.objects.create(case=case, series_instance_uid=f"2.25.8{n}", kind="cine_sax")
    for number in (2, 1):
        Instance.objects.create(
            series=series,
            sop_instance_uid=f"2.25.9{n}{number}",
            sop_class_uid="1.2.840.10008.5.1.4.1.1.4",
            instance_number=number,
            file_path=f"{case.case_id}/{number}.dcm",
            file_size=1,
            transfer_syntax_uid="1.2.840.10008.1.2.1",
            rows=8,
            columns=8,
            pixel_data_offset=0,
            frame_length=64,
        )
    Report.objects.create(case=case, source="reference", language=language, text=f"  Findings {n}.  ")
    return case


def put_in_study(case: Case, study: ReaderStudy) -> None:
    run = GenerationRun.objects.get_or_create(model_name="m")[0]
    ai = Report.objects.create(case=case, source="ai", language="en", text="AI.", generation_run=run)
    StudyCase.objects.create(
        study=study, case=case, reference_report=case.reports.get(source="reference"), ai_report=ai
    )


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "split.key"
    path.write_text("0123456789abcdef0123456789abcdef\n")
    return path


def test_manifests_leave_out_study_cases_and_their_patients_other_exams(tmp_path, key_file, settings):
    settings.DICOM_STORAGE_ROOT = tmp_path / "dicom"
    study = ReaderStudy.objects.create(name="Pilot")
    in_study = add_case(1, patient="P-ALICE")
    alice_other_exam = add_case(2, patient="P-ALICE")
    free = [add_case(n, patient=f"P-{n}") for n in range(3, 23)]
    add_case(23, patient="P-ZH", language="zh")
    put_in_study(in_study, study)

    out = tmp_path / "manifests"
    call_command(
        "prepare_finetune_data",
        str(out),
        "--key-file",
        str(key_file),
        "--val",
        "0.2",
        "--test",
        "0.2",
        "--languages",
        "en",
    )

    manifests = read_manifests(out)
    written = {row.case_id: row for rows in manifests.rows.values() for row in rows}
    assert set(written) == {case.case_id for case in free}
    assert in_study.case_id not in written and alice_other_exam.case_id not in written
    assert manifests.summary["reserved"]["case_ids"] == sorted([in_study.case_id, alice_other_exam.case_id])
    assert manifests.summary["reserved"]["patient_hashes"] == [patient_hash("P-ALICE")]
    assert manifests.summary["left_out"] == {
        "reserved_for_reader_studies": 2,
        "no_reference_report": 0,
        "other_language": 1,
        "no_files": 0,
    }
    assert manifests.summary["dicom_root"] == str((tmp_path / "dicom").resolve())
    row = written[free[0].case_id]
    # the files in generation's order (instance number), the scrubbed report trimmed
    assert row.files == (f"{free[0].case_id}/1.dcm", f"{free[0].case_id}/2.dcm")
    assert row.reference_report == "Findings 3." and row.series_kinds == {"2.25.83": "cine_sax"}
    assert all(len(rows) for rows in manifests.rows.values())  # 20 patients fill every split


def test_the_same_key_gives_the_same_split_and_a_folder_is_never_overwritten(tmp_path, key_file):
    for n in range(10):
        add_case(n, patient=f"P-{n}")
    call_command("prepare_finetune_data", str(tmp_path / "a"), "--key-file", str(key_file))
    call_command("prepare_finetune_data", str(tmp_path / "b"), "--key-file", str(key_file))
    assert (tmp_path / "a" / "train.jsonl").read_bytes() == (tmp_path / "b" / "train.jsonl").read_bytes()
    before = (tmp_path / "a" / "summary.json").read_bytes()
    with pytest.raises(CommandError, match="not empty"):
        call_command("prepare_finetune_data", str(tmp_path / "a"), "--key-file", str(key_file))
    assert (tmp_path / "a" / "summary.json").read_bytes() == before


def test_a_short_key_is_refused(tmp_path):
    (tmp_path / "k").write_text("short")
    with pytest.raises(CommandError, match="16 bytes"):
        call_command("prepare_finetune_data", str(tmp_path / "out"), "--key-file", str(tmp_path / "k"))
    assert not (tmp_path / "out").exists()


def test_check_refuses_manifests_once_a_case_of_theirs_joined_a_study(tmp_path, key_file, capsys):
    for n in range(12):
        add_case(n, patient=f"P-{n}")
    out = tmp_path / "manifests"
    call_command("prepare_finetune_data", str(out), "--key-file", str(key_file), "--test", "0.3")
    call_command("prepare_finetune_data", str(out), "--check")
    assert "overlap no reader study" in capsys.readouterr().out

    manifests = read_manifests(out)
    later = ReaderStudy.objects.create(name="Later")
    # a held-out test case may join a study: the model never learns from it
    (tested,) = manifests.rows["test"][:1]
    put_in_study(Case.objects.get(case_id=tested.case_id), later)
    call_command("prepare_finetune_data", str(out), "--check")
    # a training case may not
    trained = manifests.rows["train"][0]
    put_in_study(Case.objects.get(case_id=trained.case_id), later)
    with pytest.raises(CommandError, match=f"{trained.case_id} .* reserved for the reader studies"):
        call_command("prepare_finetune_data", str(out), "--check")

    summary = json.loads((out / "summary.json").read_text())
    (out / "test.jsonl").write_text("tampered\n")
    with pytest.raises(CommandError, match="changed since it was written"):
        call_command("prepare_finetune_data", str(out), "--check")
    assert summary["format"] == "cmr-reader-finetune-manifests/1"
