"""Each role's home page says what to do next, and an empty site says how to fill it."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from cmr_reader.first_steps import SetUp, coordinator_next_step
from cmr_reader.imaging.models import Case
from cmr_reader.studies.models import ReaderStudy
from tests.studies_tests.conftest import build_study, make_cases

pytestmark = pytest.mark.django_db


def home_of(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("set_up", "step"),
    [
        (SetUp(cases=0, eligible_cases=0, studies=0, drafts=[]), "import_cases"),
        (SetUp(cases=3, eligible_cases=0, studies=0, drafts=[]), "import_reports"),
        (SetUp(cases=3, eligible_cases=2, studies=0, drafts=[]), "create_study"),
        (SetUp(cases=3, eligible_cases=2, studies=1, drafts=[object()]), "assign_study"),
        (SetUp(cases=3, eligible_cases=2, studies=1, drafts=[]), "monitor"),
        # Studies already hold every case: no new eligible case is needed to go on.
        (SetUp(cases=3, eligible_cases=0, studies=1, drafts=[]), "monitor"),
    ],
)
def test_the_coordinators_next_step_is_the_first_not_yet_taken(set_up, step):
    assert coordinator_next_step(set_up) == step


def test_an_empty_site_tells_the_coordinator_how_to_import_cases(coordinator):
    page = home_of(coordinator)
    assert 'id="next-step"' in page
    assert reverse("imaging:upload") in page and "import_dicom" in page


def test_cases_without_reports_point_to_the_report_import(coordinator):
    Case.objects.create(
        case_id="CMR-1", patient_pseudonym="P1", study_instance_uid="2.25.1", study_date=date(2024, 1, 1)
    )
    page = home_of(coordinator)
    assert f'href="{reverse("reports:import_upload")}"' in page  # the page, not only the command
    assert "import_reports" in page and "generate_reports" in page


def test_cases_with_both_reports_point_to_a_new_study(coordinator):
    make_cases(2)
    page = home_of(coordinator)
    assert reverse("studies:create") in page


def test_a_draft_study_is_named_with_its_link(coordinator):
    make_cases(2)
    draft = ReaderStudy.objects.create(name="Pilot", readers_per_case=1)
    page = home_of(coordinator)
    assert reverse("studies:detail", args=[draft.pk]) in page


def test_an_assigned_study_sends_the_coordinator_to_its_progress(coordinator, reader, other_reader):
    build_study(readers=[reader, other_reader])
    page = home_of(coordinator)
    assert "Reading is under way" in page


def test_a_reader_without_cases_is_told_whom_to_ask(reader):
    page = home_of(reader)
    assert 'id="no-reading"' in page and "study coordinator" in page


def test_a_reader_with_cases_is_sent_to_my_reading(reader, other_reader):
    build_study(readers=[reader, other_reader])
    page = home_of(reader)
    assert 'id="no-reading"' not in page
    assert f'class="button" href="{reverse("reading:home")}"' in page


def test_a_statistician_before_any_reading_is_told_where_studies_come_from(statistician):
    page = home_of(statistician)
    assert 'id="no-analysis"' in page
