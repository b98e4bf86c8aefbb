"""WADO-RS metadata: stored headers as DICOM JSON, Pixel Data by bulk data URI, few queries."""

import pydicom
from pydicom.uid import generate_uid

from cmr_reader.imaging.models import Instance
from tests.dicomweb_tests.conftest import instance_path


def test_series_metadata_is_dicom_json_with_a_pixel_data_bulk_data_uri(archive, coordinator_client):
    url = f"/dicomweb/studies/{archive.hcm.study_instance_uid}/series/{archive.cine.series_instance_uid}/metadata"
    response = coordinator_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom+json"
    items = response.json()
    assert len(items) == 4
    fetched = []
    datasets = [
        pydicom.Dataset.from_json(item, bulk_data_uri_handler=lambda tag, vr, uri: fetched.append(uri) or b"")
        for item in items
    ]
    assert [ds.InstanceNumber for ds in datasets] == [1, 2, 3, 4]
    assert datasets[3].SOPInstanceUID == archive.multiframe.sop_instance_uid
    assert datasets[3].NumberOfFrames == 5
    assert items[3]["7FE00010"]["vr"] == "OW"
    assert fetched[3] == f"http://testserver{instance_path(archive.multiframe)}/bulk/7FE00010"


def test_study_metadata_covers_every_series_and_instance_metadata_one(archive, coordinator_client):
    study = coordinator_client.get(f"/dicomweb/studies/{archive.hcm.study_instance_uid}/metadata").json()
    assert len(study) == 6
    one = coordinator_client.get(instance_path(archive.multiframe) + "/metadata").json()
    assert [item["00080018"]["Value"][0] for item in one] == [archive.multiframe.sop_instance_uid]


def test_metadata_of_mismatched_or_unknown_uids_is_404(archive, coordinator_client):
    wrong_study = f"/dicomweb/studies/{archive.other.study_instance_uid}/series/{archive.cine.series_instance_uid}/metadata"
    assert coordinator_client.get(wrong_study).status_code == 404
    assert coordinator_client.get(f"/dicomweb/studies/{generate_uid()}/metadata").status_code == 404


def test_metadata_of_a_300_instance_series_takes_a_constant_number_of_queries(
    archive, coordinator_client, django_assert_max_num_queries
):
    header = archive.cine_frames[0].dicom_json
    Instance.objects.bulk_create(
        Instance(
            series=archive.lge,
            sop_instance_uid=generate_uid(),
            sop_class_uid=archive.cine_frames[0].sop_class_uid,
            instance_number=100 + n,
            file_path="unused.dcm",
            file_size=1,
            transfer_syntax_uid="1.2.840.10008.1.2.1",
            rows=24,
            columns=20,
            pixel_data_offset=0,
            frame_length=960,
            dicom_json=header,
        )
        for n in range(300)
    )
    url = f"/dicomweb/studies/{archive.hcm.study_instance_uid}/series/{archive.lge.series_instance_uid}/metadata"
    # A session's first request for a study also writes its access-log row (and the session).
    coordinator_client.get(url)
    # Session, user, the user's groups, the instances.
    with django_assert_max_num_queries(4):
        response = coordinator_client.get(url)
    assert len(response.json()) == 302


def test_bulk_data_uri_follows_the_host_and_port_the_client_used(archive, coordinator_client):
    response = coordinator_client.get(
        instance_path(archive.multiframe) + "/metadata", HTTP_HOST="testserver:8443"
    )
    uri = response.json()[0]["7FE00010"]["BulkDataURI"]
    assert uri == f"http://testserver:8443{instance_path(archive.multiframe)}/bulk/7FE00010"


def test_the_text_path_gives_what_decoding_each_stored_header_gives(archive, coordinator_client):
    """The metadata endpoint copies stored header text; it must equal the decoded way exactly."""
    import json as json_module

    from cmr_reader.imaging.dicom_json import instance_metadata
    from cmr_reader.imaging.models import Instance

    study = archive.hcm.study_instance_uid
    response = coordinator_client.get(f"/dicomweb/studies/{study}/metadata")
    served = json_module.loads(response.content)
    instances = Instance.objects.filter(series__case=archive.hcm).order_by(
        "series__series_number", "series_id", "instance_number", "id"
    )
    expected = [
        instance_metadata(
            header=i.dicom_json,
            bulk_data_uri=f"http://testserver/dicomweb/studies/{study}/series/"
            f"{i.series.series_instance_uid}/instances/{i.sop_instance_uid}/bulk/7FE00010",
        )
        for i in instances
    ]
    assert served == expected
    assert len(served) == 6


def test_header_text_edge_cases_match_the_decoded_way():
    import json as json_module

    from cmr_reader.imaging.dicom_json import instance_metadata, instance_metadata_text

    uri = "http://x/bulk/7FE00010"
    cases = [
        ({}, None),
        ({"00280100": {"vr": "US", "Value": [8]}}, 8),
        ({"00280100": {"vr": "US", "Value": [16]}, "00100010": {"vr": "PN"}}, "16"),
        ({"7FE00010": {"vr": "OW", "InlineBinary": "AAAA"}}, None),  # never stored, still handled
    ]
    for header, bits in cases:
        for text in (json_module.dumps(header), json_module.dumps(header, indent=1)):
            got = json_module.loads(
                instance_metadata_text(header_text=text, bits_allocated=bits, bulk_data_uri=uri)
            )
            assert got == instance_metadata(header=header, bulk_data_uri=uri), (header, text)
