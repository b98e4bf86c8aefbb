"""Many studies through inputs, prompt and the tiny model: errors stay per case, provenance is
complete, prepared inputs come from worker processes, the CLI prints a report."""

import json
import shutil
import subprocess
import sys

import pytest

from inference.backend import Backend
from inference.generation_settings import GenerationSettings
from inference.inputs import InputConfig
from inference.pipeline import CaseSource, ReportGenerator
from inference.prompts import PromptTemplate

SETTINGS = GenerationSettings(max_new_tokens=12, batch_size=2)
CONFIG = InputConfig(frames_per_cine=4, max_pixels=56 * 56)


@pytest.fixture
def two_studies(tmp_path, synthetic_case_dir):
    from cmr_reader.domain.synthetic import write_cases

    (second,) = write_cases(tmp_path / "second", cases=1, seed=9, matrix=32, phases=6)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "IM_0001.dcm").write_bytes(b"not a dicom file")
    return synthetic_case_dir, second, broken


def generator(model, **options) -> ReportGenerator:
    return ReportGenerator(
        Backend(model, device="cpu"),
        template=PromptTemplate.load("en"),
        settings=SETTINGS,
        input_config=CONFIG,
        **options,
    )


def test_reports_come_back_per_case_in_order_with_complete_provenance(tiny_qwen2_5_vl, two_studies, tmp_path):
    first, second, broken = two_studies
    cases = [CaseSource("A", first), CaseSource("BROKEN", broken), CaseSource("B", second)]

    reports = list(generator(tiny_qwen2_5_vl, cache_dir=tmp_path / "cache", preprocess_workers=0).run(cases))

    assert [r.key for r in reports] == ["A", "BROKEN", "B"]
    assert reports[1].text is None and "InputError" in reports[1].error
    for report in (reports[0], reports[2]):
        assert report.error is None and report.text
        provenance = report.provenance
        assert len(provenance["model"]["weights_sha256"]) == 64
        assert (
            provenance["prompt"]["template"] == "report_en.txt"
            and len(provenance["prompt"]["rendered_sha256"]) == 64
        )
        assert (
            provenance["generation"]["max_new_tokens"] == 12
            and provenance["generation"]["do_sample"] is False
        )
        assert provenance["inputs"]["config"]["frames_per_cine"] == 4 and provenance["inputs"]["items"]
        assert provenance["libraries"]["torch"].startswith("2.14") and provenance["libraries"]["transformers"]
        assert 0 < provenance["tokens"]["generated"] <= 12 and provenance["tokens"]["prompt"] > 0
        assert {"decode_seconds", "generate_seconds"} <= set(provenance["timings"])
        assert "<video: 4 frames" in report.prompt_text
    assert reports[0].provenance["inputs"]["fingerprint"] != reports[2].provenance["inputs"]["fingerprint"]


def test_worker_processes_prepare_the_same_inputs_and_the_cache_serves_a_rerun(
    tiny_qwen2_vl, two_studies, tmp_path
):
    first, second, _broken = two_studies
    cases = [CaseSource("A", first), CaseSource("B", second)]

    inline = list(generator(tiny_qwen2_vl, cache_dir=tmp_path / "c1", preprocess_workers=0).run(cases))
    pooled = list(generator(tiny_qwen2_vl, cache_dir=tmp_path / "c1", preprocess_workers=1).run(cases))

    assert [r.text for r in pooled] == [r.text for r in inline]  # greedy: same inputs, same text
    assert all(r.provenance["inputs"]["cache_hit"] for r in pooled)
    assert not any(r.provenance["inputs"]["cache_hit"] for r in inline)


def test_a_failing_batch_is_retried_case_by_case_so_one_bad_case_fails_alone(
    tiny_qwen2_vl, two_studies, monkeypatch
):
    first, second, _broken = two_studies
    gen = generator(tiny_qwen2_vl, preprocess_workers=0)
    real = gen.backend.generate
    calls = []

    def out_of_memory_on_batches_and_on_the_second_case(prompts, settings, **kwargs):
        calls.append(len(prompts))
        if len(prompts) > 1 or len(calls) == 3:
            raise RuntimeError("CUDA out of memory")
        return real(prompts, settings, **kwargs)

    monkeypatch.setattr(gen.backend, "generate", out_of_memory_on_batches_and_on_the_second_case)
    reports = list(gen.run([CaseSource("A", first), CaseSource("B", second)]))

    assert calls == [2, 1, 1]
    assert reports[0].text and reports[0].error is None
    assert reports[1].text is None and reports[1].error == "RuntimeError: CUDA out of memory"


def test_the_command_line_prints_a_report_and_its_provenance(tiny_qwen2_5_vl, synthetic_case_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_qwen2_5_vl, model)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inference",
            "generate",
            "--model",
            str(model),
            "--dicom",
            str(synthetic_case_dir),
            "--device",
            "cpu",
            "--max-new-tokens",
            "8",
            "--frames-per-cine",
            "4",
            "--max-pixels",
            "3136",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout)
    assert printed["report"] and printed["provenance"]["model"]["weights_sha256"]
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "inference",
            "generate",
            "--model",
            str(model),
            "--dicom",
            str(tmp_path / "nothing"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert missing.returncode != 0 and "error:" in missing.stderr


def test_the_workers_run_the_processor_and_the_main_process_only_joins_batches(
    tiny_qwen2_vl, two_studies, tmp_path, monkeypatch
):
    from inference.backend import PromptEncoder

    first, second, _broken = two_studies
    cases = [CaseSource("A", first), CaseSource("B", second)]
    inline = list(generator(tiny_qwen2_vl, preprocess_workers=0).run(cases))

    def not_here(self, prompts, *, padding):
        raise AssertionError("the processor ran in the main process")

    # The spawned worker imports its own, unpatched PromptEncoder.
    monkeypatch.setattr(PromptEncoder, "processor_inputs", not_here)
    pooled = list(generator(tiny_qwen2_vl, preprocess_workers=1).run(cases))

    assert [r.error for r in pooled] == [None, None]
    assert [r.text for r in pooled] == [r.text for r in inline]
    assert [r.provenance["tokens"] for r in pooled] == [r.provenance["tokens"] for r in inline]
    assert [r.provenance["batch"] for r in pooled] == [{"size": 2, "batch_size_setting": 2}] * 2


def test_a_case_whose_prompt_cannot_be_encoded_fails_alone(tiny_qwen2_vl, two_studies, monkeypatch):
    from inference.backend import PromptEncoder

    first, second, _broken = two_studies
    real = PromptEncoder.encode
    seen = []

    def second_fails(self, parts):
        seen.append(1)
        if len(seen) == 2:
            raise ValueError("frames the processor would misread")
        return real(self, parts)

    monkeypatch.setattr(PromptEncoder, "encode", second_fails)
    reports = list(
        generator(tiny_qwen2_vl, preprocess_workers=0).run([CaseSource("A", first), CaseSource("B", second)])
    )

    assert reports[0].text and reports[0].error is None
    assert reports[1].error == "ValueError: frames the processor would misread" and reports[1].prompt_text
