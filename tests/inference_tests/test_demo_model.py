"""The bundled demo model: it loads like any checkpoint, writes reports the entity extractor reads,
is the default of ``python -m inference generate``, and retraining it is reproducible."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cmr_reader.domain.entities import extract_entities
from cmr_reader.domain.synthetic import sample_case_params, write_case
from inference.backend import Backend, GenerationSettings
from inference.checkpoint import read_input_config
from inference.demo_reports import DEMO_INPUT_CONFIG, DEMO_MODEL_PATH, target_report
from inference.pipeline import CaseSource, ReportGenerator
from inference.prompts import PromptTemplate

REPO = Path(__file__).resolve().parents[2]
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PATH": "/usr/bin:/bin",
    "PYTHONPATH": str(REPO),
}


@pytest.fixture(scope="module")
def septal_hcm_case(tmp_path_factory) -> tuple[Path, dict]:
    """A septal HCM case drawn at the scanner's own matrix (what the demo imports), 4 phases."""
    folder = tmp_path_factory.mktemp("demo-case") / "case"
    truth = write_case(folder, params=sample_case_params(seed=424242, case_type="hcm_septal", phases=4))
    return folder, truth


def run_inference(*arguments: str) -> subprocess.CompletedProcess:
    """``python -m inference ARGUMENTS`` offline, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "inference", *arguments],
        capture_output=True,
        text=True,
        timeout=240,
        env=OFFLINE,
        cwd=REPO,
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_committed_demo_model_is_small_and_records_its_inputs():
    weights = DEMO_MODEL_PATH / "model.safetensors"
    assert weights.is_file() and weights.stat().st_size < 10 * 2**20
    assert read_input_config(DEMO_MODEL_PATH) == DEMO_INPUT_CONFIG
    card = (DEMO_MODEL_PATH / "README.md").read_text(encoding="utf-8")
    assert "demonstration" in card.lower() and "held-out" in card.lower()


def test_the_demo_model_writes_a_report_whose_entities_are_extracted(septal_hcm_case):
    folder, truth = septal_hcm_case
    backend = Backend(DEMO_MODEL_PATH, device="cpu")
    generator = ReportGenerator(
        backend,
        template=PromptTemplate.load("en"),
        settings=GenerationSettings(max_new_tokens=160),
        input_config=DEMO_INPUT_CONFIG,
        preprocess_workers=0,
    )

    (report,) = generator.run([CaseSource(key="case", source=folder)])

    assert report.error is None and report.text.startswith("Findings:") and "Impression:" in report.text
    entities = extract_entities(report.text)
    assert entities["lge"] in ("present", "absent")
    assert entities["diagnosis"] in ("hcm", "normal", "dcm")
    assert isinstance(entities["max_wall_thickness_mm"], float)
    assert entities["hypertrophy_pattern"] in ("asymmetric_septal", "apical", "none")
    # The card's held-out figures say this kind of case is read right nearly always.
    assert entities["diagnosis"] == truth["diagnosis"] == "hcm"


def test_generate_without_a_model_uses_the_demo_model(septal_hcm_case):
    folder, _truth = septal_hcm_case
    result = run_inference("generate", "--dicom", str(folder), "--device", "cpu", "--json")

    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout)
    assert printed["provenance"]["model"]["model_path"] == str(DEMO_MODEL_PATH)
    assert printed["provenance"]["inputs"]["config"] == DEMO_INPUT_CONFIG.as_dict()
    assert extract_entities(printed["report"])["diagnosis"] is not None


def test_the_target_report_states_the_ground_truth_as_the_extractor_reads_it(septal_hcm_case):
    _folder, truth = septal_hcm_case

    entities = extract_entities(target_report(truth))

    assert entities["lge"] == truth["lge"] and entities["diagnosis"] == truth["diagnosis"]
    assert entities["hypertrophy_pattern"] == truth["hypertrophy_pattern"]
    assert abs(entities["max_wall_thickness_mm"] - truth["max_wall_thickness_mm"]) <= 0.5


def test_training_the_demo_model_is_reproducible_and_loads_through_the_auto_classes(tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    for name in ("first", "second"):
        result = run_inference(
            "train-demo", "--cases", "4", "--steps", "2", "--batch-size", "2", str(tmp_path / name)
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout)["training"]["steps"] == 2

    first, second = tmp_path / "first", tmp_path / "second"
    assert sha256_of(first / "model.safetensors") == sha256_of(second / "model.safetensors")
    assert sha256_of(first / "tokenizer.json") == sha256_of(second / "tokenizer.json")
    processor = AutoProcessor.from_pretrained(first, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(first, local_files_only=True)
    assert model.config.model_type == "qwen2_vl" and processor.tokenizer.eos_token == "<|im_end|>"
    assert read_input_config(first) == DEMO_INPUT_CONFIG
