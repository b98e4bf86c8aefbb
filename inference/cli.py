"""``python -m inference``: generate one study's report, or build a tiny test checkpoint. No Django."""

import argparse
import json
import sys
from pathlib import Path

from inference.inputs import InputConfig, InputError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference", description="CMR report generation (no Django).")
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="Print one study's report and its provenance.")
    generate.add_argument("--model", required=True, type=Path, help="Checkpoint folder (AutoProcessor + AutoModelForImageTextToText).")
    generate.add_argument("--dicom", required=True, type=Path, help="Folder with the study's DICOM files.")
    generate.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N.")
    generate.add_argument("--lang", default="en", help="Prompt template: en, zh, or a template file.")
    generate.add_argument("--max-new-tokens", type=int, default=512)
    generate.add_argument("--frames-per-cine", default="16", help="A number, or 'all'.")
    generate.add_argument("--sax-slices", choices=("three", "all"), default="three")
    generate.add_argument("--max-pixels", type=int, default=InputConfig().max_pixels)
    generate.add_argument("--cache-dir", type=Path, default=None)
    generate.add_argument("--sample", action="store_true", help="Sample instead of greedy decoding.")
    generate.add_argument("--temperature", type=float, default=1.0)
    generate.add_argument("--seed", type=int, default=None)
    generate.add_argument("--json", action="store_true", help="Print the report and its provenance as JSON.")

    tiny = commands.add_parser("build-tiny", help="Build a tiny random checkpoint for tests, offline.")
    tiny.add_argument("out", type=Path)
    tiny.add_argument("--family", choices=("qwen2_vl", "qwen2_5_vl"), default="qwen2_5_vl")
    tiny.add_argument("--seed", type=int, default=0)

    args = parser.parse_args(argv)
    if args.command == "build-tiny":
        from inference.tiny import build_tiny

        print(build_tiny(args.out, family=args.family, seed=args.seed))
        return 0
    return _generate(args)


def _generate(args) -> int:
    from inference.backend import Backend, GenerationSettings
    from inference.pipeline import CaseSource, ReportGenerator
    from inference.prompts import PromptTemplate

    frames = None if args.frames_per_cine == "all" else int(args.frames_per_cine)
    config = InputConfig(frames_per_cine=frames, sax_slices=args.sax_slices, max_pixels=args.max_pixels)
    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens,
        do_sample=args.sample,
        temperature=args.temperature,
        seed=args.seed,
        batch_size=1,
    )
    backend = Backend(args.model, device=args.device)
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
        print(json.dumps({"report": report.text, "prompt": report.prompt_text, "provenance": report.provenance}, indent=2, ensure_ascii=False))
    else:
        print(report.text)
    return 0
