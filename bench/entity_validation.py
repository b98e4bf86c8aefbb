"""Precision, recall and F1 per field of the CMR report entity extractor on the labelled set.

    .venv/bin/python bench/entity_validation.py [--errors] [--lang en|zh] [--holdout]

The labelled set is ``cmr_reader/domain/entities/validation/reports.jsonl`` (hand-written,
fictional reports, about half English and half Chinese). ``--holdout`` scores
``validation/holdout.jsonl`` instead: 20 reports written after the rules were, in phrasings the
rules were not written against, the fairer estimate. ``--errors`` lists every disagreement.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cmr_reader.domain.entities.scoring import (  # noqa: E402
    HOLDOUT_REPORTS,
    LABELLED_REPORTS,
    load_labelled_reports,
    score_reports,
)


def _percent(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every disagreement")
    parser.add_argument("--lang", choices=("en", "zh"), help="score one language only")
    parser.add_argument("--holdout", action="store_true", help="score the held-out reports instead")
    options = parser.parse_args()
    path = HOLDOUT_REPORTS if options.holdout else LABELLED_REPORTS
    reports = [r for r in load_labelled_reports(path) if options.lang in (None, r["lang"])]
    scores = score_reports(reports)
    languages = sorted({r["lang"] for r in reports})
    print(f"{len(reports)} labelled reports ({', '.join(languages)}) from {path.name}\n")
    print(f"{'field':30} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8} {'F1':>8}")
    for name, score in scores.items():
        print(
            f"{name:30} {score.true_positives:4} {score.false_positives:4} {score.false_negatives:4} "
            f"{_percent(score.precision):>10} {_percent(score.recall):>8} {_percent(score.f1):>8}"
        )
    totals = [
        sum(getattr(s, a) for s in scores.values())
        for a in ("true_positives", "false_positives", "false_negatives")
    ]
    tp, fp, fn = totals
    print(
        f"\n{'all fields (micro)':30} {tp:4} {fp:4} {fn:4} {_percent(tp / (tp + fp)):>10} {_percent(tp / (tp + fn)):>8}"
    )
    if options.errors:
        for name, score in scores.items():
            for error in score.errors:
                print(f"{name}: {error}")


if __name__ == "__main__":
    main()
