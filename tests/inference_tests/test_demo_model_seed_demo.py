"""manage.py seed_demo writes the demo's AI reports with the bundled demo model, and falls back to
the template generator (saying so) only when the model cannot be used."""

import io

import pytest
from django.core.management import call_command

from cmr_reader.demo.study import DEMO_GENERATOR
from cmr_reader.reports import generation
from cmr_reader.reports.models import GenerationRun, Report
from inference.checkpoint import checkpoint_sha256
from inference.demo_reports import DEMO_MODEL_PATH

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_backends():
    generation._BACKENDS.clear()
    yield
    generation._BACKENDS.clear()


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "demo-pw-1", "--cases", "2", "--phases", "4", stdout=out)
    return out.getvalue()


def test_seed_demo_writes_the_ai_reports_with_the_demo_model():
    output = seed()

    assert "AI reports: 2 by the demo model, 0 by the template generator" in output
    run = GenerationRun.objects.get(checkpoint_sha256=checkpoint_sha256(DEMO_MODEL_PATH))
    reports = Report.objects.filter(source="ai")
    assert reports.count() == 2 and {r.generation_run_id for r in reports} == {run.pk}
    for report in reports:
        assert report.text.startswith("Findings:") and "Impression:" in report.text
        assert report.provenance["inputs"]["config"]["max_pixels"] == 140 * 140

    again = seed()  # nothing doubles
    assert "AI reports: 0 by the demo model, 0 by the template generator" in again
    assert Report.objects.filter(source="ai").count() == 2


def test_seed_demo_falls_back_to_the_template_generator_when_the_model_cannot_load(monkeypatch, tmp_path):
    monkeypatch.setattr("inference.demo_reports.DEMO_MODEL_PATH", tmp_path / "no-such-model")

    output = seed()

    assert "AI reports: 0 by the demo model, 2 by the template generator; demo model unavailable" in output
    assert {r.generation_run.model_name for r in Report.objects.filter(source="ai")} == {DEMO_GENERATOR}
