"""Readers see only their own open assignments: pages, DICOMweb (QIDO too) and frames."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from cmr_reader.studies.models import Assignment, ReaderStudy
from tests.dicomweb_tests.stored import make_series, store_instance
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def imaged_study(reader, other_reader, private_storage):
    """Six cases, two read by both readers and four split between them, each with one stored
    image; a seventh case in another study, assigned to the other reader only."""
    built = build_study(readers=[reader, other_reader], cases=6, readers_per_case=1, overlap=2)
    for number, case in enumerate(built.cases):
        series = make_series(case=case, number=1, description="cine")
        store_instance(series=series, number=1, root=private_storage, seed=number)
    outside = build_study(readers=[other_reader], cases=1, readers_per_case=1, overlap=0, name="Other").cases[
        0
    ]
    store_instance(
        series=make_series(case=outside, number=1, description="cine"),
        number=1,
        root=private_storage,
        seed=99,
    )
    return built


def own_case_uids(user) -> set[str]:
    return set(
        Assignment.objects.filter(reader=user).values_list("study_case__case__study_instance_uid", flat=True)
    )


def test_qido_lists_exactly_the_readers_assigned_studies(imaged_study, reader, other_reader):
    found = client_for(reader).get("/dicomweb/studies", HTTP_ACCEPT="application/dicom+json")
    assert found.status_code == 200
    uids = {study["0020000D"]["Value"][0] for study in json.loads(found.content)}
    assert uids == own_case_uids(reader)
    assert uids != own_case_uids(other_reader)


def test_someone_elses_case_is_not_found_over_dicomweb(imaged_study, reader, other_reader):
    theirs_only = own_case_uids(other_reader) - own_case_uids(reader)
    assert theirs_only
    for uid in theirs_only:
        assert client_for(reader).get(f"/dicomweb/studies/{uid}/metadata").status_code == 404


def test_another_readers_assignment_page_is_not_found(imaged_study, reader, other_reader):
    theirs = Assignment.objects.filter(reader=other_reader).first()
    mine = Assignment.objects.filter(reader=reader).first()
    client = client_for(reader)
    assert client.get(f"/reading/cases/{mine.public_id}/").status_code == 200
    assert client.get(f"/reading/cases/{theirs.public_id}/").status_code == 404
    assert (
        client.post(
            f"/reading/cases/{theirs.public_id}/answer/",
            {"item": "A.correctness", "value": 1},
            content_type="application/json",
        ).status_code
        == 404
    )
    other_study = ReaderStudy.objects.get(name="Other")
    assert client.get(f"/reading/studies/{other_study.pk}/continue/").status_code == 404
    assert client.get("/reading/cases/not-an-id/").status_code == 404


def test_readers_cannot_use_the_staff_viewer_or_study_pages(imaged_study, reader):
    case = imaged_study.cases[0]
    client = client_for(reader)
    assert client.get(f"/cases/{case.case_id}/viewer/").status_code == 403
    assert client.get(f"/studies/{imaged_study.study.pk}/").status_code == 403
    assert client.get(f"/studies/{imaged_study.study.pk}/unblinding.csv").status_code == 403


def test_a_repeat_not_yet_due_is_not_there(reader, other_reader):
    build_study(readers=[reader, other_reader], washout_fraction=1.0, washout_days=30, name="Washout")
    repeat = Assignment.objects.filter(reader=reader, is_repeat=True).first()
    assert client_for(reader).get(f"/reading/cases/{repeat.public_id}/").status_code == 404


def test_a_reader_without_open_assignments_reads_no_images(reader, other_reader, private_storage):
    built = build_study(readers=[other_reader], cases=1, readers_per_case=1, overlap=0)
    store_instance(
        series=make_series(case=built.cases[0], number=1, description="x"), number=1, root=private_storage
    )
    assert client_for(reader).get("/dicomweb/studies").status_code == 403
    ReaderStudy.objects.update(state=ReaderStudy.State.CLOSED)
    assert client_for(other_reader).get("/dicomweb/studies").status_code == 403


def test_the_next_case_comes_in_the_readers_own_order(imaged_study, reader):
    client = client_for(reader)
    response = client.get(f"/reading/studies/{imaged_study.study.pk}/continue/")
    first = Assignment.objects.filter(reader=reader).order_by("position").first()
    assert response.status_code == 302 and response["Location"].endswith(f"/reading/cases/{first.public_id}/")
    Assignment.objects.filter(pk=first.pk).update(submitted_at=first.available_from + timedelta(hours=1))
    second = Assignment.objects.filter(reader=reader).order_by("position")[1]
    assert client.get(f"/reading/studies/{imaged_study.study.pk}/continue/")["Location"].endswith(
        second.public_id + "/"
    )


def test_submitted_cases_are_listed_for_revisiting_only_when_the_study_allows_it(reader, other_reader):
    from django.utils import timezone

    built = build_study(
        readers=[reader, other_reader], cases=2, readers_per_case=2, overlap=2, name="Revisit"
    )
    mine = Assignment.objects.filter(reader=reader).order_by("position")
    Assignment.objects.filter(pk=mine[0].pk).update(submitted_at=timezone.now())
    page = client_for(reader).get("/reading/").content.decode()
    assert (
        f"/reading/cases/{mine[0].public_id}/" in page and f"/reading/cases/{mine[1].public_id}/" not in page
    )
    ReaderStudy.objects.filter(pk=built.study.pk).update(allow_revisit=False)
    assert f"/reading/cases/{mine[0].public_id}/" not in client_for(reader).get("/reading/").content.decode()
