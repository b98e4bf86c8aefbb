"""Anonymous callers get 401 (not a login redirect), readers and outsiders 403, never data."""

import pytest
from django.test import Client

from cmr_reader.imaging.dicomweb_access import may_use_dicomweb, visible_cases, visible_instances
from tests.dicomweb_tests.conftest import client_for, instance_path


def every_endpoint(archive) -> list[str]:
    study = archive.hcm.study_instance_uid
    instance = instance_path(archive.multiframe)
    return [
        "/dicomweb/studies",
        "/dicomweb/series",
        f"/dicomweb/studies/{study}/series",
        f"/dicomweb/studies/{study}/instances",
        f"/dicomweb/studies/{study}/metadata",
        f"/dicomweb/studies/{study}",
        instance,
        instance + "/metadata",
        instance + "/frames/1",
        instance + "/bulk/7FE00010",
    ]


def test_anonymous_caller_gets_401_json_from_every_endpoint(archive):
    client = Client()
    for url in every_endpoint(archive):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["Content-Type"] == "application/json"
        assert "detail" in response.json()


@pytest.mark.parametrize("persona", ["reader", "outsider"])
def test_non_staff_user_gets_403_and_no_data(archive, persona, request):
    client = client_for(request.getfixturevalue(persona))
    for url in every_endpoint(archive):
        response = client.get(url)
        assert response.status_code == 403, url
        assert archive.hcm.study_instance_uid.encode() not in response.content
        assert archive.multiframe.sop_instance_uid.encode() not in response.content


@pytest.mark.parametrize("persona", ["coordinator", "statistician"])
def test_staff_members_read_every_endpoint(archive, persona, request):
    client = client_for(request.getfixturevalue(persona))
    for url in every_endpoint(archive):
        assert client.get(url).status_code == 200, url


def test_reader_sees_no_case_even_when_asked_directly(archive, reader):
    assert not may_use_dicomweb(reader)
    assert list(visible_cases(reader)) == []
    assert list(visible_instances(reader)) == []


def test_staff_sees_every_instance_without_a_case_subquery(archive, coordinator):
    instances = visible_instances(coordinator)
    assert instances.count() == 7
    assert "imaging_case" not in str(instances.order_by().query)


def test_posting_is_refused(archive, coordinator_client):
    response = coordinator_client.post("/dicomweb/studies")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
