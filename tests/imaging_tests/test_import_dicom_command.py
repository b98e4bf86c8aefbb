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
    assert [r["file"].rsplit("/", 1)[-1] for r in summary["rejected"]] == ["README.md"]
    assert "not a DICOM file" in summary["rejected"][0]["reason"]
    assert Instance.objects.count() == 25
    assert ImportJob.objects.get().state == ImportJob.State.DONE


def test_reimporting_the_same_files_creates_no_duplicates(real_cine_dir):
    import_json(real_cine_dir)
    again = import_json(real_cine_dir)

    assert again["instances_imported"] == 0
    assert again["duplicates_skipped"] == 25
    assert (Case.objects.count(), Series.objects.count(), Instance.objects.count()) == (1, 1, 25)


def test_it_imports_a_zip_archive_and_a_single_file(real_cine_dir, tmp_path):
    files = sorted(real_cine_dir.glob("*.dcm"))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in files[1:]:
            zf.write(path, f"DICOM/{path.name}")

    from_zip = import_json(archive)
    single = import_json(files[0])

    assert from_zip["instances_imported"] == 24
    assert single["instances_imported"] == 1
    assert Series.objects.count() == 1


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


def test_a_killed_import_can_simply_be_run_again(real_cine_dir, private_storage, settings):
    pseudonymizer = Pseudonymizer(settings.PSEUDONYM_KEY)

    def die_after_ten(summary):
        if summary.processed_files == 10:
            raise KeyboardInterrupt  # what a worker killed mid-import looks like to the code

    with pytest.raises(KeyboardInterrupt):
        import_sources(
            iter_path_sources([real_cine_dir]),
            pseudonymizer=pseudonymizer,
            storage_root=private_storage,
            on_progress=die_after_ten,
        )
    assert Instance.objects.count() == 10

    summary = import_json(real_cine_dir)

    assert summary["duplicates_skipped"] == 10
    assert summary["instances_imported"] == 15
    assert Instance.objects.count() == 25
    stored = sorted(p for p in private_storage.rglob("*") if p.is_file())
    assert len(stored) == 25, "no stray temporary files after a rerun"


def test_a_missing_path_is_a_clear_error():
    with pytest.raises(CommandError, match="No such file or folder"):
        call_command("import_dicom", "/nonexistent/folder")


@pytest.mark.parametrize("workers", [1, 3])
def test_a_zip_archive_imports_fully_with_and_without_worker_processes(workers, real_cine_dir, tmp_path, private_storage, settings):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(real_cine_dir.glob("*.dcm")):  # 25 files: not a multiple of the chunk size
            zf.write(path, path.name)

    summary = import_sources(
        iter_path_sources([archive, real_cine_dir / "README.md"]),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
        workers=workers,
    )

    assert summary.instances_imported == 25
    assert [r.file.rsplit("/", 1)[-1] for r in summary.rejected] == ["README.md"]
    assert Instance.objects.count() == 25
