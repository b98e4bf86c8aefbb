"""End-to-end report generation on the CPU with the tiny model: throughput and where time goes.

    python bench/bench_inference_cpu.py [--cases 8] [--max-new-tokens 64] [--workers 1] [--batch-size 4|auto]
    python bench/bench_inference_cpu.py --compare-decoders [--cases 8] [--max-new-tokens 512] [--repeats 3]

Writes N synthetic studies at clinical size (default matrix and phases of cmr_reader.domain.synthetic:
SAX stack, long-axis cines, LGE), builds the tiny Qwen2.5-VL checkpoint, and runs the pipeline
(inputs and the processor in a worker process, generation in this one, batch 4, fixed decode
length) twice: a
first run with an empty frame cache, and a rerun served by the cache. For each it prints cases
per minute, the main process's time waiting for prepared inputs (the share of wall time the
model was starved by preprocessing; goal <= 20% after the first run) and the workers' own
decoding time. The tiny model is fast, so this is a worst case for the share of preprocessing.

It then times the main process's own share of preparing each case, on the rerun's prompts:
before (the processor run in the main process on each case to sort by length, then again on each
padded batch) and now (the input workers run the processor once per case; the main process only
joins the per-case tensors, ``inference.batching.collate``). Medians per case over 5 repeats.

``--compare-decoders`` instead times the two decoders (``GenerationSettings.decoding``) on one
batch of ``--cases`` studies, torch on one thread: transformers' ``generate``, which computes
every row until the batch's longest report is done, and ``inference.decoding.decode``
("drop_finished"), which drops each row once it has finished. Random weights never say "end", so
each case stops at a report length drawn as ``bench_inference_gpu.py`` draws them (log-normal,
median 220 tokens, clipped to [48, --max-new-tokens]; ``Backend.row_stop``). For each: wall
seconds of ``Backend.generate`` (median of ``--repeats``), row-steps computed (rows x forward
passes, the prefill included) and the share of them spent on rows that had already finished;
then the same with every row at the longest drawn length (a control: nothing to drop).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    # Imported here, not at the top: the input workers are spawned and re-import this module,
    # and they must not pay for importing torch.
    from cmr_reader.domain.synthetic import write_cases
    from inference.backend import Backend
    from inference.batching import parse_batch_size
    from inference.generation_settings import GenerationSettings
    from inference.inputs import InputConfig
    from inference.pipeline import CaseSource, ReportGenerator
    from inference.prompts import PromptTemplate
    from inference.tiny import build_tiny

    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=None, help="64; 512 with --compare-decoders")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=parse_batch_size, default=4)
    parser.add_argument("--compare-decoders", action="store_true", help="time the two decoders only")
    parser.add_argument("--repeats", type=int, default=3, help="with --compare-decoders")
    args = parser.parse_args()
    if args.compare_decoders:
        compare_decoders(cases=args.cases, max_new_tokens=args.max_new_tokens or 512, repeats=args.repeats)
        return
    args.max_new_tokens = args.max_new_tokens or 64

    with tempfile.TemporaryDirectory(prefix="cmr-bench-inference-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        studies = write_cases(root / "studies", cases=args.cases, seed=3)
        files = sum(len(list(s.glob("*.dcm"))) for s in studies)
        print(
            f"{args.cases} synthetic studies, {files} DICOM files, written in {time.perf_counter() - started:.1f} s"
        )
        model = build_tiny(root / "tiny", family="qwen2_5_vl", seed=0)
        backend = Backend(model, device="cpu")
        settings = GenerationSettings(
            max_new_tokens=args.max_new_tokens, min_new_tokens=args.max_new_tokens, batch_size=args.batch_size
        )
        cases = [CaseSource(f"case{i}", study) for i, study in enumerate(studies)]
        for label in ("first run (empty cache)", "rerun (frame cache)"):
            generator = ReportGenerator(
                backend,
                template=PromptTemplate.load("en"),
                settings=settings,
                input_config=InputConfig(),
                cache_dir=root / "cache",
                preprocess_workers=args.workers,
            )
            started = time.perf_counter()
            reports = list(generator.run(cases))
            wall = time.perf_counter() - started
            failed = [r.key for r in reports if r.error]
            decode = sum(r.provenance["timings"]["decode_seconds"] for r in reports if r.provenance)
            tokens = sum(r.provenance["tokens"]["generated"] for r in reports if r.provenance)
            wait = generator.stats["wait_seconds"]
            print(
                f"{label}: {len(reports) / wall * 60:.1f} cases/min ({wall:.1f} s wall, {tokens} tokens generated); "
                f"model {generator.stats['generate_seconds']:.1f} s; waiting for inputs {wait:.1f} s = "
                f"{100 * wait / wall:.0f}% of wall (goal <= 20% after the first run); workers decoding {decode:.1f} s"
                + (f"; failed: {failed}" if failed else "")
            )
        from inference.inputs import load_study_inputs
        from inference.prompts import render_prompt

        template = PromptTemplate.load("en")
        conversations = [
            render_prompt(
                template, load_study_inputs(study, config=InputConfig(), cache_dir=root / "cache")
            ).parts
            for study in studies
        ]
        seconds = main_process_seconds_per_case(backend, conversations, batch_size=4)
        print(
            "main process per case (median of 5): before "
            f"{1000 * seconds['before']:.1f} ms (processor for the length, then per batch), "
            f"now {1000 * seconds['after']:.2f} ms (joining the workers' tensors)"
        )


def compare_decoders(*, cases: int, max_new_tokens: int, repeats: int) -> None:
    """Both decoders on one batch of ``cases`` studies stopped at drawn report lengths."""
    import torch
    from bench_inference_gpu import DrawnLengths, draw_lengths, prompt_key

    from cmr_reader.domain.synthetic import write_cases
    from inference.backend import Backend
    from inference.decoding import DecodeCounts
    from inference.generation_settings import DECODERS, GenerationSettings
    from inference.inputs import InputConfig, load_study_inputs
    from inference.prompts import PromptTemplate, render_prompt
    from inference.tiny import build_tiny

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="cmr-bench-decoders-") as folder:
        root = Path(folder)
        studies = write_cases(root / "studies", cases=cases, seed=3)
        backend = Backend(build_tiny(root / "tiny", family="qwen2_5_vl", seed=0), device="cpu")
        template = PromptTemplate.load("en")
        encoded = [
            backend.encoder.encode(
                render_prompt(template, load_study_inputs(study, config=InputConfig(), cache_dir=root)).parts
            )
            for study in studies
        ]
    keys = [prompt_key(prompt.tensors["input_ids"][0]) for prompt in encoded]
    drawn = draw_lengths(cases, seed=0, maximum=max_new_tokens)
    print(
        f"{cases} studies in one batch, prompts {min(p.length for p in encoded)}-"
        f"{max(p.length for p in encoded)} tokens; report lengths drawn: {sorted(drawn)} "
        f"(sum {sum(drawn)}, longest x rows {max(drawn) * cases}); torch threads 1"
    )
    # The control gives every row the longest length: nothing to drop, so what differs there is
    # the loops' own overhead, not the dropping.
    for label, lengths in (
        ("drawn lengths", drawn),
        ("control, every row the longest", [max(drawn)] * cases),
    ):
        backend.row_stop = DrawnLengths(dict(zip(keys, lengths, strict=True))).row_stop
        print(f"{label}:")
        order = DECODERS[::-1]  # transformers (the old path) first, then ours
        seconds: dict[str, list[float]] = {decoding: [] for decoding in order}
        counts, texts = {}, {}
        for _repeat in range(repeats):
            for decoding in order:  # alternated, so a busy machine slows both alike
                settings = GenerationSettings(
                    max_new_tokens=max_new_tokens,
                    min_new_tokens=max_new_tokens,  # no end token: only the lengths stop a row
                    batch_size=cases,
                    decoding=decoding,
                )
                backend.decode_counts = DecodeCounts()
                started = time.perf_counter()
                generated = backend.generate(encoded, settings)
                seconds[decoding].append(time.perf_counter() - started)
                counts[decoding] = backend.decode_counts
                texts[decoding] = [g.text for g in generated]
                assert [g.generated_tokens for g in generated] == lengths, decoding
        for decoding in order:
            print(
                f"  {decoding}: {statistics.median(seconds[decoding]):.2f} s (median of {repeats}: "
                f"{', '.join(f'{s:.2f}' for s in seconds[decoding])}); row-steps "
                f"{counts[decoding].row_steps} for {counts[decoding].tokens} tokens kept, "
                f"{counts[decoding].steps} forward passes; wasted {counts[decoding].wasted_share:.1%}"
            )
        print("  same reports from both decoders:", texts["drop_finished"] == texts["transformers"])


def main_process_seconds_per_case(backend, conversations, *, batch_size: int) -> dict[str, float]:
    """Median seconds per case that the main process spends on a case's processor tensors."""
    import torch

    from inference.batching import collate

    prompts = [backend._prompt(parts) for parts in conversations]
    encoded = [backend.encoder.encode(parts) for parts in conversations]
    pad = backend.processor.tokenizer.pad_token_id
    before, after = [], []
    for _repeat in range(5):
        started = time.perf_counter()
        # The old path: every case through the processor for its length, then each batch again.
        lengths = [backend._processor_inputs([p], padding=False)["input_ids"].shape[1] for p in prompts]
        order = sorted(range(len(prompts)), key=lambda i: lengths[i])
        for start in range(0, len(order), batch_size):
            backend._processor_inputs([prompts[i] for i in order[start : start + batch_size]], padding=True)
        before.append((time.perf_counter() - started) / len(prompts))
        started = time.perf_counter()
        order = sorted(range(len(encoded)), key=lambda i: encoded[i].length)
        for start in range(0, len(order), batch_size):
            joined = collate(
                [encoded[i].tensors for i in order[start : start + batch_size]], pad_token_id=pad
            )
            {name: torch.from_numpy(value) for name, value in joined.items()}
        after.append((time.perf_counter() - started) / len(encoded))
    return {"before": statistics.median(before), "after": statistics.median(after)}


if __name__ == "__main__":
    main()
