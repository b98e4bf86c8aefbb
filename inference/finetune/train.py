"""LoRA fine-tuning with PEFT: seeded, resumable, its losses logged, its result a merged checkpoint.

A run lives in one folder::

    OUT/run.json              what the run is (base hash, manifest hashes, settings, inputs);
                              a resumed run must match it
    OUT/losses.jsonl          {"step", "loss", "lr", "seconds"} per step, {"step", "validation_loss"}
    OUT/checkpoints/step-N/   adapters, optimiser, scheduler and random state after step N
    OUT/model/                the merged checkpoint with training_record.json and MODEL_CARD.md

Batches are a function of the step (``data.batch_rows``) and the random state (LoRA dropout) is
saved with each checkpoint, so a resumed run computes the same losses as an uninterrupted one.
On CUDA the model trains in bf16 with gradient checkpointing; on a CPU in fp32.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from safetensors.torch import load_file, save_file

from cmr_reader.domain.training_manifests import Manifests
from inference.backend import Backend
from inference.checkpoint import checkpoint_sha256
from inference.demo_training import collate
from inference.finetune.data import PairEncoder, batch_rows
from inference.finetune.merge import save_merged
from inference.finetune.record import code_version, training_record
from inference.finetune.settings import FinetuneSettings
from inference.inputs import InputConfig
from inference.prompts import PromptTemplate

RUN_FILE = "run.json"
LOSSES_FILE = "losses.jsonl"
CHECKPOINTS = "checkpoints"
MODEL_DIR = "model"
STATE_FILE = "training_state.pt"
ADAPTER_FILE = "adapter.safetensors"
KEEP_CHECKPOINTS = 2


class RunMismatch(ValueError):
    """A resumed run whose base, data or settings differ from the run it would continue."""


def finetune(
    *,
    base: Path,
    manifests: Manifests,
    out: Path,
    settings: FinetuneSettings,
    input_config: InputConfig,
    templates: Mapping[str, PromptTemplate],
    device: str = "auto",
    resume: bool = False,
    stop_after: int | None = None,
    cache_dir: Path | None = None,
    dicom_root: Path | None = None,
    progress: Callable[[str], None] = print,
) -> dict:
    """Train (or continue training) into ``out``; returns the run's summary. With ``stop_after``
    it stops after that step, leaving a checkpoint to resume from; after the last step it merges."""
    out = Path(out)
    base_sha256 = checkpoint_sha256(base)
    identity = {
        "base_sha256": base_sha256,
        "manifests": manifests.hashes(),
        "settings": settings.as_dict(),
        "inputs": input_config.as_dict(),
        "templates": {language: template.sha256 for language, template in sorted(templates.items())},
    }
    if not manifests.rows.get("train"):
        raise ValueError("the train manifest is empty: nothing to fine-tune on")
    start_step = _prepare_folder(out, identity, resume=resume)
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        backend = Backend(base, device=device)
        model = _with_adapters(backend.model, settings)
        encoder = PairEncoder(
            backend,
            dicom_root=dicom_root or manifests.dicom_root,
            input_config=input_config,
            templates=templates,
            cache_dir=cache_dir,
        )
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW(
            trainable, lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, _rate(settings))
        torch.manual_seed(settings.seed)
        if start_step:
            _load_state(out, start_step, model, optimiser, schedule)
            progress(f"resumed from step {start_step}")
        log = _LossLog(out / LOSSES_FILE, keep_until=start_step)
        summary = _fit(
            model,
            encoder,
            manifests,
            optimiser=optimiser,
            schedule=schedule,
            settings=settings,
            start_step=start_step,
            last_step=min(settings.steps, stop_after or settings.steps),
            out=out,
            log=log,
            progress=progress,
        )
        if summary["step"] < settings.steps:
            return summary
        record = training_record(
            base_path=base,
            base_sha256=base_sha256,
            manifests=manifests,
            settings=settings,
            input_config=input_config,
            templates=templates,
            device={"type": backend.device.type, "dtype": str(backend.dtype).removeprefix("torch.")},
            left_out=encoder.unreadable,
            code=code_version(),
        )
        losses = log.read()
        train = [entry["loss"] for entry in losses if "loss" in entry]
        validation = [entry["validation_loss"] for entry in losses if "validation_loss" in entry]
        summary["losses"] = {
            "first": train[0] if train else None,
            "last": train[-1] if train else None,
            "validation_first": validation[0] if validation else None,
            "validation_last": validation[-1] if validation else None,
        }
        model_dir = save_merged(
            model, backend.processor, out / MODEL_DIR, record=record, input_config=input_config, run=summary
        )
        summary["model"] = str(model_dir)
        summary["model_sha256"] = checkpoint_sha256(model_dir)
        summary["left_out_unreadable"] = encoder.unreadable
        progress(f"merged checkpoint written to {model_dir}")
        return summary
    finally:
        torch.use_deterministic_algorithms(deterministic)


def _prepare_folder(out: Path, identity: dict, *, resume: bool) -> int:
    """The step to start after: 0 for a new run (``out`` new or empty), the latest checkpoint's
    step for a resumed one, whose ``run.json`` must match ``identity``."""
    run_file = out / RUN_FILE
    if resume:
        if not run_file.is_file():
            raise RunMismatch(f"{out} holds no run to resume")
        recorded = json.loads(run_file.read_text(encoding="utf-8"))
        changed = sorted(key for key in identity if recorded.get(key) != identity[key])
        if changed:
            raise RunMismatch(
                f"the run in {out} was started with other {', '.join(changed)}; start a new run"
            )
        steps = [int(path.name.removeprefix("step-")) for path in (out / CHECKPOINTS).glob("step-*")]
        return max(steps, default=0)
    if out.exists() and any(out.iterdir()):
        raise RunMismatch(f"{out} is not empty: resume the run in it (--resume) or choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(identity, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def _with_adapters(model, settings: FinetuneSettings):
    """The base model, frozen, with LoRA adapters on the language model (and the vision tower when
    asked); adapter weights drawn from the run's seed."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    config = LoraConfig(
        r=settings.lora_rank,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=settings.target_modules(),
        bias="none",
    )
    if next(model.parameters()).device.type == "cuda" and settings.gradient_checkpointing:
        # Non-reentrant: gradients reach the adapters though the frozen inputs need none.
        enable = getattr(model, "activation_checkpointing_enable", None)
        if enable is not None:
            enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.config.use_cache = False
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        # PEFT asks for transformers' old name of the checkpointing flag, which warns until v6.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
        torch.manual_seed(settings.seed)
        model = get_peft_model(model, config)
    model.train()
    return model


def _rate(settings: FinetuneSettings) -> Callable[[int], float]:
    def rate(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        done = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
        return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, done)))

    return rate


def _fit(
    model,
    encoder: PairEncoder,
    manifests: Manifests,
    *,
    optimiser,
    schedule,
    settings,
    start_step,
    last_step,
    out,
    log,
    progress,
) -> dict:
    rows = manifests.rows["train"]
    validation = manifests.rows.get("validation", [])[: settings.validation_cases]
    device = next(model.parameters()).device
    pad_id = encoder.backend.processor.tokenizer.pad_token_id
    started = time.perf_counter()
    step = start_step
    every = max(1, min(10, settings.steps // 20))
    if start_step == 0 and settings.validate_every and validation:
        # The base model's validation loss: what training starts from.
        log.write({"step": 0, "validation_loss": validation_loss(model, encoder, validation, pad_id=pad_id)})
    for step in range(start_step + 1, last_step + 1):
        step_started = time.perf_counter()
        losses = []
        for micro in range(settings.accumulate):
            indices = batch_rows(
                step,
                micro,
                count=len(rows),
                batch_size=settings.batch_size,
                accumulate=settings.accumulate,
                seed=settings.seed,
            )
            examples = [e for e in (encoder.encode(rows[i]) for i in indices) if e is not None]
            if not examples:
                continue
            batch = {name: value.to(device) for name, value in collate(examples, pad_id=pad_id).items()}
            loss = model(**batch).loss
            (loss / settings.accumulate).backward()
            losses.append(loss.item())
        if losses:
            torch.nn.utils.clip_grad_norm_(
                [p for p in model.parameters() if p.requires_grad], settings.max_grad_norm
            )
            optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        schedule.step()
        loss_value = sum(losses) / len(losses) if losses else None
        log.write(
            {
                "step": step,
                "loss": loss_value,
                "lr": schedule.get_last_lr()[0],
                "seconds": round(time.perf_counter() - step_started, 4),
            }
        )
        if (
            settings.validate_every
            and validation
            and (step % settings.validate_every == 0 or step == settings.steps)
        ):
            log.write(
                {"step": step, "validation_loss": validation_loss(model, encoder, validation, pad_id=pad_id)}
            )
        if step % every == 0 or step == last_step:
            rate = (step - start_step) / (time.perf_counter() - started)
            left = (settings.steps - step) / rate if rate else float("nan")
            progress(
                f"step {step}/{settings.steps}: loss {_text(loss_value)} ({rate:.2f} steps/s, {left:.0f} s left)"
            )
        if step % settings.save_every == 0 or step == last_step:
            _save_state(out, step, model, optimiser, schedule)
    seconds = time.perf_counter() - started
    done = step - start_step
    return {
        "step": step,
        "steps_this_time": done,
        "train_seconds": round(seconds, 2),
        "steps_per_second": round(done / seconds, 4) if done and seconds else None,
        "unreadable_cases": len(encoder.unreadable),
    }


def validation_loss(model, encoder: PairEncoder, rows, *, pad_id: int) -> float | None:
    """Mean report loss over ``rows``, one case at a time, dropout off; the random state untouched."""
    device = next(model.parameters()).device
    total, count = 0.0, 0
    model.eval()
    try:
        with torch.no_grad():
            for row in rows:
                example = encoder.encode(row)
                if example is None:
                    continue
                batch = {name: value.to(device) for name, value in collate([example], pad_id=pad_id).items()}
                total += model(**batch).loss.item()
                count += 1
    finally:
        model.train()
    return total / count if count else None


def _save_state(out: Path, step: int, model, optimiser, schedule) -> None:
    """Adapters, optimiser, scheduler and random state after ``step``, written whole (a temporary
    folder renamed) so that a crash mid-save leaves the previous checkpoint as the latest."""
    folder = out / CHECKPOINTS / f"step-{step:06d}"
    staging = out / CHECKPOINTS / f".step-{step:06d}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    save_file(
        {k: v.detach().contiguous().cpu() for k, v in get_peft_model_state_dict(model).items()},
        staging / ADAPTER_FILE,
    )
    state = {
        "step": step,
        "optimiser": optimiser.state_dict(),
        "schedule": schedule.state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    torch.save(state, staging / STATE_FILE)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    for old in sorted((out / CHECKPOINTS).glob("step-*"))[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old)


def _load_state(out: Path, step: int, model, optimiser, schedule) -> None:
    folder = out / CHECKPOINTS / f"step-{step:06d}"
    device = next(model.parameters()).device
    set_peft_model_state_dict(model, load_file(folder / ADAPTER_FILE, device=str(device)))
    state = torch.load(folder / STATE_FILE, map_location="cpu", weights_only=True)
    optimiser.load_state_dict(state["optimiser"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["rng_cpu"])
    if state["rng_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])


class _LossLog:
    """losses.jsonl, cut back to ``keep_until`` on resume (steps after the checkpoint are redone)."""

    def __init__(self, path: Path, *, keep_until: int):
        self.path = path
        # Nothing is kept before the first checkpoint: the run starts over, validation at step 0 too.
        kept = [entry for entry in self.read() if entry["step"] <= keep_until] if keep_until else []
        path.write_text("".join(json.dumps(entry) + "\n" for entry in kept), encoding="utf-8")

    def read(self) -> list[dict]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def write(self, entry: dict) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def _text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
