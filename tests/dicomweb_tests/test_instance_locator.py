"""The frame endpoint's lookup: compiled SQL for unrestricted staff, the ORM for a narrower scope."""

from cmr_reader.imaging import dicomweb_access
from cmr_reader.imaging.instance_locator import locate_instance
from cmr_reader.imaging.models import Case, Instance


def uids_of(instance: Instance) -> dict:
    return {
        "study": instance.series.case.study_instance_uid,
        "series": instance.series.series_instance_uid,
        "instance": instance.sop_instance_uid,
    }


def test_staff_locate_an_instance_only_under_its_own_study_and_series(archive, coordinator):
    found = locate_instance(user=coordinator, **uids_of(archive.multiframe))
    assert found.file_path == archive.multiframe.file_path
    assert (found.pixel_data_offset, found.frame_length, found.number_of_frames) == (
        archive.multiframe.pixel_data_offset,
        480 * 2,
        5,
    )
    wrong_series = {**uids_of(archive.multiframe), "series": archive.lge.series_instance_uid}
    assert locate_instance(user=coordinator, **wrong_series) is None


def test_a_restricted_scope_finds_its_cases_and_nothing_else(archive, reader, monkeypatch):
    # What the reading app will do: readers see the cases assigned to them.
    monkeypatch.setattr(dicomweb_access, "visible_cases", lambda user: Case.objects.filter(pk=archive.hcm.pk))
    assert (
        locate_instance(user=reader, **uids_of(archive.multiframe)).file_path == archive.multiframe.file_path
    )
    other_instance = archive.other_series.instances.get()
    assert locate_instance(user=reader, **uids_of(other_instance)) is None


def test_readers_locate_nothing_today(archive, reader):
    assert locate_instance(user=reader, **uids_of(archive.multiframe)) is None
