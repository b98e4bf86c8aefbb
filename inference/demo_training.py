"""Training the demo model: a small Qwen2-VL trained from scratch on synthetic CMR, on the CPU.

``train_demo(out, cases=N, seed=S)`` draws N synthetic cases (``cmr_reader.synthetic``, balanced
over normal, septal HCM, apical HCM and DCM), reads each through ``load_study_inputs`` with
``DEMO_INPUT_CONFIG`` and renders the shipped English prompt exactly as ``ReportGenerator`` does
(the backend's own prompt builder and processor), so that what the model sees in training is what
it sees when it generates. It learns to write ``demo_reports.target_report`` of the case's ground
truth (cross-entropy on the report's tokens only). The checkpoint loads through
``AutoProcessor`` / ``AutoModelForImageTextToText`` like any other.

Everything random is seeded: the same arguments give the same files (the CPU kernels are run
with a fixed thread count and deterministic algorithms).
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cmr_reader.synthetic import balanced_case_params, write_case
from inference import tiny
from inference.backend import Backend
from inference.demo_reports import DEMO_INPUT_CONFIG, INPUTS_FILE, target_report
from inference.inputs import InputConfig, StudyInputs, load_study_inputs
from inference.prompts import PromptTemplate, render_prompt
from inference.tiny import CHAT_TEMPLATE, SPECIAL_TOKENS

# Cine phases drawn per synthetic training case: the demo reads 2 frames per cine (phase 0 and
# the middle of the cycle), which 4 drawn phases give as well as 25 at a sixth of the rendering.
TRAIN_PHASES = 4
VOCAB_SIZE = 768
TEXT_HIDDEN, TEXT_LAYERS, TEXT_HEADS = 128, 3, 4
VISION_EMBED, VISION_DEPTH, VISION_HEADS = 96, 3, 4
THREADS = 2
IGNORE = -100


@dataclass(frozen=True)
class TrainingSettings:
    cases: int = 400
    seed: int = 0
    steps: int = 1000
    batch_size: int = 8
    learning_rate: float = 2e-3
    warmup_steps: int = 60
    weight_decay: float = 0.01


@dataclass
class Example:
    """One training case: the processor's tensors and which tokens are the report."""

    tensors: dict[str, torch.Tensor]
    labels: torch.Tensor


def synthetic_cases(*, cases: int, seed: int, phases: int | None, workdir: Path):
    """Yield (case folder, ground truth) for ``cases`` balanced synthetic cases, as
    ``cmr_reader.synthetic.write_cases`` draws them; each folder is removed when the next is made."""
    for index, params in enumerate(balanced_case_params(cases=cases, seed=seed, phases=phases)):
        folder = Path(workdir) / f"case_{index:04d}"
        truth = write_case(folder, params=params)
        try:
            yield folder, truth
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def load_cases(*, cases: int, seed: int, config: InputConfig) -> list[tuple[StudyInputs, dict]]:
    """The model inputs and ground truth of ``cases`` synthetic training cases."""
    with tempfile.TemporaryDirectory(prefix="demo-cases-") as workdir:
        return [
            (load_study_inputs(folder, config=config), truth)
            for folder, truth in synthetic_cases(
                cases=cases, seed=seed, phases=TRAIN_PHASES, workdir=Path(workdir)
            )
        ]


def train_demo(out: Path, *, settings: TrainingSettings, progress=print, data=None) -> dict:
    """Train the demo model into ``out`` (created or replaced) and return a summary of the run.

    ``data`` (``load_cases``' result) may be passed in when it is already at hand."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(out, settings=settings, progress=progress, data=data)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _train(out: Path, *, settings: TrainingSettings, progress, data) -> dict:
    started = time.perf_counter()
    template = PromptTemplate.load("en")
    if data is None:
        data = load_cases(cases=settings.cases, seed=settings.seed, config=DEMO_INPUT_CONFIG)
    prepared_at = time.perf_counter()
    progress(f"{len(data)} synthetic cases read in {prepared_at - started:.0f} s")
    prompts = [render_prompt(template, inputs) for inputs, _truth in data]
    targets = [target_report(truth) for _inputs, truth in data]
    tokenizer = build_tokenizer([p.text for p in prompts] + targets + [template.text])
    processor = build_processor(tokenizer, config=DEMO_INPUT_CONFIG)
    model = build_model(tokenizer, seed=settings.seed)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # The backend's own prompt builder: the training text is byte for byte what generation sends.
    backend = Backend.from_loaded(model, processor, model_path=out)
    examples = [
        encode_example(backend, prompt.parts, target) for prompt, target in zip(prompts, targets, strict=True)
    ]
    del data
    losses = fit(model, examples, settings=settings, pad_id=tokenizer.pad_token_id, progress=progress)
    save_checkpoint(model.eval(), processor, out)
    finished = time.perf_counter()
    return {
        "cases": settings.cases,
        "seed": settings.seed,
        "steps": settings.steps,
        "batch_size": settings.batch_size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "prompt_tokens_mean": float(
            np.mean([len(e.labels) - int((e.labels != IGNORE).sum()) for e in examples])
        ),
        "data_seconds": round(prepared_at - started, 1),
        "train_seconds": round(finished - prepared_at, 1),
        "total_seconds": round(finished - started, 1),
        "final_loss": round(float(np.mean(losses[-50:])), 4),
    }


def encode_example(backend: Backend, parts, target: str) -> Example:
    prompt = backend._prompt(parts)
    answer = target + "<|im_end|>"
    prompt.text += answer
    tensors = backend._processor_inputs([prompt], padding=False)
    input_ids = tensors["input_ids"][0]
    answer_ids = backend.processor.tokenizer(answer, add_special_tokens=False)["input_ids"]
    # The report must tokenise the same on its own as after the prompt, or the labels would shift.
    if input_ids[-len(answer_ids) :].tolist() != answer_ids:
        raise ValueError("the report's tokens depend on the prompt before it")
    labels = torch.full_like(input_ids, IGNORE)
    labels[-len(answer_ids) :] = input_ids[-len(answer_ids) :]
    stored = {}
    for name, value in tensors.items():
        value = value[0] if name in ("input_ids", "attention_mask", "mm_token_type_ids") else value
        # Pixel values are the processor's normalised floats; half precision keeps 600 cases in memory.
        stored[name] = value.to(torch.float16) if value.is_floating_point() else value
    return Example(tensors=stored, labels=labels)


def collate(examples: list[Example], *, pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded token rows and the examples' visual patches concatenated in batch order."""
    width = max(len(e.labels) for e in examples)
    batch: dict[str, torch.Tensor] = {}

    def padded(name: str, fill: int) -> torch.Tensor:
        rows = torch.full((len(examples), width), fill, dtype=torch.long)
        for row, example in enumerate(examples):
            value = example.labels if name == "labels" else example.tensors[name]
            rows[row, : len(value)] = value
        return rows

    batch["input_ids"] = padded("input_ids", pad_id)
    batch["attention_mask"] = padded("attention_mask", 0)
    batch["labels"] = padded("labels", IGNORE)
    if all("mm_token_type_ids" in e.tensors for e in examples):
        batch["mm_token_type_ids"] = padded("mm_token_type_ids", 0)
    # A study may lack videos or images (a series the rules did not recognise): concatenate what there is.
    for name in sorted({name for e in examples for name in e.tensors} - set(batch)):
        batch[name] = torch.cat([e.tensors[name] for e in examples if name in e.tensors])
        if batch[name].is_floating_point():
            batch[name] = batch[name].float()
    return batch


def fit(
    model, examples: list[Example], *, settings: TrainingSettings, pad_id: int, progress=print
) -> list[float]:
    """AdamW with linear warm-up and cosine decay; batches drawn by a seeded permutation."""
    generator = torch.Generator().manual_seed(settings.seed)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay, betas=(0.9, 0.98)
    )

    def rate(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        done = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * done))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    model.train()
    losses: list[float] = []
    order: list[int] = []
    started = time.perf_counter()
    for step in range(settings.steps):
        if len(order) < settings.batch_size:
            order += torch.randperm(len(examples), generator=generator).tolist()
        chosen, order = order[: settings.batch_size], order[settings.batch_size :]
        batch = collate([examples[i] for i in chosen], pad_id=pad_id)
        loss = model(**batch).loss
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if (step + 1) % 50 == 0 or step + 1 == settings.steps:
            recent = float(np.mean(losses[-50:]))
            progress(
                f"step {step + 1}/{settings.steps}: loss {recent:.4f} ({time.perf_counter() - started:.0f} s)"
            )
    return losses


def build_tokenizer(corpus: list[str]):
    """The tiny checkpoints' byte-level BPE, trained on the prompts and reports."""
    # The chat markup is made of special tokens; leaving it out keeps the merges for real words.
    plain = []
    for text in corpus:
        for token in SPECIAL_TOKENS:
            text = text.replace(token, " ")
        plain.append(text)
    return tiny.build_tokenizer(plain, vocab_size=VOCAB_SIZE, model_max_length=8192)


def build_processor(tokenizer, *, config: InputConfig):
    """Qwen2-VL's processor, sized so that the pipeline's frames pass through unresized."""
    from transformers import Qwen2VLImageProcessor, Qwen2VLProcessor, Qwen2VLVideoProcessor

    pixels = {"shortest_edge": 28 * 28, "longest_edge": config.max_pixels}
    return Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(size=dict(pixels)),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(size=dict(pixels), cap_pixels_per_frame=True),
        chat_template=CHAT_TEMPLATE,
    )


def build_model(tokenizer, *, seed: int):
    from transformers import GenerationConfig, Qwen2VLConfig, Qwen2VLForConditionalGeneration

    token_id = tokenizer.convert_tokens_to_ids
    head_half = TEXT_HIDDEN // TEXT_HEADS // 2
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": TEXT_HIDDEN,
        "intermediate_size": 3 * TEXT_HIDDEN,
        "num_hidden_layers": TEXT_LAYERS,
        "num_attention_heads": TEXT_HEADS,
        "num_key_value_heads": TEXT_HEADS,
        "max_position_embeddings": 4096,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 10_000.0,
            # temporal, height and width shares of the rotary half of each head
            "mrope_section": [
                head_half // 4,
                3 * head_half // 8,
                head_half - head_half // 4 - 3 * head_half // 8,
            ],
        },
        "tie_word_embeddings": True,
        "bos_token_id": token_id("<|endoftext|>"),
        "eos_token_id": token_id("<|im_end|>"),
        "pad_token_id": token_id("<|endoftext|>"),
    }
    vision_config = {
        "depth": VISION_DEPTH,
        "embed_dim": VISION_EMBED,
        "num_heads": VISION_HEADS,
        "mlp_ratio": 2,
        "hidden_size": TEXT_HIDDEN,
        "patch_size": 14,
        "temporal_patch_size": 2,
        "spatial_merge_size": 2,
    }
    config = Qwen2VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=token_id("<|image_pad|>"),
        video_token_id=token_id("<|video_pad|>"),
        vision_start_token_id=token_id("<|vision_start|>"),
        vision_end_token_id=token_id("<|vision_end|>"),
        tie_word_embeddings=True,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2VLForConditionalGeneration(config)
    end_ids = [token_id("<|im_end|>"), token_id("<|endoftext|>")]
    model.generation_config = GenerationConfig(
        bos_token_id=end_ids[1], eos_token_id=end_ids, pad_token_id=end_ids[1], do_sample=False
    )
    return model


def save_checkpoint(model, processor, out: Path) -> None:
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    (out / INPUTS_FILE).write_text(json.dumps(DEMO_INPUT_CONFIG.as_dict(), indent=2) + "\n", encoding="utf-8")


def evaluate_demo(
    model_path: Path, *, cases: int, seed: int, phases: int | None = None, batch_size: int = 8
) -> dict:
    """Reports on ``cases`` held-out synthetic cases written to disk and read back exactly as
    ``python -m inference generate`` reads a study, scored against their ground truth."""
    from inference.demo_reports import score_report, summarise_scores
    from inference.generation_settings import GenerationSettings
    from inference.pipeline import CaseSource, ReportGenerator

    torch.set_num_threads(THREADS)
    backend = Backend(model_path, device="cpu")
    generator = ReportGenerator(
        backend,
        template=PromptTemplate.load("en"),
        settings=GenerationSettings(max_new_tokens=160, batch_size=batch_size),
        input_config=DEMO_INPUT_CONFIG,
        preprocess_workers=0,
    )
    scores, examples = [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="demo-held-out-") as workdir:
        truths = {}
        folders = []
        for index, params in enumerate(balanced_case_params(cases=cases, seed=seed, phases=phases)):
            folder = Path(workdir) / f"case_{index:04d}"
            truths[str(folder)] = write_case(folder, params=params)
            folders.append(folder)
        generated_at = time.perf_counter()
        for report in generator.run([CaseSource(key=str(folder), source=folder) for folder in folders]):
            truth = truths[report.key]
            scores.append(score_report(report.text, truth))
            if len(examples) < 4:
                examples.append(
                    {"case_type": truth["case_type"], "report": report.text, "error": report.error}
                )
    summary = summarise_scores(scores)
    summary["examples"] = examples
    summary["write_seconds"] = round(generated_at - started, 1)
    summary["generate_seconds"] = round(time.perf_counter() - generated_at, 1)
    return summary


def held_out_seed(seed: int) -> int:
    """The batch seed of the held-out cases for a model trained with ``seed``: another batch, so
    none of its cases (``derive_case_seed(seed=..., index=i)``) is a training case."""
    return seed + 7919
