"""The study page's controls: what changes a study is offered to coordinators only, adding cases
to a study being read takes a confirming tick, the readers form offers only readers who can be
added, and design problems are explained in the page's language."""

import re

import pytest
from django.test import Client

from cmr_reader.accounts import preferences
from cmr_reader.studies.models import Assignment, ReaderStudy
from tests.studies_tests.conftest import build_study, make_cases

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def forms_posting_to(page: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', page)


def test_adding_cases_to_a_study_being_read_takes_a_confirming_tick(coordinator, reader, other_reader):
    built = build_study(readers=[reader, other_reader], cases=4, overlap=0, readers_per_case=1)
    make_cases(3, start=10)
    client = client_for(coordinator)
    readings = Assignment.objects.count()

    page = client.get(f"/studies/{built.study.pk}/").content.decode()
    assert re.search(
        r'id="add-cases-while-reading">.*?<input type="checkbox" name="confirm" required>', page, re.S
    )
    refused = client.post(f"/studies/{built.study.pk}/cases/", follow=True).content.decode()

    assert "Nothing added: tick the box" in refused
    assert built.study.study_cases.count() == 4 and Assignment.objects.count() == readings

    client.post(f"/studies/{built.study.pk}/cases/", {"confirm": "on"})
    assert built.study.study_cases.count() == 7 and Assignment.objects.count() == readings + 3


def test_a_draft_takes_every_eligible_case_without_a_tick(coordinator):
    make_cases(2)
    study = ReaderStudy.objects.create(name="Draft", seed=1)
    client_for(coordinator).post(f"/studies/{study.pk}/cases/")
    assert study.study_cases.count() == 2


def test_a_study_being_read_offers_only_the_readers_not_yet_in_it(coordinator, reader, other_reader):
    built = build_study(readers=[reader], cases=2, overlap=0, readers_per_case=1)
    client = client_for(coordinator)

    form = re.search(
        r'<form[^>]*id="add-readers".*?</form>',
        client.get(f"/studies/{built.study.pk}/").content.decode(),
        re.S,
    )
    assert form and "Readers to add" in form.group(0)
    assert f'value="{other_reader.pk}"' in form.group(0) and f'value="{reader.pk}"' not in form.group(0)

    client.post(f"/studies/{built.study.pk}/readers/", {"readers": [other_reader.pk]})
    page = client.get(f"/studies/{built.study.pk}/").content.decode()
    assert 'id="add-readers"' not in page and "Every reader is already in the study." in page
    assert built.study.study_readers.count() == 2


@pytest.mark.parametrize("state", ["draft", "assigned"])
def test_a_statistician_sees_the_study_without_what_changes_it(
    state, coordinator, statistician, reader, other_reader
):
    if state == "draft":
        make_cases(3)
        study = ReaderStudy.objects.create(name="Draft", seed=1)
        client_for(coordinator).post(f"/studies/{study.pk}/cases/")
    else:
        study = build_study(readers=[reader, other_reader], cases=3, overlap=1).study

    as_coordinator = client_for(coordinator).get(f"/studies/{study.pk}/").content.decode()
    as_statistician = client_for(statistician).get(f"/studies/{study.pk}/").content.decode()

    assert f"/studies/{study.pk}/cases/" in forms_posting_to(as_coordinator)
    assert f"/studies/{study.pk}/blinding-audit/" in forms_posting_to(as_coordinator)
    assert forms_posting_to(as_statistician) == []  # the language switch posts to /i18n/, no "action" match
    if state == "draft":
        design = re.search(r'id="design-read-only">(.*?)</div>', as_statistician, re.S).group(1)
        assert 'name="readers_per_case"' in design and "disabled" in design
        assert f"/studies/{study.pk}/criteria/" not in as_statistician


def test_zero_readers_per_case_is_refused_with_a_message_not_a_database_error(coordinator):
    page = client_for(coordinator).post(
        "/studies/new/",
        {
            "name": "None",
            "readers_per_case": 0,
            "overlap_count": 0,
            "washout_fraction": 0,
            "washout_days": 0,
            "seed": 1,
        },
    )
    body = page.content.decode()
    assert page.status_code == 200 and "Give at least 1 reader per case." in body
    assert "constraint" not in body.lower() and not ReaderStudy.objects.exists()
    assert re.search(r'name="readers_per_case"[^>]*min="1"', body)


def test_design_problems_are_explained_in_the_readers_language(coordinator, reader):
    make_cases(2)
    study = ReaderStudy.objects.create(name="Too many", seed=1, readers_per_case=3)
    client = client_for(coordinator)
    client.post(f"/studies/{study.pk}/cases/")
    client.post(f"/studies/{study.pk}/readers/", {"readers": [reader.pk]})

    english = client.get(f"/studies/{study.pk}/").content.decode()
    assert "No design can be made: readers per case (3) exceeds the number of readers (1)." in english
    preferences.save_preference(user=coordinator, language="zh-hans", time_zone="UTC")
    chinese = client_for(coordinator).get(f"/studies/{study.pk}/").content.decode()  # read at login
    assert (
        "无法生成设计：每个病例的阅片者数（3）超过阅片者总数（1）。" in chinese and "exceeds" not in chinese
    )


def test_a_refused_criteria_save_says_so_at_the_top_of_the_page(coordinator):
    from cmr_reader.studies.assign import add_default_criteria
    from tests.support.study_forms import criteria_formset_post

    study = ReaderStudy.objects.create(name="Criteria", seed=1)
    add_default_criteria(study)
    data = criteria_formset_post(study)
    data["criteria-0-key"] = "not a slug"
    data["criteria-2-anchor_1"] = ""

    page = client_for(coordinator).post(f"/studies/{study.pk}/criteria/", data).content.decode()

    messages = re.search(r'<ul class="messages"[^>]*>(.*?)</ul>', page, re.S).group(1)
    assert "Not saved: 2 criteria have problems, marked below in red." in messages
    assert list(study.criteria.values_list("key", flat=True).order_by("order")) == [
        "correctness",
        "completeness",
        "readability",
    ]


@pytest.mark.parametrize("chosen", [[], ["999999"]], ids=["none ticked", "not a reader"])
def test_a_readers_form_with_nothing_valid_says_so(chosen, coordinator, reader):
    built = build_study(readers=[reader], cases=2, overlap=0, readers_per_case=1)
    page = client_for(coordinator).post(
        f"/studies/{built.study.pk}/readers/", {"readers": chosen}, follow=True
    )
    assert "Readers not saved: tick one or more readers from the list." in page.content.decode()
    assert list(built.study.study_readers.values_list("reader", flat=True)) == [reader.pk]
