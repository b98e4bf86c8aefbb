import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from cmr_reader.accounts.roles import Role, has_role
from cmr_reader.imaging.models import Case, Instance

pytestmark = pytest.mark.django_db


def login_request():
    # django-axes (login protection) needs the request to know the client's address.
    return RequestFactory().post("/accounts/login/")


def seed(password="demo-pw-1"):
    out = io.StringIO()
    call_command(
        "seed_demo", "--password", password, "--cases", "2", "--matrix", "48", "--phases", "6", stdout=out
    )
    return out.getvalue()


def test_seed_demo_creates_one_user_per_role_and_imports_cases():
    output = seed()

    assert "0 rejected" in output
    for username, role in [
        ("coordinator", Role.COORDINATOR),
        ("statistician", Role.STATISTICIAN),
        ("reader1", Role.READER),
        ("reader3", Role.READER),
    ]:
        user = authenticate(login_request(), username=username, password="demo-pw-1")
        assert user is not None and has_role(user, role)
    assert Case.objects.count() == 2


def test_seed_demo_is_idempotent_and_resets_the_password():
    seed()
    instances = Instance.objects.count()

    output = seed(password="demo-pw-2")

    assert "0 instances imported" in output
    assert Instance.objects.count() == instances
    assert get_user_model().objects.count() == 5
    assert authenticate(login_request(), username="reader2", password="demo-pw-2") is not None


def test_seed_demo_builds_a_study_every_reader_can_start():
    from cmr_reader.reports.models import Report
    from cmr_reader.studies.models import Assignment, ReaderStudy

    seed()
    seed()  # again: nothing doubles

    study = ReaderStudy.objects.get()
    assert study.state == ReaderStudy.State.ASSIGNED
    assert (
        Report.objects.filter(source="reference").count() == Report.objects.filter(source="ai").count() == 2
    )
    assert study.study_cases.count() == 2 and study.criteria.count() == 3
    for username in ("reader1", "reader2", "reader3"):
        assert (
            Assignment.objects.filter(study=study, reader__username=username).count() == 2
        )  # both cases overlap
    # The sides are the study's seeded big-stick design, as stored.
    from cmr_reader.studies.assign import design_spec
    from cmr_reader.studies.design import design_study

    assert study.side_scheme == "big_stick"
    stored = set(Assignment.objects.filter(study=study).values_list("reader_id", "study_case_id", "ai_slot"))
    assert stored == {(r.reader_id, r.case_id, r.ai_slot) for r in design_study(design_spec(study))}
    # The reference text went through the RIS import path: nothing identifying is left.
    for report in Report.objects.all():
        assert "Dr" not in report.text.split() and "Reported by" not in report.text


def test_seed_demo_leaves_a_first_analysis_with_the_ai_reports_scored_against_the_reference():
    from cmr_reader.analysis.models import AnalysisRun

    seed()
    seed()  # again: the first analysis is not repeated

    (run,) = AnalysisRun.objects.all()
    assert run.state == AnalysisRun.State.DONE and run.bundle
    accuracy = {row["field"]: row for row in run.results["report_metrics"]["entity_accuracy"]}
    # Each house-style reference states LV size, hypertrophy, wall thickness, LGE and the diagnosis.
    assert accuracy["micro"]["n_reference"] >= 2 * 5
    assert run.results["report_metrics"]["diagnostic_agreement"]
