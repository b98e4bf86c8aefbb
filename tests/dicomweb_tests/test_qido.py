"""QIDO-RS searches at study, series and instance level (PS3.18 10.6), with matching."""

import pydicom

from cmr_reader.imaging import dicomweb_query


def search(client, url, **params) -> list[pydicom.Dataset]:
    response = client.get(url, params, HTTP_ACCEPT="application/dicom+json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/dicom+json"
    assert response["Cache-Control"].startswith("private")
    return [pydicom.Dataset.from_json(item) for item in response.json()]


def test_study_search_returns_each_visible_study_with_counts(archive, coordinator_client):
    studies = search(coordinator_client, "/dicomweb/studies")
    assert [s.StudyInstanceUID for s in studies] == [
        archive.hcm.study_instance_uid,
        archive.other.study_instance_uid,
    ]
    hcm = studies[0]
    assert hcm.NumberOfStudyRelatedSeries == 2
    assert hcm.NumberOfStudyRelatedInstances == 6
    assert hcm.ModalitiesInStudy == "MR"
    assert hcm.PatientID == archive.hcm.patient_pseudonym
    assert hcm.PatientName == archive.hcm.patient_pseudonym
    assert hcm.StudyDate == "20210304"
    assert hcm.StudyTime == "101500"
    assert hcm.StudyDescription == "CMR hypertrophy"
    assert hcm.AccessionNumber == ""
    assert hcm.PatientSex == "F"
    assert hcm.RetrieveURL.endswith(f"/dicomweb/studies/{archive.hcm.study_instance_uid}")


def test_study_search_matches_uid_lists_dates_wildcards_and_patient_id(archive, coordinator_client):
    hcm, other = archive.hcm.study_instance_uid, archive.other.study_instance_uid

    def uids(**params) -> list[str]:
        return [s.StudyInstanceUID for s in search(coordinator_client, "/dicomweb/studies", **params)]

    assert uids(StudyInstanceUID=other) == [other]
    assert uids(StudyInstanceUID=f"{other},{hcm}") == [hcm, other]
    assert uids(StudyDate="20210101-") == [hcm]
    assert uids(StudyDate="-20201231") == [other]
    assert uids(StudyDate="20190601") == [other]
    assert uids(StudyDescription="*hyper*") == [hcm]
    assert uids(StudyDescription="cmr STRESS") == [other]
    assert uids(PatientID=archive.other.patient_pseudonym) == [other]
    assert uids(**{"00100020": archive.hcm.patient_pseudonym}) == [hcm]
    assert uids(AccessionNumber="A123") == []
    assert uids(ModalitiesInStudy="CT") == []
    assert uids(ModalitiesInStudy="MR", includefield="all", fuzzymatching="false") == [hcm, other]


def test_study_search_pages_with_limit_and_offset(archive, coordinator_client):
    first = search(coordinator_client, "/dicomweb/studies", limit=1)
    second = search(coordinator_client, "/dicomweb/studies", limit=1, offset=1)
    assert [s.StudyInstanceUID for s in first + second] == [
        archive.hcm.study_instance_uid,
        archive.other.study_instance_uid,
    ]
    assert search(coordinator_client, "/dicomweb/studies", offset=2) == []


def test_study_search_warns_when_the_server_cap_truncates(archive, coordinator_client, monkeypatch):
    monkeypatch.setattr(dicomweb_query, "MAX_RESULTS", 1)
    response = coordinator_client.get("/dicomweb/studies")
    assert len(response.json()) == 1
    assert response["Warning"].startswith("299 ")
    assert "Warning" not in coordinator_client.get("/dicomweb/studies", {"limit": 1})


def test_series_search_in_a_study_filters_on_modality_description_and_number(archive, coordinator_client):
    url = f"/dicomweb/studies/{archive.hcm.study_instance_uid}/series"
    series = search(coordinator_client, url)
    assert [s.SeriesInstanceUID for s in series] == [
        archive.cine.series_instance_uid,
        archive.lge.series_instance_uid,
    ]
    assert series[0].SeriesNumber == 3
    assert series[0].SeriesDescription == "cine SA"
    assert series[0].Modality == "MR"
    assert series[0].NumberOfSeriesRelatedInstances == 4
    assert [s.SeriesDescription for s in search(coordinator_client, url, SeriesDescription="LGE*")] == [
        "LGE PSIR"
    ]
    assert [s.SeriesNumber for s in search(coordinator_client, url, SeriesNumber="9")] == [9]
    assert search(coordinator_client, url, Modality="CT") == []
    assert search(coordinator_client, url, SeriesInstanceUID=archive.other_series.series_instance_uid) == []


def test_series_search_across_studies_names_the_study_of_each_series(archive, coordinator_client):
    series = search(coordinator_client, "/dicomweb/series", PatientID=archive.other.patient_pseudonym)
    assert [s.SeriesInstanceUID for s in series] == [archive.other_series.series_instance_uid]
    assert series[0].StudyInstanceUID == archive.other.study_instance_uid
    assert series[0].PatientID == archive.other.patient_pseudonym
    assert len(search(coordinator_client, "/dicomweb/series")) == 3


def test_instance_search_in_a_series_returns_sizes_and_frame_counts(archive, coordinator_client):
    url = f"/dicomweb/studies/{archive.hcm.study_instance_uid}/series/{archive.cine.series_instance_uid}/instances"
    instances = search(coordinator_client, url)
    assert [i.InstanceNumber for i in instances] == [1, 2, 3, 4]
    last = instances[-1]
    assert last.SOPInstanceUID == archive.multiframe.sop_instance_uid
    assert last.SOPClassUID == archive.multiframe.sop_class_uid
    assert (last.Rows, last.Columns, last.NumberOfFrames) == (24, 20, 5)
    assert [i.InstanceNumber for i in search(coordinator_client, url, InstanceNumber="2")] == [2]
    only = search(coordinator_client, url, SOPInstanceUID=archive.multiframe.sop_instance_uid)
    assert [i.SOPInstanceUID for i in only] == [archive.multiframe.sop_instance_uid]


def test_instance_search_in_a_study_spans_its_series_and_no_other_study(archive, coordinator_client):
    instances = search(coordinator_client, f"/dicomweb/studies/{archive.hcm.study_instance_uid}/instances")
    assert len(instances) == 6
    assert {i.StudyInstanceUID for i in instances} == {archive.hcm.study_instance_uid}
    lge = search(
        coordinator_client,
        f"/dicomweb/studies/{archive.hcm.study_instance_uid}/instances",
        SeriesInstanceUID=archive.lge.series_instance_uid,
    )
    assert len(lge) == 2


def test_unsupported_or_malformed_matching_is_a_400_with_a_reason(archive, coordinator_client):
    for params in (
        {"PatientBirthDate": "19700101"},
        {"StudyDate": "2021"},
        {"limit": "-1"},
        {"SeriesNumber": "x"},
    ):
        response = coordinator_client.get("/dicomweb/series", params)
        assert response.status_code == 400, params
        assert response.json()["detail"]


def test_search_for_xml_is_not_acceptable(archive, coordinator_client):
    response = coordinator_client.get(
        "/dicomweb/studies", HTTP_ACCEPT='multipart/related; type="application/dicom+xml"'
    )
    assert response.status_code == 406
