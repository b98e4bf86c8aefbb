"""generate_reports refuses a model for cases it was trained on, or other exams of their patients."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cmr_reader.domain.training_manifests import TRAINING_RECORD_FILE
from cmr_reader.domain.training_split import patient_hash
from cmr_reader.reports.models import GenerationChunk, GenerationRun, Report
from cmr_reader.reports.training_leakage import TrainingLeakageError, refuse_trained_cases

pytestmark = pytest.mark.django_db
# fmt: off
OPTIONS = ["--device", "cpu", "--max-new-tokens", "4", "--frames-per-cine", "2", "--max-pixels", "3136",
           "--preprocess-workers", "0"]
# fmt: on


def record_training(model: str, *, case_ids=(), patients=()) -> None:
    """What a fine-tuned checkpoint's training record says it saw (the rest of the record aside)."""
    seen = {"case_ids": list(case_ids), "patient_hashes": [patient_hash(p) for p in patients]}
    (Path(model) / TRAINING_RECORD_FILE).write_text(json.dumps({"seen": seen}))


def test_a_run_over_a_case_the_model_trained_on_is_refused_with_the_reason(stored_cases, model):
    trained_on, other = stored_cases
    record_training(model, case_ids=[trained_on.case_id])

    # The command gives the operator the reason as a command error, without a traceback.
    with pytest.raises(CommandError, match=f"trained on 1 of these cases .*{trained_on.case_id}"):
        call_command("generate_reports", "--model", model, *OPTIONS)
    assert not GenerationChunk.objects.exists() and not Report.objects.filter(source="ai").exists()

    with pytest.raises(CommandError, match="trained on"):
        call_command("generate_reports", "--model", model, *OPTIONS, "--queue")
    assert not GenerationChunk.objects.exists()

    call_command("generate_reports", "--model", model, *OPTIONS, "--cases", other.case_id)
    assert list(Report.objects.filter(source="ai").values_list("case__case_id", flat=True)) == [other.case_id]


def test_another_exam_of_a_patient_the_model_trained_on_is_refused(stored_cases, model):
    case = stored_cases[0]
    record_training(model, case_ids=["CMR-ELSEWHERE"], patients=[case.patient_pseudonym])
    with pytest.raises(CommandError, match=case.case_id):
        call_command("generate_reports", "--model", model, *OPTIONS, "--cases", case.case_id)
    run = GenerationRun.objects.get()
    assert run.cases_done == 0
    with pytest.raises(TrainingLeakageError, match="memory, not skill"):
        refuse_trained_cases(run, [case.case_id])


def test_a_model_without_a_training_record_generates_as_before(stored_cases, model):
    call_command("generate_reports", "--model", model, *OPTIONS)
    assert Report.objects.filter(source="ai").count() == len(stored_cases)
