"""``python -m inference finetune train|evaluate``: LoRA fine-tuning and its held-out reports.

torch, transformers and peft are imported only once a command runs, so ``--help`` is quick.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cmr_reader.domain.training_manifests import read_manifests
from inference.checkpoint import input_config_for_checkpoint
from inference.finetune.settings import FinetuneSettings
from inference.generation_settings import GenerationSettings
from inference.prompts import PromptTemplate


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference finetune",
        description="LoRA fine-tuning on the site's manifests (manage.py prepare_finetune_data).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    defaults = FinetuneSettings()

    train = commands.add_parser("train", help="Fine-tune a checkpoint; resumable; writes OUT/model.")
    train.add_argument("out", type=Path, help="Run folder (new, or the one to --resume).")
    train.add_argument("--base", type=Path, default=None, help="Base checkpoint; default: the demo model.")
    train.add_argument("--manifests", type=Path, required=True, help="Folder of prepare_finetune_data.")
    train.add_argument(
        "--resume", action="store_true", help="Continue the run in OUT from its last checkpoint."
    )
    train.add_argument(
        "--stop-after", type=int, default=None, metavar="STEP", help="Stop after this step (resumable)."
    )
    train.add_argument("--steps", type=int, default=defaults.steps)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--accumulate", type=int, default=defaults.accumulate, help="Micro-batches per step.")
    train.add_argument("--lr", type=float, default=defaults.learning_rate)
    train.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps)
    train.add_argument("--rank", type=int, default=defaults.lora_rank)
    train.add_argument("--alpha", type=int, default=defaults.lora_alpha)
    train.add_argument("--dropout", type=float, default=defaults.lora_dropout)
    train.add_argument(
        "--train-vision", action="store_true", help="Adapt the vision tower too (frozen by default)."
    )
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--save-every", type=int, default=defaults.save_every)
    train.add_argument("--validate-every", type=int, default=defaults.validate_every)
    train.add_argument("--validation-cases", type=int, default=defaults.validation_cases)
    train.add_argument("--no-gradient-checkpointing", action="store_true")
    _common(train)

    evaluate = commands.add_parser(
        "evaluate", help="Reports of the base and the fine-tuned model on the held-out split (before/after)."
    )
    evaluate.add_argument("out", type=Path, help="Folder for before.jsonl and after.jsonl.")
    evaluate.add_argument("--base", type=Path, default=None, help="Base checkpoint; default: the demo model.")
    evaluate.add_argument("--tuned", type=Path, required=True, help="The fine-tuned checkpoint (OUT/model).")
    evaluate.add_argument("--manifests", type=Path, required=True)
    evaluate.add_argument("--split", choices=("test", "validation"), default="test")
    evaluate.add_argument("--limit", type=int, default=None, help="At most this many cases.")
    evaluate.add_argument("--max-new-tokens", type=int, default=512)
    evaluate.add_argument("--batch-size", type=int, default=4)
    _common(evaluate)

    args = parser.parse_args(argv)
    try:
        manifests = read_manifests(args.manifests)
    except (OSError, ValueError) as error:  # ManifestError, or a file that is not JSON
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "train":
        return _train(args, manifests)
    return _evaluate(args, manifests)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N.")
    parser.add_argument(
        "--dicom-root", type=Path, default=None, help="Where the manifests' files are, if moved."
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="Frame cache (decoded inputs).")
    parser.add_argument("--frames-per-cine", default=None, help="A number or 'all'; default: the base's.")
    parser.add_argument("--sax-slices", choices=("three", "all"), default=None)
    parser.add_argument("--max-pixels", type=int, default=None)


def _base(args) -> Path:
    from inference.demo_reports import DEMO_MODEL_PATH

    return args.base or DEMO_MODEL_PATH


def _train(args, manifests) -> int:
    from inference.finetune.data import shipped_templates
    from inference.finetune.train import finetune

    base = _base(args)
    settings = FinetuneSettings(
        steps=args.steps,
        batch_size=args.batch_size,
        accumulate=args.accumulate,
        learning_rate=args.lr,
        warmup_steps=args.warmup_steps,
        lora_rank=args.rank,
        lora_alpha=args.alpha,
        lora_dropout=args.dropout,
        train_vision=args.train_vision,
        seed=args.seed,
        save_every=args.save_every,
        validate_every=args.validate_every,
        validation_cases=args.validation_cases,
        gradient_checkpointing=not args.no_gradient_checkpointing,
    )
    config = input_config_for_checkpoint(
        base, frames_per_cine=args.frames_per_cine, sax_slices=args.sax_slices, max_pixels=args.max_pixels
    )
    try:
        summary = finetune(
            base=base,
            manifests=manifests,
            out=args.out,
            settings=settings,
            input_config=config,
            templates=shipped_templates(),
            device=args.device,
            resume=args.resume,
            stop_after=args.stop_after,
            cache_dir=args.cache_dir,
            dicom_root=args.dicom_root,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except ValueError as error:  # RunMismatch, an empty train manifest
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


def _evaluate(args, manifests) -> int:
    from inference.backend import Backend
    from inference.finetune.data import shipped_templates
    from inference.finetune.evaluate import held_out_reports, write_rows

    # Both models read the cases as the fine-tuned one was trained to (its recorded settings).
    config = input_config_for_checkpoint(
        args.tuned,
        frames_per_cine=args.frames_per_cine,
        sax_slices=args.sax_slices,
        max_pixels=args.max_pixels,
    )
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size)
    templates: dict[str, PromptTemplate] = shipped_templates()
    counts = {}
    # The fine-tuned model first: a split it saw is refused before anything is generated.
    for name, model in (("after", args.tuned), ("before", _base(args))):
        try:
            rows = held_out_reports(
                Backend(model, device=args.device),
                manifests,
                input_config=config,
                templates=templates,
                settings=settings,
                split=args.split,
                limit=args.limit,
                dicom_root=args.dicom_root,
                cache_dir=args.cache_dir,
            )
        except ValueError as error:
            print(f"error: {name} ({model}): {error}", file=sys.stderr)
            return 2
        write_rows(args.out / f"{name}.jsonl", rows)
        counts[name] = {"cases": len(rows), "failed": sum(1 for row in rows if row["error"])}
    print(json.dumps({"out": str(args.out), "reports": counts}, indent=2))
    return 0
