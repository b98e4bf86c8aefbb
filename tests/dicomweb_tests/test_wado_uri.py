"""WADO-URI (PS3.18 9): whole stored files by query parameters, for the viewer benchmark's peer."""

import pydicom
from django.conf import settings


def wado_url(instance, **overrides) -> str:
    series = instance.series
    params = {
        "requestType": "WADO",
        "studyUID": series.case.study_instance_uid,
        "seriesUID": series.series_instance_uid,
        "objectUID": instance.sop_instance_uid,
        "contentType": "application/dicom",
        **overrides,
    }
    return "/dicomweb/wado?" + "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


def test_an_instance_comes_back_as_the_stored_part10_file(archive, coordinator_client):
    instance = archive.cine_frames[1]
    response = coordinator_client.get(wado_url(instance))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom"
    body = b"".join(response.streaming_content)
    stored = settings.DICOM_STORAGE_ROOT / instance.file_path
    assert body == stored.read_bytes()
    assert pydicom.dcmread(stored).SOPInstanceUID == instance.sop_instance_uid


def test_uids_from_different_studies_find_nothing(archive, coordinator_client):
    mixed = wado_url(archive.cine_frames[0], studyUID=archive.other.study_instance_uid)
    assert coordinator_client.get(mixed).status_code == 404


def test_missing_or_wrong_parameters_are_client_errors(archive, coordinator_client):
    instance = archive.cine_frames[0]
    assert coordinator_client.get(wado_url(instance, requestType="WADOX")).status_code == 400
    assert coordinator_client.get(wado_url(instance, objectUID=None)).status_code == 400
    assert coordinator_client.get(wado_url(instance, contentType="image/jpeg")).status_code == 406


def test_readers_and_anonymous_callers_get_no_files(archive, reader_client, client):
    instance = archive.cine_frames[0]
    assert reader_client.get(wado_url(instance)).status_code == 403
    assert client.get(wado_url(instance)).status_code == 401
