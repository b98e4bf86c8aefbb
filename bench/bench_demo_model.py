"""Training the demo model on the CPU, then its held-out accuracy (peer: a blind constant report).

    python bench/bench_demo_model.py [--out DIR] [--cases N] [--steps N] [--seed S] [--held-out N]

Runs what ``python -m inference train-demo`` runs (synthetic cases, then training; 2 torch
threads), timing each part, with the machine's load average before and after (other work on the
cores slows it). Then writes ``--held-out`` synthetic cases from another seed at the scanner's own
matrix and phase count (what the demo imports), generates their reports through the pipeline
exactly as ``python -m inference generate`` does, and scores them with the metrics' entity
extractor: LGE presence and diagnosis right (goal >= 90%), maximal wall thickness within 3 mm
(goal >= 70%). The peer is the best report written without looking at the images: one fixed
report stating the training set's most common LGE status and diagnosis and the thickness that
is within 3 mm of most training cases.
Prints JSON; the budget is 15 minutes of training.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_SECONDS = 15 * 60
GOALS = {"lge_correct": 0.90, "diagnosis_correct": 0.90, "thickness_within_3mm": 0.70}


def blind_peer(*, cases: int, seed: int, held_out: int) -> dict:
    """Held-out scores of the one report that is best on the training set's answers, images unseen."""
    from cmr_reader.domain.synthetic import balanced_case_params
    from cmr_reader.domain.synthetic.ground_truth import max_wall_thickness
    from inference.demo_training import held_out_seed

    def facts(batch_seed: int, count: int) -> list[dict]:
        rows = []
        # Drawn as the training and held-out batches draw them, so the facts are theirs.
        for params in balanced_case_params(cases=count, seed=batch_seed):
            rows.append(
                {
                    "lge": "present" if params.heart.lge_pattern else "absent",
                    "diagnosis": params.diagnosis,
                    "thickness": max_wall_thickness(case=params)["mm"],
                }
            )
        return rows

    train, test = facts(seed, cases), facts(held_out_seed(seed), held_out)
    lge = Counter(r["lge"] for r in train).most_common(1)[0][0]
    diagnosis = Counter(r["diagnosis"] for r in train).most_common(1)[0][0]
    # The one thickness within 3 mm of the most training cases (the bimodal median would fit none).
    thickness = max(range(5, 31), key=lambda mm: sum(abs(r["thickness"] - mm) <= 3 for r in train))
    return {
        "report": {"lge": lge, "diagnosis": diagnosis, "thickness_mm": thickness},
        "lge_correct": sum(r["lge"] == lge for r in test) / len(test),
        "diagnosis_correct": sum(r["diagnosis"] == diagnosis for r in test) / len(test),
        "thickness_within_3mm": sum(abs(r["thickness"] - thickness) <= 3 for r in test) / len(test),
    }


def main() -> None:
    from inference.demo_training import TrainingSettings, evaluate_demo, held_out_seed, train_demo

    defaults = TrainingSettings()
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--out", type=Path, default=None, help="Keep the checkpoint here (default: a temporary folder)."
    )
    parser.add_argument("--cases", type=int, default=defaults.cases)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--held-out", type=int, default=200)
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="Score this checkpoint (e.g. inference/demo_model) instead of training one.",
    )
    parser.add_argument(
        "--per-case",
        type=Path,
        default=None,
        help="Write every held-out case's report and score here (JSON).",
    )
    args = parser.parse_args()

    settings = TrainingSettings(cases=args.cases, steps=args.steps, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as scratch:
        out = args.model or args.out or Path(scratch) / "demo_model"
        load_before = os.getloadavg()
        started = time.perf_counter()
        training = None
        if args.model is None:
            training = train_demo(
                out, settings=settings, progress=lambda line: print(line, file=sys.stderr, flush=True)
            )
        train_wall = time.perf_counter() - started
        load_after = os.getloadavg()
        held_out = evaluate_demo(out, cases=args.held_out, seed=held_out_seed(args.seed))
    if args.per_case:
        args.per_case.write_text(json.dumps(held_out["per_case"], indent=1) + "\n", encoding="utf-8")
    peer = blind_peer(cases=args.cases, seed=args.seed, held_out=args.held_out)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "training": training,
        "train_demo_wall_seconds": round(train_wall, 1) if training else None,
        "within_budget": train_wall <= BUDGET_SECONDS if training else None,
        "held_out": {k: v for k, v in held_out.items() if k not in ("examples", "per_case")},
        "goals": {name: {"goal": goal, "met": held_out[name] >= goal} for name, goal in GOALS.items()},
        "peer_blind_report": peer,
        "ratio_vs_blind": {
            name: round(held_out[name] / peer[name], 2) if peer[name] else None for name in GOALS
        },
        "example_report": held_out["examples"][0] if held_out["examples"] else None,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
