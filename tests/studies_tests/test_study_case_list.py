"""A study's cases, listed a page at a time with a search; removed (ticked, or every match of a
search) while the study is a draft, and never once it is assigned."""

import pytest
from django.test import Client
from django.utils import timezone

from cmr_reader.studies import assign, case_list
from cmr_reader.studies.models import ReaderStudy, StudyCaseSelection
from tests.studies_tests.conftest import NOW
from tests.studies_tests.selection_factories import make_case, make_cases_of

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft_with(counts: dict[str, int], coordinator) -> ReaderStudy:
    make_cases_of(counts)
    study = ReaderStudy.objects.create(name="Case list", seed=1, readers_per_case=1)
    assign.add_default_criteria(study)
    case_list.add_selection(
        study=study,
        filters={},
        sample_size=None,
        seed=None,
        stratify_by="",
        allocation="",
        user=coordinator,
        now=timezone.now(),
    )
    return study


def labels(study: ReaderStudy) -> set[str]:
    return set(study.study_cases.values_list("case__case_id", flat=True))


def test_the_list_shows_each_case_with_its_diagnosis_language_and_selection(coordinator):
    study = draft_with({"hcm": 2, "": 1}, coordinator)
    make_case(50, diagnosis="dcm", language="zh", ai_language="zh")
    assign.add_cases(study, None)  # by a script: no selection

    page = client_for(coordinator).get(f"/studies/{study.pk}/cases/list/").content.decode()

    assert "4 cases" in page
    row = page[page.index("CMR-SEL000000") : page.index("</tr>", page.index("CMR-SEL000000"))]
    assert "hypertrophic cardiomyopathy" in row and "English" in row and "selection 1" in row
    unstated = page[page.index("CMR-SEL000002") : page.index("</tr>", page.index("CMR-SEL000002"))]
    assert "none stated" in unstated
    scripted = page[page.index("CMR-SEL000050") : page.index("</tr>", page.index("CMR-SEL000050"))]
    assert "Simplified Chinese" in scripted and "selection" not in scripted


def test_the_list_is_searched_and_paged(coordinator):
    study = draft_with({"normal": 55, "hcm": 3}, coordinator)
    client = client_for(coordinator)

    first = client.get(f"/studies/{study.pk}/cases/list/").content.decode()
    hcm = client.get(f"/studies/{study.pk}/cases/list/", {"diagnosis": "hcm"}).content.decode()
    one = client.get(f"/studies/{study.pk}/cases/list/", {"q": "SEL000057"}).content.decode()

    assert "58 cases" in first and "page 1 of 2" in first and "CMR-SEL000057" not in first
    assert "3 cases" in hcm and "CMR-SEL000055" in hcm and "CMR-SEL000000" not in hcm
    assert "1 case" in one and "CMR-SEL000057" in one


def test_ticked_cases_are_removed_from_a_draft_and_the_removal_recorded(coordinator):
    study = draft_with({"normal": 4}, coordinator)
    doomed = list(study.study_cases.order_by("case__case_id")[:2])

    response = client_for(coordinator).post(
        f"/studies/{study.pk}/cases/remove/", {"scope": "ticked", "study_case": [sc.pk for sc in doomed]}
    )

    assert response.status_code == 302
    assert labels(study) == {"CMR-SEL000002", "CMR-SEL000003"}
    removal = StudyCaseSelection.objects.get(study=study, action="remove")
    assert removal.case_count == 2 and removal.filters == {"ticked": ["CMR-SEL000000", "CMR-SEL000001"]}


def test_every_case_matching_a_search_is_removed_and_no_other(coordinator):
    study = draft_with({"normal": 3, "hcm": 2}, coordinator)

    client_for(coordinator).post(
        f"/studies/{study.pk}/cases/remove/", {"scope": "matching", "diagnosis": "normal"}
    )

    assert labels(study) == {"CMR-SEL000003", "CMR-SEL000004"}
    removal = StudyCaseSelection.objects.get(study=study, action="remove")
    assert removal.filters == {"diagnosis": "normal"} and removal.case_count == 3


def test_a_case_of_another_study_cannot_be_removed_through_this_one(coordinator):
    study = draft_with({"normal": 2}, coordinator)
    other = ReaderStudy.objects.create(name="Other", seed=2)
    assign.add_cases(other, None)
    theirs = other.study_cases.first()

    client_for(coordinator).post(
        f"/studies/{study.pk}/cases/remove/", {"scope": "ticked", "study_case": [theirs.pk]}
    )

    assert other.study_cases.count() == 2 and study.study_cases.count() == 2


def test_removing_cases_is_refused_once_the_study_is_assigned(coordinator, reader):
    study = draft_with({"normal": 3}, coordinator)
    assign.add_readers(study, [reader])
    assign.assign(study, now=NOW)
    client = client_for(coordinator)

    response = client.post(f"/studies/{study.pk}/cases/remove/", {"scope": "matching"}, follow=True)

    assert study.study_cases.count() == 3
    assert "Cases cannot be removed once the study is assigned" in response.content.decode()
    with pytest.raises(case_list.CasesLocked):
        case_list.remove_cases(study=study, search={}, user=coordinator, now=timezone.now())
    page = client.get(f"/studies/{study.pk}/cases/list/").content.decode()
    assert 'name="study_case"' not in page and "can no longer be removed" in page


def test_a_statistician_sees_the_list_but_cannot_remove(coordinator, statistician):
    study = draft_with({"normal": 2}, coordinator)
    client = client_for(statistician)

    page = client.get(f"/studies/{study.pk}/cases/list/")
    refused = client.post(f"/studies/{study.pk}/cases/remove/", {"scope": "matching"})

    assert page.status_code == 200 and 'name="study_case"' not in page.content.decode()
    assert refused.status_code == 403 and study.study_cases.count() == 2
