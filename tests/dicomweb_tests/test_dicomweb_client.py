"""A standard client (dicomweb-client) searches and retrieves over real HTTP (live_server)."""

from urllib.parse import urlsplit

import numpy as np
import pydicom
import pytest
import requests
from dicomweb_client import DICOMwebClient
from django.conf import settings
from requests import HTTPError


@pytest.fixture
def dicomweb(live_server, coordinator_session) -> DICOMwebClient:
    return DICOMwebClient(url=f"{live_server.url}/dicomweb", session=coordinator_session)


def test_client_searches_studies_series_and_instances(archive, dicomweb):
    studies = dicomweb.search_for_studies(search_filters={"PatientID": archive.hcm.patient_pseudonym})
    assert [pydicom.Dataset.from_json(s).StudyInstanceUID for s in studies] == [
        archive.hcm.study_instance_uid
    ]
    series = dicomweb.search_for_series(
        study_instance_uid=archive.hcm.study_instance_uid, search_filters={"Modality": "MR"}
    )
    assert len(series) == 2
    instances = dicomweb.search_for_instances(
        study_instance_uid=archive.hcm.study_instance_uid,
        series_instance_uid=archive.cine.series_instance_uid,
    )
    assert len(instances) == 4
    assert dicomweb.search_for_series(search_filters={"SeriesDescription": "nothing*"}) == []


def test_client_reads_series_metadata_frames_bulk_data_and_instances(archive, dicomweb, live_server):
    instance = archive.multiframe
    study, series = archive.hcm.study_instance_uid, archive.cine.series_instance_uid
    metadata = dicomweb.retrieve_series_metadata(study_instance_uid=study, series_instance_uid=series)
    assert len(metadata) == 4
    pixel_data_uri = urlsplit(metadata[3]["7FE00010"]["BulkDataURI"])
    assert pixel_data_uri.scheme == "http"
    assert pixel_data_uri.path.endswith(f"/instances/{instance.sop_instance_uid}/bulk/7FE00010")

    frames = dicomweb.retrieve_instance_frames(
        study_instance_uid=study,
        series_instance_uid=series,
        sop_instance_uid=instance.sop_instance_uid,
        frame_numbers=[1, 5],
    )
    stored = pydicom.dcmread(settings.DICOM_STORAGE_ROOT / instance.file_path)
    assert [np.frombuffer(f, "<u2").reshape(24, 20).tolist() for f in frames] == [
        stored.pixel_array[0].tolist(),
        stored.pixel_array[4].tolist(),
    ]
    # dicomweb-client sends "Host: localhost" without the port (web.py, _http_get), so the URI
    # we built from that Host lacks the live server's port: fetch its path from the server.
    assert dicomweb.retrieve_bulkdata(live_server.url + pixel_data_uri.path) == [stored.PixelData]

    retrieved = dicomweb.retrieve_instance(
        study_instance_uid=study, series_instance_uid=series, sop_instance_uid=instance.sop_instance_uid
    )
    assert retrieved == stored
    assert len(dicomweb.retrieve_series(study_instance_uid=study, series_instance_uid=series)) == 4


def test_client_without_a_session_is_refused_with_401(archive, live_server):
    with requests.Session() as session, pytest.raises(HTTPError) as refused:
        DICOMwebClient(url=f"{live_server.url}/dicomweb", session=session).search_for_studies()
    assert refused.value.response.status_code == 401
