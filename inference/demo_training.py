"""Training the demo model: a small Qwen2-VL trained from scratch on synthetic CMR, on the CPU.

``train_demo(out, cases=N, seed=S)`` draws N synthetic cases (``cmr_reader.domain.synthetic``, balanced
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
import multiprocessing
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cmr_reader.domain.synthetic import balanced_case_params, write_case
from inference import tiny
from inference.backend import Backend
from inference.checkpoint import INPUTS_FILE
from inference.demo_reports import DEMO_INPUT_CONFIG, target_report
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
    cases: int = 800
    seed: int = 0
    steps: int = 900
    batch_size: int = 8
    learning_rate: float = 2e-3
    warmup_steps: int = 60
    weight_decay: float = 0.01
    # Weight of the auxiliary image losses (``VisionProbes``) beside the report's cross-entropy.
    probe_weight: float = 1.0


@dataclass
class Example:
    """One training case: the processor's tensors, which tokens are the report, and the findings
    the vision probes learn to read off the images (``probe_targets``)."""

    tensors: dict[str, torch.Tensor]
    labels: torch.Tensor
    probes: dict[str, float] | None = None


CASE_TYPES = ("normal", "hcm_septal", "hcm_apical", "dcm")
# Thickness targets are scaled to about unit range for the probe's regression.
THICKNESS_CENTRE_MM, THICKNESS_SCALE_MM = 14.0, 6.0


def probe_targets(truth: dict) -> dict[str, float]:
    """What the vision probes learn from a case's ground truth: LGE present, the kind of heart,
    whether the LV is dilated (as the report says it) and the maximal wall thickness."""
    from inference.demo_reports import lv_dilated

    return {
        "lge": float(truth["lge"] == "present"),
        "case_type": float(CASE_TYPES.index(truth["case_type"])),
        "dilated": float(lv_dilated(truth)),
        "thickness": (truth["max_wall_thickness_mm"] - THICKNESS_CENTRE_MM) / THICKNESS_SCALE_MM,
    }


class VisionProbes(torch.nn.Module):
    """Training-only heads on the vision tower's merged tokens (the tokens the language model
    reads), so that the images' findings reach the vision tower directly rather than only through
    the report's few deciding tokens.

    LGE is read from the image items (the LGE slices) by the strongest token (a bright scar is
    local); the kind of heart, dilatation and wall thickness from the cine videos' tokens, mean and
    max pooled. The heads are not saved: the checkpoint stays a plain Qwen2-VL.
    """

    def __init__(self, width: int):
        super().__init__()
        self.lge = torch.nn.Sequential(
            torch.nn.Linear(width, width), torch.nn.GELU(), torch.nn.Linear(width, 1)
        )
        self.cine = torch.nn.Sequential(
            torch.nn.Linear(2 * width, width), torch.nn.GELU(), torch.nn.Linear(width, len(CASE_TYPES) + 2)
        )

    def losses(
        self, *, image_tokens, video_tokens, targets: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """Each probe's loss by name. ``image_tokens`` / ``video_tokens``: per example, its items'
        merged tokens, or None where that case has no item of the kind (its probe is skipped)."""
        functional = torch.nn.functional
        losses = {}
        have = [i for i, tokens in enumerate(image_tokens) if tokens is not None]
        if have:
            lge_logit = torch.stack([self.lge(image_tokens[i]).max() for i in have])
            losses["lge"] = functional.binary_cross_entropy_with_logits(lge_logit, targets["lge"][have])
        have = [i for i, tokens in enumerate(video_tokens) if tokens is not None]
        if have:
            pooled = torch.stack(
                [torch.cat([video_tokens[i].mean(0), video_tokens[i].max(0).values]) for i in have]
            )
            out = self.cine(pooled)
            kinds = len(CASE_TYPES)
            losses["case_type"] = functional.cross_entropy(out[:, :kinds], targets["case_type"][have].long())
            losses["dilated"] = functional.binary_cross_entropy_with_logits(
                out[:, kinds], targets["dilated"][have]
            )
            losses["thickness"] = functional.smooth_l1_loss(out[:, kinds + 1], targets["thickness"][have])
        return losses


def load_cases(
    *, cases: int, seed: int, config: InputConfig, workers: int = THREADS
) -> list[tuple[StudyInputs, dict]]:
    """The model inputs and ground truth of ``cases`` synthetic training cases, in order.

    Each case is drawn from its own seed, so reading them in ``workers`` processes gives the
    same list as reading them one by one (and takes half the time on two cores)."""
    params = balanced_case_params(cases=cases, seed=seed, phases=TRAIN_PHASES)
    if workers <= 1 or cases < 2 * workers:
        return [_read_case(p, config) for p in params]
    # spawn: a forked child of a process holding torch's thread pools is not safe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_read_case, params, [config] * len(params), chunksize=8))


def _read_case(params, config: InputConfig) -> tuple[StudyInputs, dict]:
    """Draw one synthetic case into a scratch folder and read it as generation would."""
    with tempfile.TemporaryDirectory(prefix="demo-case-") as workdir:
        folder = Path(workdir) / "case"
        truth = write_case(folder, params=params)
        return load_study_inputs(folder, config=config), truth


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
        encode_example(backend, prompt.parts, target, probe_targets(truth))
        for prompt, target, (_inputs, truth) in zip(prompts, targets, data, strict=True)
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


def answer_tensors(backend: Backend, parts, answer: str) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """The processor's tensors for the prompt ``parts`` followed by ``answer`` (the model's turn,
    its end marker included), token rows without their batch dimension, and labels that score
    only the answer's tokens. Shared by the demo model's training and LoRA fine-tuning, so both
    learn from exactly what generation sends."""
    prompt = backend._prompt(parts)
    prompt.text += answer
    tensors = backend._processor_inputs([prompt], padding=False)
    input_ids = tensors["input_ids"][0]
    answer_ids = backend.processor.tokenizer(answer, add_special_tokens=False)["input_ids"]
    # The report must tokenise the same on its own as after the prompt, or the labels would shift.
    if input_ids[-len(answer_ids) :].tolist() != answer_ids:
        raise ValueError("the report's tokens depend on the prompt before it")
    labels = torch.full_like(input_ids, IGNORE)
    labels[-len(answer_ids) :] = input_ids[-len(answer_ids) :]
    rows = {
        name: value[0] if name in ("input_ids", "attention_mask", "mm_token_type_ids") else value
        for name, value in tensors.items()
    }
    return rows, labels


def encode_example(backend: Backend, parts, target: str, probes: dict[str, float] | None = None) -> Example:
    tensors, labels = answer_tensors(backend, parts, target + "<|im_end|>")
    # Pixel values are the processor's normalised floats; half precision keeps 800 cases in memory.
    stored = {
        name: value.to(torch.float16) if value.is_floating_point() else value
        for name, value in tensors.items()
    }
    return Example(tensors=stored, labels=labels, probes=probes)


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
    """AdamW with linear warm-up and cosine decay; batches drawn by a seeded permutation.

    With ``settings.probe_weight`` and probe targets on the examples, the vision probes' losses
    are added to the report's cross-entropy (the probes are trained alongside and then dropped)."""
    generator = torch.Generator().manual_seed(settings.seed)
    use_probes = settings.probe_weight > 0 and all(e.probes is not None for e in examples)
    probes = None
    parameters = list(model.parameters())
    if use_probes:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(settings.seed + 1)
            probes = VisionProbes(model.config.text_config.hidden_size)
        parameters += list(probes.parameters())
        probes.train()
    optimiser = torch.optim.AdamW(
        parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay, betas=(0.9, 0.98)
    )

    def rate(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        done = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * done))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    model.train()
    losses: list[float] = []
    probe_losses: list[dict[str, float]] = []
    order: list[int] = []
    started = time.perf_counter()
    for step in range(settings.steps):
        if len(order) < settings.batch_size:
            order += torch.randperm(len(examples), generator=generator).tolist()
        chosen, order = order[: settings.batch_size], order[settings.batch_size :]
        members = [examples[i] for i in chosen]
        batch = collate(members, pad_id=pad_id)
        if probes is None:
            report_loss, parts = model(**batch).loss, {}
        else:
            report_loss, parts = _loss_with_probes(model, probes, members, batch)
            probe_losses.append({name: part.item() for name, part in parts.items()})
        loss = report_loss + settings.probe_weight * sum(parts.values())
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
        schedule.step()
        losses.append(report_loss.item())
        if (step + 1) % 50 == 0 or step + 1 == settings.steps:
            recent = float(np.mean(losses[-50:]))
            names = sorted({name for parts in probe_losses[-50:] for name in parts})
            probe_text = "".join(
                f", {name} {np.mean([p[name] for p in probe_losses[-50:] if name in p]):.3f}"
                for name in names
            )
            progress(
                f"step {step + 1}/{settings.steps}: loss {recent:.4f}{probe_text}"
                f" ({time.perf_counter() - started:.0f} s)"
            )
    return losses


def _loss_with_probes(model, probes: VisionProbes, members: list[Example], batch: dict):
    """The report's loss and the probes' loss, the vision tower run once for both: its outputs
    are handed to the model's forward as ``mm_encoder_outputs``."""
    inner = model.model
    encoded: dict = {}
    per_example: dict[str, list[torch.Tensor | None]] = {
        "image": [None] * len(members),
        "video": [None] * len(members),
    }
    for kind, pixels, grid in (
        ("image", "pixel_values", "image_grid_thw"),
        ("video", "pixel_values_videos", "video_grid_thw"),
    ):
        if pixels not in batch:
            continue
        features = getattr(inner, f"get_{kind}_features")(batch[pixels], batch[grid], return_dict=True)
        encoded[kind] = features
        items = list(features.pooler_output)
        start = 0
        for index, example in enumerate(members):
            count = int(example.tensors[grid].shape[0]) if grid in example.tensors else 0
            if count:
                per_example[kind][index] = torch.cat(items[start : start + count])
            start += count
    inputs = {k: v for k, v in batch.items() if k not in ("pixel_values", "pixel_values_videos")}
    output = model(**inputs, mm_encoder_outputs=encoded)
    # Probes are trained only when every example has probe targets (see ``train``).
    probe_targets = [example.probes for example in members if example.probes is not None]
    assert len(probe_targets) == len(members)
    targets = {
        name: torch.tensor([example_targets[name] for example_targets in probe_targets], dtype=torch.float32)
        for name in probe_targets[0]
    }
    parts = probes.losses(
        image_tokens=per_example["image"], video_tokens=per_example["video"], targets=targets
    )
    return output.loss, parts


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
    scores = []
    examples: list[dict[str, str | None]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="demo-held-out-") as workdir:
        truths = {}
        folders = []
        for index, params in enumerate(balanced_case_params(cases=cases, seed=seed, phases=phases)):
            folder = Path(workdir) / f"case_{index:04d}"
            truths[str(folder)] = write_case(folder, params=params)
            folders.append(folder)
        generated_at = time.perf_counter()
        per_case = []
        for report in generator.run([CaseSource(key=str(folder), source=folder) for folder in folders]):
            truth = truths[report.key]
            score = score_report(report.text, truth)
            scores.append(score)
            per_case.append(
                {
                    "case_type": truth["case_type"],
                    "lge": truth["lge_pattern"] if truth["lge"] == "present" else None,
                    "max_wall_thickness_mm": round(truth["max_wall_thickness_mm"], 1),
                    "lge_correct": score.lge_correct,
                    "diagnosis_correct": score.diagnosis_correct,
                    "thickness_error_mm": score.thickness_error_mm,
                    "report": report.text,
                    "error": report.error,
                }
            )
            if len(examples) < 4:
                examples.append(
                    {"case_type": truth["case_type"], "report": report.text, "error": report.error}
                )
    summary = summarise_scores(scores)
    summary["examples"] = examples
    summary["per_case"] = per_case
    summary["write_seconds"] = round(generated_at - started, 1)
    summary["generate_seconds"] = round(time.perf_counter() - generated_at, 1)
    return summary


def held_out_seed(seed: int) -> int:
    """The batch seed of the held-out cases for a model trained with ``seed``: another batch, so
    none of its cases (``derive_case_seed(seed=..., index=i)``) is a training case."""
    return seed + 7919
