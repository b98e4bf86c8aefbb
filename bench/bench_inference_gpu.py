"""GPU throughput of report generation with the Qwen2.5-VL-7B architecture (random weights).

    python bench/bench_inference_gpu.py [--studies 32] [--naive-studies 4] [--batch-size 16]
        [--new-tokens 256] [--max-pixels 50176] [--frames 16] [--arch 7b|tiny] [--device cuda]

A randomly initialised model with the Qwen2.5-VL-7B shapes (same compute as the real one; built
in GPU memory in bf16, nothing downloaded, only its config and the locally built processor are
written to disk) generates reports for synthetic studies at a stated visual budget (3 SAX cine
slices + long-axis cines as video, LGE as images; `--frames` per cine, `--max-pixels` per
frame). Decode length is fixed (`--new-tokens`, min = max) so both paths do the same work.

- **ours**: the pipeline as deployed: inputs prepared in worker processes from the frame cache
  (warmed by an unmeasured first pass), prompts of similar length batched (`--batch-size`, left
  padding), SDPA (or flash attention when installed), bf16.
- **naive**: one study at a time, no cache (DICOM decoded every time), eager attention, bf16;
  timed on `--naive-studies` studies and reported per study.

Prints studies/hour and generated tokens/s for both, the ratio (goal >= 5x), and ours as a
fraction of the physical bound (goal >= 40%): prefill FLOPs (2 x parameters x prompt tokens for
the language model, 2 x vision parameters x patches for the vision tower) at the GPU's dense bf16
peak, plus decode as reading the weights and the KV cache once per step per batch at the GPU's
memory bandwidth. `--arch tiny --device cpu` runs the same script on a tiny model to check it.
"""

import argparse
import json
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


def physical_bound_seconds(
    *, backend, reports, batch_size: int, new_tokens: int, peak: float, bandwidth: float
) -> float:
    model = backend.model
    vision = getattr(model, "visual", None) or model.model.visual
    vision_params = parameters(vision)
    lm_params = parameters(model) - vision_params
    bytes_per_param = next(model.parameters()).element_size()
    text = model.config.text_config if hasattr(model.config, "text_config") else model.config
    kv_per_token = (
        2
        * text.num_hidden_layers
        * text.num_key_value_heads
        * (text.hidden_size // text.num_attention_heads)
        * bytes_per_param
    )
    prefill = 0.0
    decode = 0.0
    prompts = sorted(r.provenance["tokens"]["prompt"] for r in reports)
    for start in range(0, len(prompts), batch_size):
        batch = prompts[start : start + batch_size]
        for tokens in batch:
            # visual tokens are merged 2x2 patches: 4 patches each through the vision tower (an upper bound on patches)
            prefill += 2 * lm_params * tokens + 2 * vision_params * 4 * tokens
        context = sum(batch) + len(batch) * new_tokens / 2
        decode += new_tokens * (lm_params * bytes_per_param + kv_per_token * context) / bandwidth
    return prefill / peak + decode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=32)
    parser.add_argument("--naive-studies", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--max-pixels", type=int, default=224 * 224)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--arch", choices=("7b", "tiny"), default="7b")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    import torch

    from inference.generation_settings import GenerationSettings
    from inference.inputs import InputConfig
    from inference.pipeline import CaseSource, ReportGenerator
    from inference.prompts import PromptTemplate

    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    peak, bandwidth = next((v for k, v in GPUS.items() if k in name), (None, None))
    with tempfile.TemporaryDirectory(prefix="cmr-bench-gpu-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=max(1, args.workers * 2)) as pool:
            studies = [
                Path(p) for p in pool.map(write_one, [(root / f"s{i}", 100 + i) for i in range(args.studies)])
            ]
        print(
            f"device: {name}; {args.studies} synthetic studies written in {time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        backend = build_model(args.arch, args.device, args.max_pixels, root / "model")
        print(
            f"model ({args.arch}) built in {time.perf_counter() - started:.0f} s: "
            f"{parameters(backend.model) / 1e9:.2f} B parameters"
        )
        inputs = InputConfig(frames_per_cine=args.frames, max_pixels=args.max_pixels)
        template = PromptTemplate.load("en")
        cases = [CaseSource(f"s{i}", study) for i, study in enumerate(studies)]

        def run(backend, batch_size, cache, workers, subset):
            settings = GenerationSettings(
                max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, batch_size=batch_size
            )
            generator = ReportGenerator(
                backend,
                template=template,
                settings=settings,
                input_config=inputs,
                cache_dir=cache,
                preprocess_workers=workers,
            )
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            began = time.perf_counter()
            reports = list(generator.run(subset))
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            return reports, time.perf_counter() - began, generator.stats

        cache = root / "cache"
        run(
            backend, args.batch_size, cache, args.workers, cases
        )  # warm-up: fills the frame cache, warms kernels
        ours, ours_s, stats = run(backend, args.batch_size, cache, args.workers, cases)
        # The naive path: the same weights with the default (eager) attention, one study at a time.
        backend.model.set_attn_implementation("eager")
        naive, naive_s, _ = run(backend, 1, None, 0, cases[: args.naive_studies])
        failures = [r.error for r in ours + naive if r.error]
        if failures:
            print("failures:", failures[:3])
        tokens = sum(r.provenance["tokens"]["generated"] for r in ours)
        prompt_tokens = sum(r.provenance["tokens"]["prompt"] for r in ours) / len(ours)
        ours_rate = len(ours) / ours_s * 3600
        naive_rate = len(naive) / naive_s * 3600
        result = {
            "device": name,
            "arch": args.arch,
            "visual_budget": {"frames_per_cine": args.frames, "max_pixels_per_frame": args.max_pixels},
            "mean_prompt_tokens": round(prompt_tokens),
            "new_tokens": args.new_tokens,
            "ours": {
                "studies_per_hour": round(ours_rate),
                "tokens_per_second": round(tokens / ours_s, 1),
                "seconds": round(ours_s, 1),
                "batch_size": args.batch_size,
                "waiting_for_inputs_s": round(stats["wait_seconds"], 2),
            },
            "naive": {
                "studies_per_hour": round(naive_rate),
                "studies": len(naive),
                "seconds": round(naive_s, 1),
            },
            "speedup": round(ours_rate / naive_rate, 2),
        }
        if peak:
            bound = physical_bound_seconds(
                backend=backend,
                reports=ours,
                batch_size=args.batch_size,
                new_tokens=args.new_tokens,
                peak=peak,
                bandwidth=bandwidth,
            )
            result["physical_bound"] = {
                "seconds": round(bound, 1),
                "fraction_achieved": round(bound / ours_s, 3),
                "peak_bf16_flops": peak,
                "bandwidth_bytes_s": bandwidth,
            }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
