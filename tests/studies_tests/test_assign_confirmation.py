"""Assigning locks the design for good, so it goes through a page that states what is locked and
a ticked confirmation; and readers reach none of the pages that build a study's case list."""

import pytest
from django.test import Client
from django.utils import timezone

from cmr_reader.studies import assign, case_list
from cmr_reader.studies.blinding import run_blinding_audit
from cmr_reader.studies.models import BlindingAudit, ReaderStudy
from tests.studies_tests.selection_factories import make_cases_of

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ready_draft(reader, *, cases: int = 4) -> ReaderStudy:
    make_cases_of({"normal": cases})
    study = ReaderStudy.objects.create(name="To confirm", seed=9, readers_per_case=1, overlap_count=1)
    assign.add_default_criteria(study)
    assign.add_cases(study, None)
    assign.add_readers(study, [reader])
    return study


def confirmation(study: ReaderStudy) -> dict:
    return {"confirm": "on", "design": assign.design_fingerprint(ReaderStudy.objects.get(pk=study.pk))}


def test_assigning_without_the_confirmation_is_refused(coordinator, reader):
    study = ready_draft(reader)

    response = client_for(coordinator).post(
        f"/studies/{study.pk}/assign/", {"design": assign.design_fingerprint(study)}
    )

    study.refresh_from_db()
    assert study.state == ReaderStudy.State.DRAFT and not study.assignments.exists()
    assert response.status_code == 302 and response["Location"] == f"/studies/{study.pk}/assign/confirm/"


def test_the_confirmation_page_states_what_is_locked(coordinator, reader):
    study = ready_draft(reader)

    page = client_for(coordinator).get(f"/studies/{study.pk}/assign/confirm/").content.decode()

    assert "This cannot be undone" in page
    assert "4 cases" in page and "1 reader" in page and reader.username in page
    assert "4 readings" in page and "3 criteria" in page
    assert "Readers per case" in page and "Design seed" in page and ">9<" in page
    assert f'value="{assign.design_fingerprint(study)}"' in page
    assert "one is run over them before the readings are made" in page  # no audit yet


def test_assigning_with_the_confirmation_audits_then_opens_reading(coordinator, reader):
    study = ready_draft(reader)

    client_for(coordinator).post(f"/studies/{study.pk}/assign/", confirmation(study))

    study.refresh_from_db()
    assert study.state == ReaderStudy.State.ASSIGNED and study.assignments.count() == 4
    assert BlindingAudit.objects.get(study=study).created_at <= study.assigned_at


def test_a_confirmation_of_a_design_that_changed_since_is_refused(coordinator, reader):
    study = ready_draft(reader)
    confirmed = confirmation(study)
    make_cases_of({"hcm": 1}, start=100)
    assign.add_cases(study, None)

    response = client_for(coordinator).post(f"/studies/{study.pk}/assign/", confirmed, follow=True)

    study.refresh_from_db()
    assert study.state == ReaderStudy.State.DRAFT and not study.assignments.exists()
    assert "changed since you confirmed" in response.content.decode()


def test_swapping_a_case_since_the_last_audit_audits_again(coordinator, reader):
    # Same number of pairs, different pairs: the audit no longer covers them.
    study = ready_draft(reader)
    run_blinding_audit(study=study, now=timezone.now())
    case_list.remove_cases(
        study=study, study_case_ids=[study.study_cases.first().pk], user=coordinator, now=timezone.now()
    )
    make_cases_of({"hcm": 1}, start=100)
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

    client_for(coordinator).post(f"/studies/{study.pk}/assign/", confirmation(study))

    assert BlindingAudit.objects.filter(study=study).count() == 2


def test_the_study_page_leads_to_the_confirmation_rather_than_assigning(coordinator, reader):
    study = ready_draft(reader)

    page = client_for(coordinator).get(f"/studies/{study.pk}/").content.decode()

    assert f'href="/studies/{study.pk}/assign/confirm/"' in page
    assert f'action="/studies/{study.pk}/assign/"' not in page


def test_a_reader_reaches_none_of_the_pages_that_build_a_study(reader):
    study = ready_draft(reader)
    client = client_for(reader)
    base = f"/studies/{study.pk}"

    responses = [
        client.get(f"{base}/cases/select/"),
        client.post(f"{base}/cases/select/", {"diagnosis": "normal"}),
        client.get(f"{base}/cases/list/"),
        client.post(f"{base}/cases/remove/", {"scope": "matching"}),
        client.get(f"{base}/assign/confirm/"),
        client.post(f"{base}/assign/", confirmation(study)),
    ]

    assert [response.status_code for response in responses] == [403] * 6
    study.refresh_from_db()
    assert study.state == ReaderStudy.State.DRAFT and study.study_cases.count() == 4
