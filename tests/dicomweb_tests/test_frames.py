"""WADO-RS frames and bulk data: the stored pixel bytes, in the multipart form viewers parse."""

import email.parser
import email.policy

import numpy as np
import pydicom
from django.conf import settings

from tests.dicomweb_tests.conftest import instance_path

OCTET_MULTIPART = 'multipart/related; type="application/octet-stream"'


def stored_frames(instance) -> np.ndarray:
    ds = pydicom.dcmread(settings.DICOM_STORAGE_ROOT / instance.file_path)
    pixels = ds.pixel_array
    return pixels.reshape((int(getattr(ds, "NumberOfFrames", 1)),) + pixels.shape[-2:])


def parse_multipart(response) -> list[tuple[str, bytes]]:
    """(Content-Type, body) of each part, by the standard library's MIME parser."""
    raw = b"Content-Type: " + response["Content-Type"].encode() + b"\r\n\r\n" + response.content
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert message.get_content_type() == "multipart/related"
    return [
        (
            f"{part.get_content_type()}; transfer-syntax={part.get_param('transfer-syntax')}",
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


def test_first_and_last_frame_are_the_pixels_pydicom_reads_from_the_stored_file(archive, coordinator_client):
    instance = archive.multiframe
    response = coordinator_client.get(instance_path(instance) + "/frames/1,5", HTTP_ACCEPT=OCTET_MULTIPART)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(OCTET_MULTIPART + "; boundary=")
    assert response["Cache-Control"].startswith("private")
    parts = parse_multipart(response)
    pixels = stored_frames(instance)
    assert [content_type for content_type, _ in parts] == [
        "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    ] * 2
    assert parts[0][1] == pixels[0].astype("<u2").tobytes()
    assert parts[1][1] == pixels[4].astype("<u2").tobytes()
    assert parts[0][1] != parts[1][1]
    # Cornerstone3D's loader finds the syntax by searching the raw part header for this text.
    assert (
        b"\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n"
        in response.content
    )


def test_frames_honour_the_accept_forms_viewers_send(archive, coordinator_client):
    url = instance_path(archive.cine_frames[1]) + "/frames/1"
    expected = stored_frames(archive.cine_frames[1])[0].astype("<u2").tobytes()
    for accept in (
        "multipart/related; type=application/octet-stream; transfer-syntax=*",  # Cornerstone3D
        'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1',
        'multipart/related; type="*/*"',  # dicomweb-client's default
        "*/*",
        None,
    ):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = coordinator_client.get(url, **headers)
        assert response.status_code == 200, accept
        assert parse_multipart(response)[0][1] == expected, accept


def test_a_single_frame_can_be_asked_for_as_a_single_part(archive, coordinator_client):
    response = coordinator_client.get(
        instance_path(archive.multiframe) + "/frames/3", HTTP_ACCEPT="application/octet-stream"
    )
    assert response["Content-Type"] == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    assert response.content == stored_frames(archive.multiframe)[2].astype("<u2").tobytes()


def test_compressed_transfer_syntaxes_are_not_acceptable(archive, coordinator_client):
    url = instance_path(archive.multiframe) + "/frames/1"
    for accept in (
        'multipart/related; type="image/jls"',
        'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.4.50',
    ):
        response = coordinator_client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 406, accept
        assert "1.2.840.10008.1.2.1" in response.json()["detail"]


def test_frame_beyond_the_last_is_404_with_the_frame_count(archive, coordinator_client):
    response = coordinator_client.get(instance_path(archive.multiframe) + "/frames/2,6")
    assert response.status_code == 404
    assert "6" in response.json()["detail"] and "5" in response.json()["detail"]


def test_malformed_frame_lists_are_400(archive, coordinator_client):
    for frames in ("0", "a", "1,,2", "-1"):
        assert (
            coordinator_client.get(instance_path(archive.multiframe) + f"/frames/{frames}").status_code == 400
        )


def test_frames_of_an_instance_under_another_study_are_not_found(archive, coordinator_client):
    instance = archive.multiframe
    url = (
        f"/dicomweb/studies/{archive.other.study_instance_uid}/series/{instance.series.series_instance_uid}"
        f"/instances/{instance.sop_instance_uid}/frames/1"
    )
    assert coordinator_client.get(url).status_code == 404


def test_frame_request_is_one_query_beyond_authentication(
    archive, coordinator_client, django_assert_max_num_queries
):
    # Session, user, the user's groups, the instance.
    with django_assert_max_num_queries(4):
        assert coordinator_client.get(instance_path(archive.multiframe) + "/frames/1,2,3").status_code == 200


def test_pixel_data_bulk_data_is_the_whole_stored_value(archive, coordinator_client):
    url = instance_path(archive.multiframe) + "/bulk/7FE00010"
    parts = parse_multipart(coordinator_client.get(url, HTTP_ACCEPT=OCTET_MULTIPART))
    assert len(parts) == 1
    assert (
        parts[0][1] == pydicom.dcmread(settings.DICOM_STORAGE_ROOT / archive.multiframe.file_path).PixelData
    )
    assert coordinator_client.get(instance_path(archive.multiframe) + "/bulk/00100010").status_code == 404
