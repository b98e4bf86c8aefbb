"""Concurrent imports and failing imports lose nothing and say what happened."""

import pytest

from cmr_reader.imaging import ingest
from cmr_reader.imaging.import_jobs import create_paths_job, run_import_job
from cmr_reader.imaging.models import ImportJob, Instance, Series
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.series_kind import SeriesKind
from cmr_reader.imaging.sources import iter_path_sources

pytestmark = pytest.mark.django_db


def import_folder(folder, root, settings):
    return ingest.import_sources(
        iter_path_sources(sorted(folder.glob("*.dcm"))),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=root,
    )


def test_rows_another_import_inserted_first_are_counted_as_duplicates(
    synthetic_case_dir, private_storage, settings, monkeypatch
):
    first = import_folder(synthetic_case_dir, private_storage, settings)
    # A second import that has not seen the first one's rows (as if both ran at the same
    # time): its batched insert collides, and it must fall back to row-by-row inserts.
    monkeypatch.setattr(ingest._Indexer, "_known_uids", lambda self, series: set())

    second = import_folder(synthetic_case_dir, private_storage, settings)

    assert second.instances_imported == 0
    assert second.duplicates_skipped == first.instances_imported
    assert Instance.objects.count() == first.instances_imported


def test_a_crashing_import_marks_its_job_failed_and_keeps_what_it_stored(
    synthetic_case_dir, private_storage, monkeypatch
):
    job = create_paths_job(paths=[synthetic_case_dir])
    real_classify = ingest.reclassify_series

    def broken_classifier(series, **kwargs):
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(ingest, "reclassify_series", broken_classifier)

    with pytest.raises(RuntimeError):
        run_import_job(job=job)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "classifier exploded" in job.error
    assert job.finished_at is not None
    stored = Instance.objects.count()
    assert stored == len(list(synthetic_case_dir.glob("*.dcm")))

    monkeypatch.setattr(ingest, "reclassify_series", real_classify)
    again = run_import_job(job=create_paths_job(paths=[synthetic_case_dir]))
    assert (again.instances_imported, again.duplicates_skipped) == (0, stored)
    kinds = set(Series.objects.values_list("kind", flat=True))
    assert SeriesKind.UNKNOWN not in kinds, "the rerun classified what the crash left unclassified"


def test_an_import_job_is_claimed_once(coordinator):
    from cmr_reader.imaging.import_jobs import claim_import_job

    job = ImportJob.objects.create(source=ImportJob.Source.UPLOAD, created_by=coordinator)

    first = claim_import_job(job_id=job.pk)
    second = claim_import_job(job_id=job.pk)

    assert first is not None and first.state == ImportJob.State.RUNNING
    assert second is None
