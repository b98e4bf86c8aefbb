import pytest
from django.db import IntegrityError, transaction

from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationRun, Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return Case.objects.create(case_id="CMR-TEST000001", patient_pseudonym="P-1", study_instance_uid="2.25.1")


@pytest.fixture
def run():
    return GenerationRun.objects.create(model_name="cmr-llm", generation_parameters={"temperature": 0})


def test_database_refuses_ai_report_without_generation_run(case):
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(case=case, source=Report.Source.AI, text="LVEF 55%.", language="en")


def test_database_refuses_reference_report_with_generation_run(case, run):
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            case=case, source=Report.Source.REFERENCE, text="x", language="en", generation_run=run
        )


def test_database_refuses_second_reference_report_for_a_case(case):
    Report.objects.create(case=case, source=Report.Source.REFERENCE, text="one", language="en")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(case=case, source=Report.Source.REFERENCE, text="two", language="en")


def test_database_refuses_second_ai_report_for_a_case_and_run(case, run):
    Report.objects.create(case=case, source=Report.Source.AI, text="one", language="en", generation_run=run)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            case=case, source=Report.Source.AI, text="two", language="en", generation_run=run
        )


def test_a_case_holds_one_reference_and_one_ai_report_per_run(case, run):
    other_run = GenerationRun.objects.create(model_name="cmr-llm-2")
    Report.objects.create(case=case, source=Report.Source.REFERENCE, text="ref", language="zh")
    Report.objects.create(case=case, source=Report.Source.AI, text="a", language="en", generation_run=run)
    Report.objects.create(
        case=case, source=Report.Source.AI, text="b", language="en", generation_run=other_run
    )
    assert case.reports.count() == 3


def test_database_refuses_unknown_language(case):
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(case=case, source=Report.Source.REFERENCE, text="x", language="fr")
