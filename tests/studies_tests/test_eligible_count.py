"""The number of eligible cases, counted by the database, agrees with the pairing it summarises."""

import pytest

from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies.pairs import eligible_count, eligible_pairs
from tests.studies_tests.conftest import make_cases

pytestmark = pytest.mark.django_db


def test_the_count_agrees_with_the_pairs_whatever_the_languages():
    english, chinese, both, lone = make_cases(4)
    Report.objects.filter(case=chinese, source="reference").update(language="zh")  # a mismatch
    run = GenerationRun.objects.create(model_name="model-zh")
    Report.objects.create(case=both, source="ai", language="zh", text="正常。", generation_run=run)
    Report.objects.filter(case=lone, source="ai").delete()  # a reference alone

    assert eligible_count() == len(eligible_pairs()) == 2
