"""Agreement table with a case bootstrap on a study-sized synthetic dataset.

    python bench/bench_agreement.py [--cases 20000] [--replicates 1000] [--naive-replicates 3]

20,000 cases x 3 readers x 2 arms x 3 criteria (360,000 scores on 1..5, about 2% missing):
each reader scores a latent case quality plus reader bias and noise. We time the whole
`agreement_table` with B bootstrap replicates (goal: under 30 s on 2 cores) and compare it with
the obvious bootstrap: build each resampled matrix and call every coefficient function (alpha
through the `krippendorff` package) on it, timed for a few replicates of one group and
extrapolated to B replicates x all groups. Peak memory is the process's maximum RSS.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cmr_reader.analysis.agreement.ratings_csv import RatingRow  # noqa: E402
from cmr_reader.analysis.agreement.table import _group_rows, agreement_table, ratings_matrices  # noqa: E402


def synthetic_rows(*, cases: int, seed: int = 0) -> list[RatingRow]:
    rng = np.random.default_rng(seed)
    rows = []
    for arm in ("ai", "reference"):
        for criterion in ("accuracy", "completeness", "clarity"):
            quality = rng.normal(3.2, 0.9, size=cases)
            for reader, bias in (("alice", 0.0), ("bob", 0.3), ("charlie", -0.2)):
                scores = np.clip(np.rint(quality + bias + rng.normal(0, 0.6, size=cases)), 1, 5)
                missing = rng.random(cases) < 0.02
                rows.extend(
                    RatingRow(
                        case_id=f"case{i:05d}",
                        reader_id=reader,
                        criterion=criterion,
                        arm=arm,
                        score=None if missing[i] else float(scores[i]),
                        line=0,
                    )
                    for i in range(cases)
                )
    return rows


def naive_seconds_per_replicate(*, matrix: np.ndarray, readers: list[str], replicates: int) -> float:
    """Every coefficient of one group recomputed on explicitly resampled matrices."""
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for _ in range(replicates):
        resampled = matrix[rng.integers(0, matrix.shape[0], size=matrix.shape[0])]
        for _labels, _estimate, _replicate in _group_rows(matrix=resampled, readers=readers, scale=(1, 5)):
            pass  # _group_rows computes every point estimate (and its analytic interval) on the way.
    return (time.perf_counter() - start) / replicates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--naive-replicates", type=int, default=3)
    args = parser.parse_args()

    rows = synthetic_rows(cases=args.cases)
    groups = ratings_matrices(rows)
    print(f"{len(rows):,} scores, {len(groups)} groups of {args.cases:,} cases x 3 readers")

    start = time.perf_counter()
    table = agreement_table(rows, scale_min=1, scale_max=5)
    point = time.perf_counter() - start
    start = time.perf_counter()
    table = agreement_table(rows, scale_min=1, scale_max=5, bootstrap=args.replicates, seed=1)
    full = time.perf_counter() - start
    vectorised = full - point
    print(f"table without bootstrap: {point:.2f} s ({len(table)} rows)")
    print(f"table with B={args.replicates}: {full:.2f} s (goal < 30 s)")

    matrix, readers = next(iter(groups.values()))
    per_replicate = naive_seconds_per_replicate(
        matrix=matrix, readers=readers, replicates=args.naive_replicates
    )
    naive = per_replicate * args.replicates * len(groups)
    print(
        f"naive bootstrap: {per_replicate:.2f} s per replicate per group -> {naive:.0f} s for B={args.replicates}"
    )
    print(f"vectorised bootstrap part: {vectorised:.2f} s; speed-up {naive / vectorised:.0f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
