"""The fine-tuning split: by patient, keyed, and never a reader-study case or any exam of its patient.

Property tests over random case lists (the pure splitter) and random small databases (the export
the management command writes), then the manifests' own checks."""

import json
from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmr_reader.domain.training_manifests import (
    ManifestError,
    ManifestRow,
    read_manifests,
    write_manifests,
)
from cmr_reader.domain.training_split import (
    SEEN_SPLITS,
    CaseFacts,
    SplitFractions,
    patient_hash,
    plan_splits,
    split_for_patient,
)
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies.models import ReaderStudy, StudyCase
from cmr_reader.studies.training_export import export_training_pairs

KEY = b"k" * 32
FRACTIONS = SplitFractions(validation=0.2, test=0.2)

# A patient: (exams, which of them are in a reader study, which have a reference report, which files)
exams = st.tuples(st.booleans(), st.booleans(), st.booleans())  # in study, has report, has files
patients = st.lists(st.lists(exams, min_size=1, max_size=3), min_size=1, max_size=8)


def facts_of(drawn) -> list[CaseFacts]:
    return [
        CaseFacts(case_id=f"CMR-{p}-{e}", patient_pseudonym=f"P-{p}", in_reader_study=in_study)
        for p, patient in enumerate(drawn)
        for e, (in_study, _report, _files) in enumerate(patient)
    ]


@settings(max_examples=300, deadline=None)
@given(drawn=patients, key=st.binary(min_size=16, max_size=40))
def test_the_splitter_never_trains_on_a_study_case_or_its_patients_other_exams(drawn, key):
    facts = facts_of(drawn)
    plan = plan_splits(facts, key=key, fractions=FRACTIONS)
    study_patients = {f.patient_pseudonym for f in facts if f.in_reader_study}
    for fact in facts:
        if fact.patient_pseudonym in study_patients:
            assert fact.case_id not in plan.splits and fact.case_id in plan.reserved_case_ids
        else:
            assert plan.splits[fact.case_id] in ("train", "validation", "test")
    # every exam of one patient is in one split
    by_patient: dict[str, set[str]] = {}
    for fact in facts:
        if fact.case_id in plan.splits:
            by_patient.setdefault(fact.patient_pseudonym, set()).add(plan.splits[fact.case_id])
    assert all(len(splits) == 1 for splits in by_patient.values())
    assert plan.reserved_patient_hashes == {patient_hash(p) for p in study_patients}


def test_the_split_follows_the_fractions_and_the_key():
    pseudonyms = [f"P-{n:05d}" for n in range(4000)]
    splits = [split_for_patient(p, key=KEY, fractions=FRACTIONS) for p in pseudonyms]
    shares = {name: splits.count(name) / len(splits) for name in ("train", "validation", "test")}
    assert shares["test"] == pytest.approx(0.2, abs=0.03) and shares["validation"] == pytest.approx(
        0.2, abs=0.03
    )
    other_key = [split_for_patient(p, key=b"x" * 32, fractions=FRACTIONS) for p in pseudonyms]
    assert other_key != splits  # the key decides, not the pseudonym alone
    # a patient keeps its split as the archive grows: the split of one depends on no other
    assert [split_for_patient(p, key=KEY, fractions=FRACTIONS) for p in pseudonyms[:50]] == splits[:50]


def test_a_short_key_or_impossible_fractions_are_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        plan_splits([], key=b"short", fractions=FRACTIONS)
    with pytest.raises(ValueError, match="leave a share"):
        SplitFractions(validation=0.5, test=0.5)


def _store(drawn) -> set[str]:
    """The drawn cases as rows; returns the reader-study case ids."""
    run = GenerationRun.objects.create(model_name="m")
    study = ReaderStudy.objects.create(name="S")
    in_study = set()
    for p, patient in enumerate(drawn):
        for e, (study_case, has_report, has_files) in enumerate(patient):
            case = Case.objects.create(
                case_id=f"CMR-{p}-{e}",
                patient_pseudonym=f"P-{p}",
                study_instance_uid=f"2.25.{p}{e}1",
                study_date=date(2024, 1, 1),
            )
            if has_files or study_case:
                series = Series.objects.create(
                    case=case, series_instance_uid=f"2.25.{p}{e}2", kind="cine_sax"
                )
                Instance.objects.create(
                    series=series,
                    sop_instance_uid=f"2.25.{p}{e}3",
                    sop_class_uid="1.2.840.10008.5.1.4.1.1.4",
                    file_path=f"{case.case_id}/1.dcm",
                    file_size=1,
                    transfer_syntax_uid="1.2.840.10008.1.2.1",
                    rows=8,
                    columns=8,
                    pixel_data_offset=0,
                    frame_length=64,
                )
            if has_report or study_case:
                reference = Report.objects.create(
                    case=case, source="reference", language="en", text=f"Report {p} {e}."
                )
            if study_case:
                ai = Report.objects.create(
                    case=case, source="ai", language="en", text="AI.", generation_run=run
                )
                StudyCase.objects.create(study=study, case=case, reference_report=reference, ai_report=ai)
                in_study.add(case.case_id)
    return in_study


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=patients)
def test_the_export_of_a_random_database_holds_no_study_case_nor_its_patients_exams(drawn):
    with transaction.atomic():
        in_study = _store(drawn)
        export = export_training_pairs(key=KEY, fractions=FRACTIONS)
        study_patients = {case_id.split("-")[1] for case_id in in_study}
        for row in export.rows:
            assert row.case_id not in in_study
            assert row.case_id.split("-")[1] not in study_patients
            assert row.files == (f"{row.case_id}/1.dcm",) and row.series_kinds == {
                f"2.25.{row.case_id[4:].replace('-', '')}2": "cine_sax"
            }
        # everything else that has a report and files is written, once
        expected = {
            f"CMR-{p}-{e}"
            for p, patient in enumerate(drawn)
            for e, (study_case, has_report, has_files) in enumerate(patient)
            if str(p) not in study_patients and has_report and has_files
        }
        assert sorted(row.case_id for row in export.rows) == sorted(expected)
        transaction.set_rollback(True)


def _row(case_id: str, patient: str, split: str) -> ManifestRow:
    return ManifestRow(
        case_id=case_id,
        patient_hash=patient_hash(patient),
        split=split,
        language="en",
        reference_report="Normal cardiac MRI.",
        files=(f"{case_id}/1.dcm",),
    )


def test_manifests_are_written_whole_and_read_back_checked(tmp_path):
    rows = [_row("CMR-1", "P-1", "train"), _row("CMR-2", "P-2", "validation"), _row("CMR-3", "P-3", "test")]
    summary = write_manifests(tmp_path / "m", rows=rows, summary={"dicom_root": "/data", "reserved": {}})
    assert {name: info["rows"] for name, info in summary["manifests"].items()} == {
        "train": 1,
        "validation": 1,
        "test": 1,
    }
    manifests = read_manifests(tmp_path / "m")
    assert [row.case_id for row in manifests.rows["train"]] == ["CMR-1"]
    assert set(manifests.hashes()) == {"train", "validation", "test", "summary.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no staging folder left behind

    with pytest.raises(ManifestError, match="not empty"):
        write_manifests(tmp_path / "m", rows=rows, summary={"dicom_root": "/data"})
    train = tmp_path / "m" / "train.jsonl"
    train.write_text(train.read_text().replace("Normal", "Abnormal"))
    with pytest.raises(ManifestError, match="changed since it was written"):
        read_manifests(tmp_path / "m")


def test_manifests_overlapping_a_study_or_splitting_a_patient_are_refused(tmp_path):
    reserved = {"case_ids": ["CMR-9"], "patient_hashes": [patient_hash("P-9")]}
    with pytest.raises(ManifestError, match="CMR-8 .* patient with a case in a reader study"):
        write_manifests(
            tmp_path / "a",
            rows=[_row("CMR-8", "P-9", "train")],
            summary={"dicom_root": "/", "reserved": reserved},
        )
    with pytest.raises(ManifestError, match="both train and test"):
        write_manifests(
            tmp_path / "b", rows=[_row("CMR-1", "P-1", "train"), _row("CMR-2", "P-1", "test")], summary={}
        )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    # a reserved list edited into an existing summary is caught when the manifests are read
    write_manifests(tmp_path / "c", rows=[_row("CMR-8", "P-8", "train")], summary={"dicom_root": "/"})
    summary_path = tmp_path / "c" / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["reserved"] = {"case_ids": ["CMR-8"], "patient_hashes": []}
    summary_path.write_text(json.dumps(summary))
    with pytest.raises(ManifestError, match="CMR-8 .* reserved"):
        read_manifests(tmp_path / "c")
    assert SEEN_SPLITS == ("train", "validation")
