"""LoRA fine-tuning of the tiny Qwen2-VL on synthetic cases: the loss falls, a resumed run matches an
uninterrupted one step for step, the merged checkpoint (with its record) generates through the
normal path, and the held-out evaluation is scored with the site's metrics."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from safetensors.torch import load_file
from transformers import AutoModelForImageTextToText

from cmr_reader.analysis.finetune_evaluation import compare_outputs, read_outputs
from cmr_reader.domain.synthetic import balanced_case_params, write_case
from cmr_reader.domain.training_manifests import (
    ManifestRow,
    read_manifests,
    read_training_exposure,
    write_manifests,
)
from cmr_reader.domain.training_split import patient_hash
from inference.backend import Backend
from inference.checkpoint import checkpoint_sha256, input_config_for_checkpoint
from inference.cli import main as inference_cli
from inference.demo_reports import target_report
from inference.finetune.cli import main as finetune_cli
from inference.finetune.data import shipped_templates
from inference.finetune.settings import FinetuneSettings
from inference.finetune.train import RunMismatch, _with_adapters, finetune
from inference.generation_settings import GenerationSettings
from inference.inputs import InputConfig
from inference.pipeline import CaseSource, ReportGenerator
from inference.prompts import PromptTemplate

SPLITS = ("train", "train", "train", "validation", "test")
CONFIG = InputConfig(frames_per_cine=2, max_pixels=56 * 56)
SETTINGS = FinetuneSettings(
    steps=6,
    batch_size=2,
    accumulate=1,
    learning_rate=1e-2,
    warmup_steps=1,
    save_every=3,
    validate_every=3,
    lora_rank=8,
    lora_alpha=16,
    seed=0,
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("finetune")


@pytest.fixture(scope="module")
def manifests(workdir):
    """Five synthetic studies with the demo's short report as the reference: three to train on,
    one to validate, one held out."""
    rows = []
    for index, params in enumerate(balanced_case_params(cases=len(SPLITS), seed=5, matrix=32, phases=4)):
        folder = workdir / "dicom" / f"case{index}"
        truth = write_case(folder, params=params)
        rows.append(
            ManifestRow(
                case_id=f"CMR-FT{index}",
                patient_hash=patient_hash(f"P-FT{index}"),
                split=SPLITS[index],
                language="en",
                reference_report=target_report(truth),
                files=tuple(str(p.relative_to(workdir / "dicom")) for p in sorted(folder.glob("*.dcm"))),
            )
        )
    write_manifests(workdir / "manifests", rows=rows, summary={"dicom_root": str(workdir / "dicom")})
    return read_manifests(workdir / "manifests")


def train(out: Path, base: Path, manifests, **options) -> dict:
    return finetune(
        base=base,
        manifests=manifests,
        out=out,
        settings=options.pop("settings", SETTINGS),
        input_config=CONFIG,
        templates=shipped_templates(),
        device="cpu",
        cache_dir=out.parent / "frame-cache",
        progress=lambda line: None,
        **options,
    )


@pytest.fixture(scope="module")
def trained(workdir, tiny_qwen2_vl, manifests) -> dict:
    return train(workdir / "run", tiny_qwen2_vl, manifests)


def losses(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "losses.jsonl").read_text().splitlines()]


def test_a_few_steps_lower_the_training_and_the_validation_loss(trained, workdir):
    logged = losses(workdir / "run")
    train_losses = [entry["loss"] for entry in logged if "loss" in entry]
    validation = {entry["step"]: entry["validation_loss"] for entry in logged if "validation_loss" in entry}
    assert [entry["step"] for entry in logged if "loss" in entry] == [1, 2, 3, 4, 5, 6]
    assert sum(train_losses[-2:]) / 2 < 0.8 * sum(train_losses[:2]) / 2
    assert sorted(validation) == [0, 3, 6] and validation[6] < validation[0]
    assert trained["losses"]["validation_first"] == validation[0] and trained["step"] == 6
    assert trained["steps_per_second"] > 0 and trained["left_out_unreadable"] == {}


def test_a_resumed_run_continues_from_its_checkpoint_with_the_same_losses(
    trained, workdir, tiny_qwen2_vl, manifests
):
    run = workdir / "interrupted"
    stopped = train(run, tiny_qwen2_vl, manifests, stop_after=2)
    assert stopped["step"] == 2 and "model" not in stopped and not (run / "model").exists()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-000002"]

    resumed = train(run, tiny_qwen2_vl, manifests, resume=True)

    assert resumed["steps_this_time"] == 4

    def without_time(entries):
        return [{key: value for key, value in entry.items() if key != "seconds"} for entry in entries]

    assert without_time(losses(run)) == without_time(losses(workdir / "run"))
    # the same weights and the same record: the same checkpoint hash as the uninterrupted run
    assert resumed["model_sha256"] == trained["model_sha256"]


def test_a_run_refuses_to_resume_with_other_settings_or_to_overwrite_a_run(
    trained, workdir, tiny_qwen2_vl, manifests
):
    with pytest.raises(RunMismatch, match="other settings"):
        train(workdir / "run", tiny_qwen2_vl, manifests, resume=True, settings=FinetuneSettings(steps=7))
    with pytest.raises(RunMismatch, match="not empty"):
        train(workdir / "run", tiny_qwen2_vl, manifests)


def test_the_merged_checkpoint_generates_through_the_normal_path(trained):
    model = Path(trained["model"])
    backend = Backend(model, device="cpu")
    assert type(backend.model).__name__ == "Qwen2VLForConditionalGeneration"  # plain, no adapters left
    assert input_config_for_checkpoint(model) == CONFIG  # generation reads the cases as training did
    manifests = read_manifests(Path(trained["model"]).parents[1] / "manifests")
    (held_out,) = manifests.rows["test"]
    generator = ReportGenerator(
        backend,
        template=PromptTemplate.load("en"),
        settings=GenerationSettings(max_new_tokens=12, batch_size=1),
        input_config=input_config_for_checkpoint(model),
        preprocess_workers=0,
    )
    (report,) = generator.run(
        [CaseSource(key=held_out.case_id, source=tuple(manifests.dicom_root / f for f in held_out.files))]
    )
    assert report.error is None and report.text
    assert report.provenance["model"]["weights_sha256"] == checkpoint_sha256(model) == trained["model_sha256"]


def test_the_training_record_is_inside_the_checkpoint_hash(trained, tiny_qwen2_vl, manifests, tmp_path):
    model = Path(trained["model"])
    record = json.loads((model / "training_record.json").read_text())
    assert record["base_checkpoint"]["sha256"] == checkpoint_sha256(tiny_qwen2_vl)
    assert record["manifests"]["sha256"] == manifests.hashes()
    assert record["hyperparameters"] == SETTINGS.as_dict() and record["seed"] == 0
    assert record["inputs"] == CONFIG.as_dict()
    assert record["prompt_templates"]["en"]["sha256"] == PromptTemplate.load("en").sha256
    assert record["libraries"]["peft"] != "not installed" and record["code_version"]
    assert record["device"] == {"type": "cpu", "dtype": "float32"}
    seen = read_training_exposure(model)
    assert seen.case_ids == {"CMR-FT0", "CMR-FT1", "CMR-FT2", "CMR-FT3"}
    assert seen.patient_hashes == {patient_hash(f"P-FT{n}") for n in range(4)}
    assert record["held_out"]["test_case_ids"] == ["CMR-FT4"]
    card = (model / "MODEL_CARD.md").read_text()
    assert tiny_qwen2_vl.name in card and "Training cases: 3" in card and "frozen" in card

    copy = tmp_path / "copy"
    shutil.copytree(model, copy)
    (copy / "training_record.json").write_text(json.dumps({**record, "seed": 1}))
    assert checkpoint_sha256(copy) != checkpoint_sha256(model)
    (copy / "MODEL_CARD.md").write_text("edited")  # the card is documentation, not the model
    (copy / "training_record.json").write_text((model / "training_record.json").read_text())
    assert checkpoint_sha256(copy) == checkpoint_sha256(model)


def test_the_vision_tower_stays_frozen_and_the_language_model_learns(trained, tiny_qwen2_vl):
    base = load_file(tiny_qwen2_vl / "model.safetensors")
    tuned = load_file(Path(trained["model"]) / "model.safetensors")
    assert base.keys() == tuned.keys()
    changed = {name for name in base if not (base[name] == tuned[name]).all()}
    # saved under the checkpoint's names: the vision tower under visual.*, the language model model.layers.*
    assert any(name.startswith("visual.blocks.") for name in base)
    assert changed and all(name.startswith("model.layers.") for name in changed)
    assert any(name.endswith("self_attn.q_proj.weight") for name in changed)


def test_tampered_manifests_stop_training_before_anything_runs(manifests, tmp_path, capsys):
    copy = tmp_path / "manifests"
    shutil.copytree(manifests.folder, copy)
    train_file = copy / "train.jsonl"
    train_file.write_text(train_file.read_text().replace("CMR-FT0", "CMR-FT9"))
    # through `python -m inference finetune`, as an operator runs it
    assert inference_cli(["finetune", "train", str(tmp_path / "run"), "--manifests", str(copy)]) == 2
    assert "changed since it was written" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_the_held_out_evaluation_is_scored_before_and_after(
    trained, tiny_qwen2_vl, manifests, tmp_path, capsys
):
    out = tmp_path / "evaluation"
    common = ["--manifests", str(manifests.folder), "--device", "cpu", "--max-new-tokens", "24"]
    assert (
        finetune_cli(
            ["evaluate", str(out), "--base", str(tiny_qwen2_vl), "--tuned", trained["model"], *common]
        )
        == 0
    )
    before, after = read_outputs(out / "before.jsonl"), read_outputs(out / "after.jsonl")
    assert [row["case_id"] for row in before] == [row["case_id"] for row in after] == ["CMR-FT4"]
    assert after[0]["model_sha256"] == trained["model_sha256"] != before[0]["model_sha256"]

    result = compare_outputs(before, after)
    for name in ("before", "after"):
        headline = result["headline"][name]
        assert 0 <= headline["chrf_en"] <= 1 and 0 <= headline["rouge_l_f1_en"] <= 1
        assert "entity_accuracy_micro" in headline and "diagnosis_percent_agreement" in headline
    call_command("evaluate_finetune", str(out))
    assert "| chrf_en |" in (out / "evaluation.md").read_text()
    assert json.loads((out / "evaluation.json").read_text())["cases"] == 1

    # the model saw the validation split: its reports there are refused
    capsys.readouterr()
    assert (
        finetune_cli(
            [
                "evaluate",
                str(tmp_path / "v"),
                "--tuned",
                trained["model"],
                "--split",
                "validation",
                "--base",
                str(tiny_qwen2_vl),
                *common,
            ]
        )
        == 2
    )
    assert "trained on 1 of these cases" in capsys.readouterr().err


@pytest.mark.parametrize("train_vision", [False, True])
def test_adapters_go_on_the_language_model_and_on_the_vision_tower_only_when_asked(
    tiny_qwen2_5_vl, train_vision
):
    model = _with_adapters(
        AutoModelForImageTextToText.from_pretrained(tiny_qwen2_5_vl, local_files_only=True),
        FinetuneSettings(train_vision=train_vision),
    )
    trainable = [name for name, parameter in model.named_parameters() if parameter.requires_grad]
    assert trainable and all(".lora_" in name for name in trainable)
    assert any(".language_model." in name and "q_proj" in name for name in trainable)
    assert any(".visual.blocks." in name for name in trainable) == train_vision
    assert not any("merger" in name or "lm_head" in name for name in trainable)
