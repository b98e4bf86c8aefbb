"""GPU throughput of report generation with the Qwen2.5-VL-7B architecture (random weights),
against plain transformers at batch 1 and at its best batch, and against the physical bound.

    python bench/bench_inference_gpu.py [--studies 32] [--hf1-studies 6] [--hf-batches 8,16,32]
        [--batch-size auto] [--max-new-tokens 512] [--arch 7b|tiny] [--device cuda] [--workers 4]
        [--ours-decoders drop_finished,transformers]

A randomly initialised model with the Qwen2.5-VL-7B shapes (same compute as the real one; built
in GPU memory in bf16, nothing downloaded; only its config and the locally built processor are
written to disk) generates reports for synthetic studies (``cmr_reader.domain.synthetic``: SAX
stack, long-axis cines, LGE) at the default input settings (``InputConfig()``: 16 frames per
cine, 3 SAX slices, 3 LGE slices, 224 x 224 pixels per frame).

**Output lengths.** Random weights never say "end", so every peer is stopped per row at a length
drawn for its case (``DrawnLengths``: a transformers ``StoppingCriteria`` returning one bool per
row for ``generate``, the same lengths as ``Backend.row_stop`` for ours, keyed by the case's
unpadded prompt tokens, so every peer stops the same case at the same length whichever batch
and row it lands in). The lengths are log-normal with a median of 220
tokens and a geometric standard deviation of 1.45 (about 90% between 120 and 400), clipped to
[48, max_new_tokens]. Source: an assumption, not a measurement: a clinical CMR report (findings
and impression) runs to about 120-300 words, about 1.3 Qwen tokens per English word; the site's
structured validation summaries (``cmr_reader/domain/entities/validation/``, about 50 words) are
the short tail. A fixed length would hide the cost of static batching: transformers keeps
computing a finished row (it appends padding) until the batch's longest row is done; the
"row-steps wasted" figure of each peer is that cost: counted by the stopping criterion for plain
transformers, by ``Backend.decode_counts`` for ours.

**Peers** (same weights, same processor and prompts, frame cache warmed for everyone by an
unmeasured first pass; SDPA attention for all, or flash attention for ours where it works):

- **transformers, batch 1**: each study's inputs read from the frame cache, the processor and
  ``model.generate`` in the main process, one study at a time (``--hf1-studies``).
- **transformers, best batch**: the same, ``--hf-batches`` studies per ``generate`` call in
  input order (padding on the left), every size in the list tried on all studies; the best kept.
- **ours**: ``ReportGenerator`` as deployed: inputs and the processor in ``--workers`` worker
  processes, one pass per case, batches sorted by prompt length and sized from free GPU memory
  (``--batch-size auto``), bf16, decoded by ``inference.decoding.decode`` (``decoding=
  "drop_finished"``: a row leaves the batch when it has finished). Its workers are started
  before the timing (as a deployed worker keeps them over a chunk); their start, with the first
  case, is reported on its own.
- **ours with generate** (``--ours-decoders`` lists ``transformers``): the same pipeline and
  batches, decoded by transformers' ``generate`` (``decoding="transformers"``), which computes
  every row until the batch's longest is done: the decoder's own gain, all else equal.

**Physical bound** for the studies ours generated: prefill FLOPs at the GPU's dense bf16 peak --
the vision tower as 2 x its parameters x the patches it actually sees (the products of each
case's ``image_grid_thw`` / ``video_grid_thw``, before the 2 x 2 merge), the language model as
2 x its parameters (without the embedding table, which is a lookup) x the prompt's tokens (text
plus merged vision tokens) -- plus decode at the larger of compute (2 x language parameters per
token, with the output head) and memory traffic: the language weights read once per step of the
largest batch ours used, and each token's KV cache read at every later step, at the GPU's memory
bandwidth. Attention FLOPs are left out (small at these lengths), so the bound is optimistic
for the GPU, which makes the share achieved conservative.

Prints one JSON object: studies/hour, generated tokens/s and seconds for each peer, ours/peer
ratios (goals: >= 4,000 studies/hour on an H100 and >= 5x transformers at batch 1) and ours as a
share of the bound. ``--arch tiny --device cpu`` runs the same script on a tiny model to check it
in under a minute (``--bound-gpu H100`` does the bound's arithmetic there too; meaningless as a
share, it checks the code).
"""

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Dense bf16 peak (FLOP/s) and memory bandwidth (B/s) by device name; SXM parts.
GPUS = {
    "H200": (989e12, 4.8e12),
    "H100": (989e12, 3.35e12),
    "A100": (312e12, 2.0e12),
    "L40S": (362e12, 0.864e12),
}
QWEN25_VL_7B_TEXT = {
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "vocab_size": 152064,
    "rope_theta": 1000000.0,
    "max_position_embeddings": 128000,
}
QWEN25_VL_7B_VISION = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "out_hidden_size": 3584,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "tokens_per_second": 2,
}
LENGTH_MEDIAN = 220  # tokens per report
LENGTH_GSD = 1.45  # geometric standard deviation
LENGTH_MIN = 48


def write_one(args) -> str:
    from cmr_reader.domain.synthetic import write_cases

    folder, seed = args
    (case,) = write_cases(Path(folder), cases=1, seed=seed)
    return str(case)


def build_model(arch: str, device: str, max_pixels: int, out: Path):
    import torch

    from inference.backend import Backend
    from inference.tiny import _build_config, _build_processor, _build_tokenizer, _model_class  # noqa: PLC2701

    tokenizer = _build_tokenizer()
    processor = _build_processor("qwen2_5_vl", tokenizer)
    for vision in (processor.image_processor, processor.video_processor):
        vision.size = {"shortest_edge": 28 * 28, "longest_edge": max_pixels}
    config = _build_config("qwen2_5_vl", tokenizer)
    if arch == "7b":
        text = config.text_config if hasattr(config, "text_config") else config
        for key, value in QWEN25_VL_7B_TEXT.items():
            setattr(text, key, value)
            if text is not config and hasattr(config, key):
                setattr(config, key, value)
        text.head_dim = QWEN25_VL_7B_TEXT["hidden_size"] // QWEN25_VL_7B_TEXT["num_attention_heads"]
        text.layer_types = ["full_attention"] * QWEN25_VL_7B_TEXT["num_hidden_layers"]
        text.rope_parameters = {
            "rope_type": "default",
            "rope_theta": 1_000_000.0,
            "mrope_section": [16, 24, 24],
        }
        for key, value in QWEN25_VL_7B_VISION.items():
            setattr(config.vision_config, key, value)
    config.save_pretrained(out)
    processor.save_pretrained(out)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    with torch.device(device):
        model = _model_class("qwen2_5_vl")._from_config(config, dtype=dtype, attn_implementation="sdpa")
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return Backend.from_loaded(model.eval(), processor, model_path=out)


def parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


def draw_lengths(count: int, *, seed: int, maximum: int, scale: float = 1.0) -> list[int]:
    """Report lengths in tokens, one per case, from the stated distribution (x ``scale``)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    drawn = scale * rng.lognormal(mean=np.log(LENGTH_MEDIAN), sigma=np.log(LENGTH_GSD), size=count)
    return [int(min(max(round(x), round(LENGTH_MIN * scale)), maximum)) for x in drawn]


def prompt_key(ids) -> str:
    """A case's identity as the model sees it: its unpadded prompt tokens."""
    import numpy as np

    return hashlib.sha1(np.asarray(ids, dtype=np.int64).tobytes()).hexdigest()


class DrawnLengths:
    """Stops each row at its case's drawn length, and counts the row-steps spent on rows that
    had already stopped (static batching: transformers pads finished rows until all are done).

    Installed around ``model.generate`` (``install``), so the plain transformers peers' calls go
    through it; it learns each call's prompt width and rows from the call's own ``input_ids`` and
    mask. Ours gets the same lengths through ``Backend.row_stop`` (``row_stop``) and counts its
    own work (``Backend.decode_counts``); a ``generate`` call that brings its own stopping
    criteria (ours with ``decoding="transformers"``) passes through uncounted here.
    """

    def __init__(self, lengths: dict[str, int]):
        self.lengths = lengths
        self.row_steps = 0
        self.useful_row_steps = 0
        self.generated = 0

    def install(self, model) -> None:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        lengths, counter = self.lengths, self
        original = model.generate

        class PerRow(StoppingCriteria):
            def __init__(self, width: int, targets):
                self.width, self.targets = width, targets

            def __call__(self, input_ids, scores, **kwargs):
                made = input_ids.shape[1] - self.width
                counter.row_steps += input_ids.shape[0]
                counter.useful_row_steps += int((self.targets >= made).sum())
                return torch.full_like(self.targets, made) >= self.targets

        def generate(*args, **kwargs):
            if kwargs.get("stopping_criteria"):
                return original(*args, **kwargs)
            ids, mask = kwargs["input_ids"], kwargs["attention_mask"]
            targets = torch.tensor(
                [lengths[prompt_key(row[keep.bool()].tolist())] for row, keep in zip(ids, mask, strict=True)],
                device=ids.device,
            )
            counter.generated += int(targets.sum())
            kwargs["stopping_criteria"] = StoppingCriteriaList([PerRow(ids.shape[1], targets)])
            return original(*args, **kwargs)

        model.generate = generate

    def row_stop(self, input_ids, attention_mask):
        """``Backend.row_stop``: the drawn lengths of a batch's rows, as a per-row stop."""
        targets = [
            self.lengths[prompt_key(row[keep.bool()].tolist())]
            for row, keep in zip(input_ids, attention_mask, strict=True)
        ]
        return lambda rows, made: [made >= targets[row] for row in rows]

    def take(self) -> dict:
        """The counts since the last take, reset."""
        taken = {
            "generated_tokens": self.generated,
            "row_steps_wasted_share": round(1 - self.useful_row_steps / max(1, self.row_steps), 3),
        }
        self.row_steps = self.useful_row_steps = self.generated = 0
        return taken


def take_decode_counts(backend) -> dict:
    """Ours' decoding work since the last take (``Backend.decode_counts``), reset."""
    from inference.decoding import DecodeCounts

    counts, backend.decode_counts = backend.decode_counts, DecodeCounts()
    return {"generated_tokens": counts.tokens, "row_steps_wasted_share": round(counts.wasted_share, 3)}


def vision_patches(tensors: dict) -> int:
    """Patches through the vision tower: t x h x w of every image and video grid."""
    total = 0
    for key in ("image_grid_thw", "video_grid_thw"):
        if key in tensors:
            total += int(tensors[key].prod(axis=1).sum())
    return total


def physical_bound_seconds(*, backend, encoded, lengths, batch: int, peak: float, bandwidth: float) -> dict:
    from inference.backend import model_shape

    model = backend.model
    vision = getattr(model, "visual", None) or model.model.visual
    vision_params = parameters(vision)
    embedding = model.get_input_embeddings().weight.numel()
    lm_params = parameters(model) - vision_params  # with the output head, without the lookup
    head = model.get_output_embeddings().weight.numel()
    tied = model.get_output_embeddings().weight is model.get_input_embeddings().weight
    lm_compute = lm_params - embedding + (head if tied else 0)
    value_bytes = next(model.parameters()).element_size()
    shape = model_shape(model.config)
    kv_per_token = 2 * shape["layers"] * shape["kv_heads"] * shape["head_dim"] * value_bytes
    patches = sum(vision_patches(e.tensors) for e in encoded)
    prompt_tokens = sum(e.length for e in encoded)
    prefill_flops = 2 * vision_params * patches + 2 * (lm_compute - head) * prompt_tokens
    generated = sum(lengths)
    decode_flops = 2 * lm_compute * generated
    steps = -(-generated // batch)  # weights read once per step of a full batch
    # Every token's cache is read at each later step of its own report: prompt + half the report, on average.
    kv_reads = sum(length * (e.length + length / 2) for e, length in zip(encoded, lengths, strict=True))
    decode_bytes = steps * (lm_compute * value_bytes) + kv_reads * kv_per_token
    seconds = prefill_flops / peak + max(decode_flops / peak, decode_bytes / bandwidth)
    return {
        "seconds": float(f"{seconds:.4g}"),
        "prefill_seconds": float(f"{prefill_flops / peak:.4g}"),
        "decode_seconds": float(f"{max(decode_flops / peak, decode_bytes / bandwidth):.4g}"),
        "vision_patches": patches,
        "prompt_tokens": prompt_tokens,
        "vision_params": vision_params,
        "lm_params_computing": lm_compute,
        "decode_batch": batch,
        "peak_bf16_flops": peak,
        "bandwidth_bytes_s": bandwidth,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    # Defaults sized for about 8 minutes on one H100 (7b) or under a minute on a laptop CPU (tiny).
    parser.add_argument("--studies", type=int, default=None, help="32 for 7b, 4 for tiny")
    parser.add_argument("--hf1-studies", type=int, default=None, help="6 for 7b, 1 for tiny")
    parser.add_argument("--hf-batches", default=None, help="8,16,32 for 7b; 4 for tiny")
    # The tiny check uses a small visual budget and short reports (lengths / 8), so it runs in a minute.
    parser.add_argument("--frames", type=int, default=None, help="16 (InputConfig's) for 7b, 4 for tiny")
    parser.add_argument(
        "--max-pixels", type=int, default=None, help="50176 (InputConfig's) for 7b, 12544 for tiny"
    )
    parser.add_argument(
        "--bound-gpu", choices=sorted(GPUS), default=None, help="the bound's GPU when not running on one"
    )
    parser.add_argument("--batch-size", default="auto")
    parser.add_argument("--max-new-tokens", type=int, default=None, help="512 for 7b, 64 for tiny")
    parser.add_argument("--arch", choices=("7b", "tiny"), default="7b")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--ours-decoders",
        default="drop_finished,transformers",
        help="ours' decoders to run (GenerationSettings.decoding): drop_finished is 'ours', "
        "transformers adds 'ours with generate'",
    )
    args = parser.parse_args()
    small = args.arch == "tiny"
    args.studies = args.studies or (4 if small else 32)
    args.hf1_studies = args.hf1_studies or (1 if small else 6)
    args.hf_batches = args.hf_batches or ("4" if small else "8,16,32")
    args.max_new_tokens = args.max_new_tokens or (64 if small else 512)
    length_scale = 1 / 8 if small else 1.0

    import dataclasses

    import torch

    from inference.batching import parse_batch_size
    from inference.generation_settings import DECODERS, GenerationSettings
    from inference.inputs import InputConfig, load_study_inputs
    from inference.pipeline import CaseSource, ReportGenerator
    from inference.prompts import PromptTemplate, render_prompt

    batch_setting = parse_batch_size(args.batch_size)
    ours_decoders = [d for d in args.ours_decoders.split(",") if d]
    if not ours_decoders or any(d not in DECODERS for d in ours_decoders):
        parser.error(f"--ours-decoders takes a list of {', '.join(DECODERS)}")
    hf_batches = [int(b) for b in args.hf_batches.split(",") if b]
    cuda = args.device.startswith("cuda")
    name = torch.cuda.get_device_name() if cuda else "cpu"
    peak, bandwidth = next((v for k, v in GPUS.items() if k in name), (None, None))
    if args.bound_gpu:
        peak, bandwidth = GPUS[args.bound_gpu]
    inputs_config = InputConfig()
    if args.frames or args.max_pixels or small:
        inputs_config = InputConfig(
            frames_per_cine=args.frames or (4 if small else inputs_config.frames_per_cine),
            max_pixels=args.max_pixels or (112 * 112 if small else inputs_config.max_pixels),
        )
    template = PromptTemplate.load("en")

    def synchronize() -> None:
        if cuda:
            torch.cuda.synchronize()

    with tempfile.TemporaryDirectory(prefix="cmr-bench-gpu-") as folder:
        root = Path(folder)
        cache = root / "cache"
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=max(1, args.workers * 2)) as pool:
            studies = [
                Path(p) for p in pool.map(write_one, [(root / f"s{i}", 100 + i) for i in range(args.studies)])
            ]
        written_s = time.perf_counter() - started
        started = time.perf_counter()
        backend = build_model(args.arch, args.device, inputs_config.max_pixels, root / "model")
        built_s = time.perf_counter() - started
        print(
            f"device: {name}; {args.studies} studies written in {written_s:.0f} s; model ({args.arch}) "
            f"built in {built_s:.0f} s: {parameters(backend.model) / 1e9:.2f} B parameters",
            file=sys.stderr,
        )
        # Unmeasured: warm the frame cache for every peer, encode each case once to key its length.
        started = time.perf_counter()
        prompts = [
            render_prompt(template, load_study_inputs(study, config=inputs_config, cache_dir=cache)).parts
            for study in studies
        ]
        encoded = [backend.encoder.encode(parts) for parts in prompts]
        lengths = draw_lengths(len(studies), seed=args.seed, maximum=args.max_new_tokens, scale=length_scale)
        keys = [prompt_key(e.tensors["input_ids"][0]) for e in encoded]
        by_key: dict[str, int] = {}
        for key, length in zip(keys, lengths, strict=True):
            by_key.setdefault(key, length)  # identical prompts (if any) share one length
        lengths = [by_key[key] for key in keys]
        print(f"cache warmed, cases encoded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        counter = DrawnLengths(by_key)
        counter.install(backend.model)
        backend.row_stop = counter.row_stop
        settings = GenerationSettings(
            max_new_tokens=args.max_new_tokens, min_new_tokens=args.max_new_tokens, batch_size=batch_setting
        )
        generation_config = backend._generation_config(settings)  # noqa: SLF001 - the same decoding for every peer

        def transformers_plain(subset: list[Path], batch: int) -> float:
            """Plain transformers: inputs from the warm cache, the processor and generate in this
            process, ``batch`` studies per call in input order."""
            synchronize()
            began = time.perf_counter()
            for start in range(0, len(subset), batch):
                chunk = subset[start : start + batch]
                chunk_prompts = [
                    backend._prompt(  # noqa: SLF001
                        render_prompt(
                            template, load_study_inputs(s, config=inputs_config, cache_dir=cache)
                        ).parts
                    )
                    for s in chunk
                ]
                tensors = backend._processor_inputs(chunk_prompts, padding=True).to(backend.device)  # noqa: SLF001
                with torch.inference_mode():
                    backend.model.generate(**tensors, generation_config=generation_config)
            synchronize()
            return time.perf_counter() - began

        # Ours keeps its input workers across runs (as a deployed worker does over a chunk); their
        # start (spawn, import torch, receive the processor) is timed on its own below.
        generator = ReportGenerator(
            backend,
            template=template,
            settings=settings,
            input_config=inputs_config,
            cache_dir=cache,
            preprocess_workers=args.workers,
        )

        def ours(subset: list[Path], decoding: str = ours_decoders[0]) -> tuple[float, list]:
            generator.settings = dataclasses.replace(settings, decoding=decoding)
            generator.stats = {"wait_seconds": 0.0, "generate_seconds": 0.0}
            synchronize()
            began = time.perf_counter()
            reports = list(generator.run(CaseSource(f"s{i}", s) for i, s in enumerate(subset)))
            synchronize()
            return time.perf_counter() - began, reports

        def figures(seconds: float, studies_done: int, counts: dict) -> dict:
            return {
                "studies": studies_done,
                "seconds": round(seconds, 2),
                "studies_per_hour": round(studies_done / seconds * 3600),
                "tokens_per_second": round(counts["generated_tokens"] / seconds, 1),
                **counts,
            }

        # Warm-up (kernels, allocator, worker start): unmeasured, but the workers' start is reported.
        transformers_plain(studies[:1], 1)
        generator.__enter__()
        started = time.perf_counter()
        ours(studies[:1])
        worker_start_s = time.perf_counter() - started
        for decoding in ours_decoders:
            ours(studies[1 : min(len(studies), 3)], decoding)
        counter.take()
        take_decode_counts(backend)

        result: dict = {
            "device": name,
            "arch": args.arch,
            "parameters_billion": round(parameters(backend.model) / 1e9, 2),
            "attn_implementation": backend.model.config._attn_implementation,  # noqa: SLF001
            "inputs": inputs_config.as_dict(),
            "mean_prompt_tokens": round(statistics.mean(e.length for e in encoded)),
            "mean_vision_patches": round(statistics.mean(vision_patches(e.tensors) for e in encoded)),
            "output_lengths": {
                "distribution": f"lognormal, median {LENGTH_MEDIAN}, gsd {LENGTH_GSD}, "
                f"clipped to [{LENGTH_MIN}, {args.max_new_tokens}] (an assumption; see the docstring)"
                + (f", x {length_scale}" if length_scale != 1 else ""),
                "seed": args.seed,
                "mean": round(statistics.mean(lengths), 1),
                "min": min(lengths),
                "max": max(lengths),
            },
        }
        subset = studies[: args.hf1_studies]
        seconds = transformers_plain(subset, 1)
        result["transformers_batch1"] = figures(seconds, len(subset), counter.take())
        print("transformers batch 1:", json.dumps(result["transformers_batch1"]), file=sys.stderr, flush=True)
        sweep = {}
        for batch in hf_batches:
            seconds = transformers_plain(studies, batch)
            sweep[batch] = figures(seconds, len(studies), counter.take())
            print(f"transformers batch {batch}:", json.dumps(sweep[batch]), file=sys.stderr, flush=True)
        best = max(sweep, key=lambda b: sweep[b]["studies_per_hour"])
        result["transformers_best_batch"] = {
            "batch_size": best,
            **sweep[best],
            "sweep": {b: f["studies_per_hour"] for b, f in sweep.items()},
        }
        peers = {"drop_finished": "ours", "transformers": "ours_with_generate"}
        for decoding in ours_decoders:
            ours_seconds, reports = ours(studies, decoding)
            failures = [r.error for r in reports if r.error]
            ours_used = [r.provenance["batch"]["size"] for r in reports if r.provenance]
            result[peers[decoding]] = {
                **figures(ours_seconds, len(reports), take_decode_counts(backend)),
                "decoding": decoding,
                "batch_size_setting": batch_setting,
                "batch_sizes_used": sorted(set(ours_used)),
                "waiting_for_inputs_s": round(generator.stats["wait_seconds"], 2),
                "worker_start_and_first_case_s": round(worker_start_s, 2),
                "failures": failures[:3],
            }
            print(f"{peers[decoding]}:", json.dumps(result[peers[decoding]]), file=sys.stderr, flush=True)
            if decoding == ours_decoders[0]:
                seconds, used = ours_seconds, ours_used
        generator.__exit__(None, None, None)
        first = peers[ours_decoders[0]]
        if first != "ours":  # only "ours with generate" was run: it stands for ours below
            result["ours"] = result.pop(first)
        elif "ours_with_generate" in result:
            result["ours_vs_ours_with_generate"] = round(
                result["ours"]["studies_per_hour"] / result["ours_with_generate"]["studies_per_hour"], 2
            )
        rate = result["ours"]["studies_per_hour"]
        result["ours_vs_transformers_batch1"] = round(
            rate / result["transformers_batch1"]["studies_per_hour"], 2
        )
        result["ours_vs_transformers_best"] = round(
            rate / result["transformers_best_batch"]["studies_per_hour"], 2
        )
        if peak:
            bound = physical_bound_seconds(
                backend=backend,
                encoded=encoded,
                lengths=lengths,
                batch=max(used or [1]),
                peak=peak,
                bandwidth=bandwidth,
            )
            result["physical_bound"] = {
                **bound,
                "gpu": args.bound_gpu or name,
                "share_achieved": float(f"{bound['seconds'] / seconds:.3g}"),
            }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
