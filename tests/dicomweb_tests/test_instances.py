"""WADO-RS instance retrieval: stored files as multipart/related; type="application/dicom"."""

import email.parser
import email.policy
from io import BytesIO

import pydicom
from django.conf import settings

from tests.dicomweb_tests.conftest import instance_path


def parts_of(response) -> list[bytes]:
    body = b"".join(response.streaming_content)
    raw = b"Content-Type: " + response["Content-Type"].encode() + b"\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert message.get_content_type() == "multipart/related"
    assert message.get_param("type") == "application/dicom"
    return [part.get_payload(decode=True) for part in message.iter_parts()]


def test_an_instance_round_trips_to_the_stored_dataset(archive, coordinator_client):
    response = coordinator_client.get(
        instance_path(archive.multiframe),
        HTTP_ACCEPT='multipart/related; type="application/dicom"; transfer-syntax=*',
    )
    assert response.status_code == 200
    [part] = parts_of(response)
    stored_path = settings.DICOM_STORAGE_ROOT / archive.multiframe.file_path
    assert part == stored_path.read_bytes()
    assert pydicom.dcmread(BytesIO(part)) == pydicom.dcmread(stored_path)


def test_series_and_study_retrieval_send_every_file_in_order(archive, coordinator_client):
    series_url = (
        f"/dicomweb/studies/{archive.hcm.study_instance_uid}/series/{archive.cine.series_instance_uid}"
    )
    parts = parts_of(coordinator_client.get(series_url))
    assert [pydicom.dcmread(BytesIO(p)).InstanceNumber for p in parts] == [1, 2, 3, 4]
    assert len(parts_of(coordinator_client.get(f"/dicomweb/studies/{archive.hcm.study_instance_uid}"))) == 6


def test_instances_in_a_compressed_syntax_are_not_acceptable(archive, coordinator_client):
    response = coordinator_client.get(
        instance_path(archive.multiframe),
        HTTP_ACCEPT='multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.90',
    )
    assert response.status_code == 406
