"""Blinding figures: the audit on the demo's report pairs, side predictability, and audit time.

1. The blinding audit (goal: the demo at or below 65%) on synthetic cases' report pairs in the
   display form: the demo's house style (reference: the truth in the style the demo model learned;
   AI: the template generator's house-style report with planted errors) against the peer, the
   previous demo's pairs (reference voice against model voice of cmr_reader.domain.synthetic.reports).
   ``--demo`` also seeds the real demo (20 cases, the demo model's own AI reports) in a temporary
   data folder and prints the audit stored with its study.
2. Side randomisation: a reader who counts sides (Blackwell and Hodges' convergence strategy)
   under the big stick (ours) and the balanced design (peer): share of sides guessed, share of
   last reads guessed, largest running imbalance; medians over seeds.
3. Audit time at study size: display form and classifier for --pairs pairs.

    .venv/bin/python bench/bench_blinding.py [--cases 200] [--pairs 20000] [--demo]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmr_reader.settings")

import django  # noqa: E402

django.setup()

from cmr_reader.demo.study import house_style_ai_report  # noqa: E402
from cmr_reader.domain.synthetic import GROUND_TRUTH_FILE, write_cases  # noqa: E402
from cmr_reader.domain.synthetic.reports import ai_report, reference_report  # noqa: E402
from cmr_reader.reports.normalise import display_form  # noqa: E402
from cmr_reader.studies.blinding_audit import AuditPair, AuditReport, audit_pairs  # noqa: E402
from cmr_reader.studies.design import BALANCED, BIG_STICK, DesignSpec, design_study, summarise_design  # noqa: E402
from inference.demo_reports import target_report  # noqa: E402


def shown(text: str) -> AuditReport:
    form = display_form(text, language="en")
    return AuditReport(text=form.text, findings=form.findings, impression=form.impression)


def describe(result) -> str:
    return (
        f"{result.correct}/{result.pairs} = {result.accuracy:.1%} (95% CI {result.ci_low:.1%} to {result.ci_high:.1%}, "
        f"one-sided p {result.p_value:.3g}); median length ratio AI/reference {result.median_length_ratio:.2f}"
    )


def audit_figures(cases: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        folders = write_cases(Path(folder), cases=cases, seed=2026, matrix=32, phases=6)
        truths = [json.loads((f / GROUND_TRUTH_FILE).read_text()) for f in folders]
    ours = [
        AuditPair(str(n), shown(target_report(t)), shown(house_style_ai_report(t, seed=n)[0]))
        for n, t in enumerate(truths)
    ]
    peer = [
        AuditPair(str(n), shown(reference_report(t, seed=n).text), shown(ai_report(t, seed=n).text))
        for n, t in enumerate(truths)
    ]
    print(f"1. Blinding audit on {cases} synthetic cases (goal: <= 65%)")
    print(f"   ours, the demo's house style:           {describe(audit_pairs(ours, threshold=0.65))}")
    print(f"   peer, the previous demo's two voices:   {describe(audit_pairs(peer, threshold=0.65))}")


def demo_audit() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATA_DIR": folder}
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        done = subprocess.run(
            [python, "manage.py", "seed_demo", "--password", "bench-demo-password-1"],
            cwd=ROOT,
            env=env,
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"seed_demo failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        out = done.stdout
        seconds = time.perf_counter() - started
    line = next((line for line in out.splitlines() if line.startswith("Blinding audit")), "no audit line")
    print(f"   the real demo (seed_demo, {seconds:.0f} s): {line}")


def side_figures(seeds: int) -> None:
    print(f"2. A reader who counts sides, medians over {seeds} seeds (chance: 0.50)")
    for cases in (40, 400):
        rows = {}
        for scheme in (BIG_STICK, BALANCED):
            rates, last, running = [], 0, []
            for seed in range(seeds):
                spec = DesignSpec(
                    case_ids=tuple(range(1, cases + 1)),
                    reader_ids=(1,),
                    readers_per_case=1,
                    overlap_count=0,
                    seed=seed,
                    side_scheme=scheme,
                )
                reads = design_study(spec)
                summary = summarise_design(reads)
                rates.append(summary.counting_guess_rate)
                running.append(summary.max_running_imbalance)
                steps, total = [], 0
                for read in reads:
                    total += 1 if read.ai_slot == "A" else -1
                    steps.append(total)
                before = steps[-2]
                last += before != 0 and ((steps[-1] > before) == (before < 0))
            rows[scheme] = (statistics.median(rates), last / seeds, statistics.median(running), max(running))
        for scheme, label in (
            (BIG_STICK, "ours, big stick (bound 4)"),
            (BALANCED, "peer, balanced within one"),
        ):
            rate, last, running, worst = rows[scheme]
            print(
                f"   {cases:4d} reads, {label:27s} guessed {rate:.3f}, last read guessed {last:.2f}, "
                f"running imbalance median {running:.0f} (max {worst})"
            )


def timing_figures(pairs: int) -> None:
    text_a = (
        "FINDINGS:\n- The left ventricle is not dilated (EDV 140 mL).\n- Septum 22 mm in segment 3.\n- No LGE.\n\n"
        "IMPRESSION: Septal HCM.\nReported by [removed]"
    )
    text_b = "Findings:\nThe left ventricle is dilated. Septum 18 mm. Patchy LGE.\n\nImpression:\nDilated cardiomyopathy."
    started = time.perf_counter()
    audit = [
        AuditPair(str(n), shown(text_a + f" Case {n}."), shown(text_b + f" Item {n % 7}."))
        for n in range(pairs)
    ]
    shaped = time.perf_counter() - started
    started = time.perf_counter()
    audit_pairs(audit, threshold=0.65)
    fitted = time.perf_counter() - started
    print(f"3. Audit of {pairs} pairs: display form {shaped:.1f} s, features and classifier {fitted:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--demo", action="store_true", help="also seed the real demo and print its audit")
    options = parser.parse_args()
    audit_figures(options.cases)
    if options.demo:
        demo_audit()
    side_figures(options.seeds)
    timing_figures(options.pairs)


if __name__ == "__main__":
    main()
