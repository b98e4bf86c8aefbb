"""``python -m inference``: generate one study's report, build a tiny test checkpoint, or train the
demo model. No Django; torch is imported only by the command that needs it."""

import argparse
import json
import sys
from pathlib import Path

from inference.inputs import InputConfig, InputError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference", description="CMR report generation (no Django)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="Print one study's report and its provenance.")
    generate.add_argument(
        "--model",
        type=Path,
        default=None,
        help="Checkpoint folder (AutoProcessor + AutoModelForImageTextToText); default: the bundled demo model.",
    )
    generate.add_argument("--dicom", required=True, type=Path, help="Folder with the study's DICOM files.")
    generate.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N.")
    generate.add_argument("--lang", default="en", help="Prompt template: en, zh, or a template file.")
    generate.add_argument("--max-new-tokens", type=int, default=512)
    # Input settings left unset come from the checkpoint when it records its own (the demo model
    # does, in demo_inputs.json), else from InputConfig's defaults.
    generate.add_argument("--frames-per-cine", default=None, help="A number, or 'all' (default 16).")
    generate.add_argument("--sax-slices", choices=("three", "all"), default=None)
    generate.add_argument("--max-pixels", type=int, default=None, help=f"Default {InputConfig().max_pixels}.")
    generate.add_argument("--cache-dir", type=Path, default=None)
    generate.add_argument("--sample", action="store_true", help="Sample instead of greedy decoding.")
    generate.add_argument("--temperature", type=float, default=1.0)
    generate.add_argument("--seed", type=int, default=None)
    generate.add_argument("--json", action="store_true", help="Print the report and its provenance as JSON.")

    tiny = commands.add_parser("build-tiny", help="Build a tiny random checkpoint for tests, offline.")
    tiny.add_argument("out", type=Path)
    tiny.add_argument(
        "--family", choices=("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "gemma3"), default="qwen2_5_vl"
    )
    tiny.add_argument("--seed", type=int, default=0)

    demo = commands.add_parser(
        "train-demo", help="Train the small demo model on synthetic CMR cases (CPU, minutes), seeded."
    )
    demo.add_argument("out", type=Path, help="Checkpoint folder to write (replaced if it exists).")
    demo.add_argument("--cases", type=int, default=None, help="Synthetic training cases.")
    demo.add_argument("--seed", type=int, default=0, help="Seeds the cases, the weights and the batches.")
    demo.add_argument("--steps", type=int, default=None, help="Optimiser steps.")
    demo.add_argument("--batch-size", type=int, default=None)
    demo.add_argument(
        "--evaluate",
        type=int,
        default=0,
        metavar="N",
        help="Then score N held-out synthetic cases (other seeds).",
    )

    # Listed here; its own parser (inference/finetune/cli.py) reads everything after the word.
    commands.add_parser("finetune", help="LoRA fine-tuning on the site's manifests: train, evaluate.")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["finetune"]:
        from inference.finetune.cli import main as finetune_main

        return finetune_main(argv[1:])

    args = parser.parse_args(argv)
    if args.command == "build-tiny":
        from inference.tiny import build_tiny

        print(build_tiny(args.out, family=args.family, seed=args.seed))
        return 0
    if args.command == "train-demo":
        return _train_demo(args)
    return _generate(args)


def _train_demo(args) -> int:
    from dataclasses import replace

    from inference.demo_training import TrainingSettings, evaluate_demo, held_out_seed, train_demo

    chosen = {"cases": args.cases, "steps": args.steps, "batch_size": args.batch_size}
    settings = replace(TrainingSettings(seed=args.seed), **{k: v for k, v in chosen.items() if v is not None})
    summary = {
        "training": train_demo(
            args.out, settings=settings, progress=lambda line: print(line, file=sys.stderr)
        )
    }
    if args.evaluate:
        held_out = evaluate_demo(args.out, cases=args.evaluate, seed=held_out_seed(args.seed))
        summary["held_out"] = {k: v for k, v in held_out.items() if k != "per_case"}
    print(json.dumps(summary, indent=2))
    return 0


def input_config_for(args, model_path: Path) -> InputConfig:
    """The command's input settings: those given, else the checkpoint's recorded ones, else defaults."""
    from inference.checkpoint import input_config_for_checkpoint

    return input_config_for_checkpoint(
        model_path,
        frames_per_cine=args.frames_per_cine,
        sax_slices=args.sax_slices,
        max_pixels=args.max_pixels,
    )


def _generate(args) -> int:
    from inference.backend import Backend, GenerationSettings
    from inference.demo_reports import DEMO_MODEL_PATH
    from inference.pipeline import CaseSource, ReportGenerator
    from inference.prompts import PromptTemplate

    model_path = args.model or DEMO_MODEL_PATH
    config = input_config_for(args, model_path)
    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens,
        do_sample=args.sample,
        temperature=args.temperature,
        seed=args.seed,
        batch_size=1,
    )
    backend = Backend(model_path, device=args.device)
    generator = ReportGenerator(
        backend,
        template=PromptTemplate.load(args.lang),
        settings=settings,
        input_config=config,
        cache_dir=args.cache_dir,
        preprocess_workers=0,
    )
    try:
        (report,) = generator.run([CaseSource(key=str(args.dicom), source=args.dicom)])
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if report.error:
        print(f"error: {report.error}", file=sys.stderr)
        return 1
    if args.json:
        print(
            json.dumps(
                {"report": report.text, "prompt": report.prompt_text, "provenance": report.provenance},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(report.text)
    return 0
