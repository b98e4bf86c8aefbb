"""A coordinator builds a study from imported cases through the pages, assigns it and watches
progress; a statistician may look but not change."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from cmr_reader.studies import answers, assign
from cmr_reader.studies.models import Assignment, ReaderStudy
from tests.studies_tests.conftest import make_cases
from tests.support.study_forms import criteria_formset_post

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def confirmed(study) -> dict:
    """What the confirmation page posts: the ticked box and the design it stated."""
    return {"confirm": "on", "design": assign.design_fingerprint(ReaderStudy.objects.get(pk=study.pk))}


def test_a_coordinator_builds_previews_assigns_and_watches_a_study(
    coordinator, reader, other_reader, statistician
):
    make_cases(5)
    client = client_for(coordinator)

    response = client.post(
        "/studies/new/",
        {
            "name": "HCM pilot",
            "instructions": "Read the SAX stack first.",
            "readers_per_case": 1,
            "overlap_count": 1,
            "washout_fraction": 0,
            "washout_days": 0,
            "allow_revisit": "on",
            "ask_preference": "on",
            "ask_ai_guess": "on",
            "ask_error_flags": "on",
            "ask_comment": "on",
            "seed": 42,
        },
    )
    study = ReaderStudy.objects.get(name="HCM pilot")
    assert response.status_code == 302 and study.criteria.count() == 3
    client.post(f"/studies/{study.pk}/cases/")
    client.post(f"/studies/{study.pk}/readers/", {"readers": [reader.pk, other_reader.pk]})
    assert study.study_cases.count() == 5 and study.study_readers.count() == 2

    preview = client.get(f"/studies/{study.pk}/").content.decode()
    assert 'id="design-preview"' in preview and reader.username in preview
    assert "6 readings in all" in preview  # 1 overlap case x 2 readers + 4 cases x 1 reader

    client.post(f"/studies/{study.pk}/assign/", confirmed(study))
    study.refresh_from_db()
    assert study.state == ReaderStudy.State.ASSIGNED and Assignment.objects.filter(study=study).count() == 6

    # Locked design: an edit is refused; the seed and counts stay.
    client.post(
        f"/studies/{study.pk}/edit/",
        {
            "name": "changed",
            "readers_per_case": 2,
            "overlap_count": 0,
            "seed": 1,
            "washout_fraction": 0,
            "washout_days": 0,
        },
    )
    study.refresh_from_db()
    assert (study.name, study.seed) == ("HCM pilot", 42)

    first = Assignment.objects.filter(reader=reader).order_by("position").first()
    answers.save_answer(
        assignment_id=first.pk, user=reader, item="A.correctness", value=3, now=timezone.now()
    )
    Assignment.objects.filter(pk=first.pk).update(submitted_at=timezone.now())
    page = client.get(f"/studies/{study.pk}/").content.decode()
    progress = re.search(r'id="reader-progress".*?</table>', page, re.S).group(0)
    assert f"{reader.username}</td><td><progress" in progress and "1 / " in progress

    looking = client_for(statistician)
    assert looking.get(f"/studies/{study.pk}/").status_code == 200
    assert looking.post(f"/studies/{study.pk}/cases/").status_code == 403
    assert looking.get("/studies/new/").status_code == 403


def test_an_impossible_design_is_explained_before_anything_is_assigned(coordinator, reader):
    make_cases(2)
    client = client_for(coordinator)
    client.post(
        "/studies/new/",
        {
            "name": "Too many",
            "readers_per_case": 3,
            "overlap_count": 0,
            "washout_fraction": 0,
            "washout_days": 0,
            "seed": 1,
        },
    )
    study = ReaderStudy.objects.get(name="Too many")
    client.post(f"/studies/{study.pk}/cases/")
    client.post(f"/studies/{study.pk}/readers/", {"readers": [reader.pk]})

    page = client.get(f"/studies/{study.pk}/").content.decode()
    assert "readers per case (3) exceeds the number of readers (1)" in page
    client.post(f"/studies/{study.pk}/assign/", confirmed(study))
    study.refresh_from_db()
    assert study.state == ReaderStudy.State.DRAFT and not Assignment.objects.exists()


def test_criteria_and_their_wording_can_be_edited_before_assignment(coordinator):
    from cmr_reader.studies.assign import add_default_criteria

    study = ReaderStudy.objects.create(name="Criteria", seed=1)
    add_default_criteria(study)
    client = client_for(coordinator)
    page = client.get(f"/studies/{study.pk}/criteria/")
    assert page.status_code == 200 and "Correctness" in page.content.decode()
    data = criteria_formset_post(study, extra_forms=1)
    data["criteria-2-DELETE"] = "on"  # drop readability
    data.update(
        {
            "criteria-3-key": "actionability",
            "criteria-3-label": "Actionability",
            "criteria-3-help_text": "",
            "criteria-3-order": 3,
        }
    )
    data.update({f"criteria-3-anchor_{k}": f"point {k}" for k in range(1, 6)})

    response = client.post(f"/studies/{study.pk}/criteria/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(study.criteria.order_by("order").values_list("key", flat=True)) == [
        "correctness",
        "completeness",
        "actionability",
    ]
    assert study.criteria.get(key="actionability").anchors == [f"point {k}" for k in range(1, 6)]
