"""A PACS that fails part-way through a pull: the failing study is rejected, the rest imported."""

import itertools

import pydicom
import pytest
from pydicom.uid import generate_uid

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Instance
from cmr_reader.imaging.pacs_import import (
    CONSECUTIVE_FAILURES_BEFORE_GIVING_UP,
    connect_pacs,
    find_studies,
    iter_pacs_sources,
)
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer

pytestmark = [pytest.mark.orthanc, pytest.mark.django_db]

SECOND_STUDY_SIZE = 3


@pytest.fixture(scope="module")
def two_studies(orthanc, tmp_path_factory, real_cine_dir_for_module):
    """The real series as study one, and three of its files re-identified as study two."""
    real_files = sorted(real_cine_dir_for_module.glob("*.dcm"))
    copies = tmp_path_factory.mktemp("second-study")
    study_uid, series_uid = generate_uid(), generate_uid()
    for index, path in enumerate(real_files[:SECOND_STUDY_SIZE]):
        ds = pydicom.dcmread(path)
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.save_as(copies / f"copy-{index}.dcm")
    orthanc.upload(real_files + sorted(copies.glob("*.dcm")))
    first_uid = str(pydicom.dcmread(real_files[0], stop_before_pixels=True).StudyInstanceUID)
    return {"first": first_uid, "first_size": len(real_files), "second": study_uid}


@pytest.fixture(scope="module")
def real_cine_dir_for_module():
    from tests.conftest import SHARED_REAL_CINE

    if not SHARED_REAL_CINE.is_dir():
        pytest.skip(f"real CMR cine not available at {SHARED_REAL_CINE} (../shared/data is absent)")
    return SHARED_REAL_CINE


def test_a_study_that_vanishes_mid_pull_is_rejected_and_the_next_study_still_imports(
    orthanc, two_studies, private_storage
):
    pacs = connect_pacs(url=orthanc.dicomweb_url, username=orthanc.username, password=orthanc.password)
    plan = find_studies(pacs=pacs, study_uids=[two_studies["first"], two_studies["second"]])
    sources = iter_pacs_sources(pacs=pacs, plan=plan)
    first = next(sources)  # study one's instances are listed now ...
    orthanc.delete_study(two_studies["first"])  # ... and are gone before any is retrieved

    summary = import_sources(
        itertools.chain([first], sources), pseudonymizer=site_pseudonymizer(), storage_root=private_storage
    )

    failed_one_by_one = CONSECUTIVE_FAILURES_BEFORE_GIVING_UP
    rejected_names = [r.file.split(" ", 1)[1] for r in summary.rejected]  # drop the "#n" position
    assert rejected_names[:failed_one_by_one] == [
        f"pacs study 1, series 1, instance {n}" for n in range(1, failed_one_by_one + 1)
    ]
    assert rejected_names[failed_one_by_one:] == [
        f"pacs study 1, {two_studies['first_size'] - failed_one_by_one} remaining instances"
    ]
    assert all("HTTP 404" in r.reason for r in summary.rejected)
    assert summary.instances_imported == SECOND_STUDY_SIZE == Instance.objects.count()
    assert len(summary.case_ids) == 1
