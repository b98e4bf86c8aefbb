"""LoRA fine-tuning on the CPU: the demo model taught a site's report style, before and after.

    python bench/bench_inference_finetune.py [--out DIR] [--train 48] [--val 8] [--test 16] [--steps 60]
                                   [--batch-size 4] [--lr 2e-3] [--rank 16] [--seed 0]

Writes synthetic studies whose "reference reports" are the long-form house-style reports of
``cmr_reader.domain.entities.write_reference_report`` (volumes, EF, mass, thickness in cm, LGE,
effusion, impression), which the demo model (trained on its own short wording) has never seen;
writes manifests as ``prepare_finetune_data`` would, fine-tunes the demo model's language model
with LoRA (``python -m inference finetune train``'s code, 2 torch threads, fp32), then generates
the held-out cases' reports with the base and the fine-tuned model through the ordinary pipeline
and scores both with the site's report metrics (``manage.py evaluate_finetune``'s code).
Prints JSON: steps per second, training and validation loss before and after, the held-out
figures, and the machine's load average (other work on the cores slows it).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def write_manifests_for_bench(out: Path, *, counts: dict[str, int], seed: int):
    from cmr_reader.domain.entities import write_reference_report
    from cmr_reader.domain.synthetic import balanced_case_params, write_case
    from cmr_reader.domain.training_manifests import ManifestRow, read_manifests, write_manifests
    from cmr_reader.domain.training_split import patient_hash
    from inference.demo_training import TRAIN_PHASES

    splits = [name for name, count in counts.items() for _ in range(count)]
    rows = []
    for index, params in enumerate(balanced_case_params(cases=len(splits), seed=seed, phases=TRAIN_PHASES)):
        folder = out / "dicom" / f"case{index:04d}"
        truth = write_case(folder, params=params)
        rows.append(
            ManifestRow(
                case_id=f"CMR-BENCH{index:04d}",
                patient_hash=patient_hash(f"P-BENCH{index:04d}"),
                split=splits[index],
                language="en",
                reference_report=write_reference_report(truth, lang="en", style_seed=seed),
                files=tuple(str(p.relative_to(out / "dicom")) for p in sorted(folder.glob("*.dcm"))),
            )
        )
    write_manifests(out / "manifests", rows=rows, summary={"dicom_root": str(out / "dicom")})
    return read_manifests(out / "manifests")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--train", type=int, default=48)
    parser.add_argument("--val", type=int, default=8)
    parser.add_argument("--test", type=int, default=16)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    from cmr_reader.analysis.finetune_evaluation import compare_outputs
    from inference.backend import Backend
    from inference.checkpoint import input_config_for_checkpoint
    from inference.demo_reports import DEMO_MODEL_PATH
    from inference.finetune.data import shipped_templates
    from inference.finetune.evaluate import held_out_reports
    from inference.finetune.settings import FinetuneSettings
    from inference.finetune.train import finetune
    from inference.generation_settings import GenerationSettings

    torch.set_num_threads(2)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-finetune-"))
    load_before = os.getloadavg()
    started = time.perf_counter()
    manifests = write_manifests_for_bench(
        out, counts={"train": args.train, "validation": args.val, "test": args.test}, seed=args.seed
    )
    written = time.perf_counter()
    config = input_config_for_checkpoint(DEMO_MODEL_PATH)
    settings = FinetuneSettings(
        steps=args.steps,
        batch_size=args.batch_size,
        accumulate=1,
        learning_rate=args.lr,
        warmup_steps=max(1, args.steps // 10),
        lora_rank=args.rank,
        lora_alpha=2 * args.rank,
        save_every=args.steps,
        validate_every=args.steps,
        seed=args.seed,
    )
    summary = finetune(
        base=DEMO_MODEL_PATH,
        manifests=manifests,
        out=out / "run",
        settings=settings,
        input_config=config,
        templates=shipped_templates(),
        device="cpu",
        cache_dir=out / "frame-cache",
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    trained = time.perf_counter()
    generation = GenerationSettings(max_new_tokens=160, batch_size=8)
    outputs = {}
    for name, model in (("before", DEMO_MODEL_PATH), ("after", Path(summary["model"]))):
        outputs[name] = held_out_reports(
            Backend(model, device="cpu"),
            manifests,
            input_config=config,
            templates=shipped_templates(),
            settings=generation,
            cache_dir=out / "frame-cache",
        )
    result = compare_outputs(outputs["before"], outputs["after"])
    print(
        json.dumps(
            {
                "cases": {"train": args.train, "validation": args.val, "test": args.test},
                "settings": settings.as_dict(),
                "steps_per_second": summary["steps_per_second"],
                "train_seconds": summary["train_seconds"],
                "losses": summary["losses"],
                "held_out": result["headline"],
                "example": {
                    "reference": outputs["after"][0]["reference"],
                    "before": outputs["before"][0]["generated"],
                    "after": outputs["after"][0]["generated"],
                },
                "seconds": {
                    "write_cases": round(written - started, 1),
                    "train_with_encoding": round(trained - written, 1),
                    "evaluate": round(time.perf_counter() - trained, 1),
                },
                "torch_threads": torch.get_num_threads(),
                "load_average": {"before": load_before, "after": os.getloadavg()},
                "out": str(out),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
