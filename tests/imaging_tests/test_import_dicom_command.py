"""`manage.py import_dicom`: folders, single files and zip archives, idempotent and restartable."""

import io
import json
import zipfile

import pydicom
import pytest
from django.core.management import CommandError, call_command

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case, ImportJob, Instance, Series
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.series_kind import SeriesKind
from cmr_reader.imaging.sources import iter_path_sources

pytestmark = pytest.mark.django_db


def import_json(*paths) -> dict:
    out = io.StringIO()
    call_command("import_dicom", *[str(p) for p in paths], "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_imports_a_folder_and_reports_the_non_dicom_file(real_cine_dir):
    summary = import_json(real_cine_dir)

    assert summary["studies"] == 1
    assert summary["series"] == 1
    assert summary["instances_imported"] == 25
    assert summary["duplicates_skipped"] == 0
    assert [r["file"] for r in summary["rejected"]] == ["#26 README.md"]
    assert "not a DICOM file" in summary["rejected"][0]["reason"]
    assert Instance.objects.count() == 25
    assert ImportJob.objects.get().state == ImportJob.State.DONE


def test_it_imports_a_synthetic_study_folder(synthetic_case_dir):
    dicom_files = list(synthetic_case_dir.glob("*.dcm"))

    summary = import_json(synthetic_case_dir)

    assert (summary["studies"], summary["series"]) == (1, 5)
    assert summary["instances_imported"] == len(dicom_files)
    assert [r["file"] for r in summary["rejected"]] == [
        f"#{len(dicom_files) + 1} ….json"
    ]  # ground_truth.json


def test_reimporting_the_same_files_creates_no_duplicates(synthetic_case_dir):
    first = import_json(synthetic_case_dir)
    again = import_json(synthetic_case_dir)

    assert again["instances_imported"] == 0
    assert again["duplicates_skipped"] == first["instances_imported"]
    assert (Case.objects.count(), Series.objects.count()) == (1, 5)
    assert Instance.objects.count() == first["instances_imported"]


def test_it_imports_a_zip_archive_and_a_single_file(synthetic_case_dir, tmp_path):
    files = sorted(synthetic_case_dir.glob("*.dcm"))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in files[1:]:
            zf.write(path, f"DICOM/{path.name}")

    from_zip = import_json(archive)
    single = import_json(files[0])

    assert from_zip["instances_imported"] == len(files) - 1
    assert single["instances_imported"] == 1
    assert Instance.objects.count() == len(files)


def test_the_real_rv_long_axis_cine_is_classified_as_other_long_axis(real_cine_dir):
    import_json(real_cine_dir)

    series = Series.objects.get()
    assert series.kind == SeriesKind.CINE_LAX_OTHER
    assert series.classification_reason


def test_uids_are_mapped_consistently_across_imports(real_cine_dir, settings):
    files = sorted(real_cine_dir.glob("*.dcm"))
    import_json(*files[:10])
    import_json(*files[10:])

    pseudonymizer = Pseudonymizer(settings.PSEUDONYM_KEY)
    original = pydicom.dcmread(files[0], stop_before_pixels=True)
    case = Case.objects.get()
    assert case.study_instance_uid == pseudonymizer.uid(original.StudyInstanceUID)
    assert Series.objects.get().series_instance_uid == pseudonymizer.uid(original.SeriesInstanceUID)
    assert Instance.objects.filter(sop_instance_uid=pseudonymizer.uid(original.SOPInstanceUID)).exists()
    assert Instance.objects.count() == 25


def test_a_killed_import_can_simply_be_run_again(synthetic_case_dir, private_storage, settings):
    pseudonymizer = Pseudonymizer(settings.PSEUDONYM_KEY)

    def die_after_ten(summary):
        if summary.processed_files == 10:
            raise KeyboardInterrupt  # what a worker killed mid-import looks like to the code

    with pytest.raises(KeyboardInterrupt):
        import_sources(
            iter_path_sources(sorted(synthetic_case_dir.glob("*.dcm"))),
            pseudonymizer=pseudonymizer,
            storage_root=private_storage,
            on_progress=die_after_ten,
        )
    assert Instance.objects.count() == 10
    total = len(list(synthetic_case_dir.glob("*.dcm")))

    summary = import_json(synthetic_case_dir)

    assert summary["duplicates_skipped"] == 10
    assert summary["instances_imported"] == total - 10
    assert Instance.objects.count() == total
    stored = sorted(p for p in private_storage.rglob("*") if p.is_file())
    assert len(stored) == total, "no stray temporary files after a rerun"


def test_a_missing_path_is_a_clear_error():
    with pytest.raises(CommandError, match="No such file or folder"):
        call_command("import_dicom", "/nonexistent/folder")


@pytest.mark.parametrize("workers", [1, 3])
def test_a_zip_archive_imports_fully_with_and_without_worker_processes(
    workers, synthetic_case_dir, tmp_path, private_storage, settings
):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(synthetic_case_dir.glob("*.dcm"))[:25]:  # not a multiple of the chunk size
            zf.write(path, path.name)

    summary = import_sources(
        iter_path_sources([archive, synthetic_case_dir / "ground_truth.json"]),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
        workers=workers,
    )

    assert summary.instances_imported == 25
    assert [r.file for r in summary.rejected] == ["#26 ….json"]  # ground_truth.json, its words hidden
    assert Instance.objects.count() == 25


def test_a_folder_named_after_the_patient_leaves_no_trace_in_the_job(synthetic_case_dir, tmp_path):
    folder = tmp_path / "DOE_JOHNATHAN_19650412"
    synthetic_case_dir.rename(folder)

    import_json(folder)

    job = ImportJob.objects.get()
    kept = f"{job.label} {job.rejected} {job.summary}"
    assert "DOE" not in kept and "JOHNATHAN" not in kept and "19650412" not in kept
    assert job.state == ImportJob.State.DONE
