"""Report scrubbing on realistic RIS text (peer: the scrubber before the privacy issue).

The corpus (cmr_reader.domain.synthetic.ris_corpus: 120 English and Chinese reports by default, each with
a header, history, findings, comparison and signature block and identifiers planted in the forms
real RIS exports use) is scrubbed by ours and by the peer, the scrubber as it was at commit
b83fcd1 (read from git history, so this needs a clone with history). Printed per scrubber: the
share of planted identifiers removed (goal 100%), of clinical values kept verbatim and of reports
whose extracted entities are unchanged (goal 100%), and reports per second (median of 5 passes).

    .venv/bin/python bench/bench_scrub.py [--count 120] [--seed 2026] [--misses]
"""

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmr_reader.domain.entities import extract_entities  # noqa: E402
from cmr_reader.domain.synthetic.ris_corpus import ris_corpus  # noqa: E402
from cmr_reader.reports.scrub import scrub_report_text  # noqa: E402

PEER_COMMIT = "b83fcd1"


def peer_scrubber():
    source = subprocess.run(
        ["git", "show", f"{PEER_COMMIT}:cmr_reader/reports/scrub.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("peer_scrub")
    exec(compile(source, f"peer_scrub@{PEER_COMMIT}", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module.scrub_report_text


def measure(name, scrub, corpus, *, show_misses: bool) -> None:
    planted = removed = clinical = kept = same = 0
    for report in corpus:
        out = scrub(report.text, identifiers=report.identifiers)
        for value in report.planted:
            planted += 1
            if value in out:
                if show_misses:
                    print(f"   {name} kept {value!r} ({report.language})")
            else:
                removed += 1
        clinical += len(report.clinical)
        kept += sum(value in out for value in report.clinical)
        same += extract_entities(report.text, lang=report.language) == extract_entities(
            out, lang=report.language
        )
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        for report in corpus:
            scrub(report.text, identifiers=report.identifiers)
        timings.append(time.perf_counter() - started)
    rate = len(corpus) / statistics.median(timings)
    print(
        f"{name:28s} identifiers removed {removed}/{planted} = {removed / planted:.1%}; clinical values kept "
        f"{kept}/{clinical} = {kept / clinical:.1%}; entities unchanged {same}/{len(corpus)} = {same / len(corpus):.1%}; "
        f"{rate:,.0f} reports/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--misses", action="store_true", help="print every identifier left in place")
    options = parser.parse_args()
    corpus = ris_corpus(count=options.count, seed=options.seed)
    print(
        f"{len(corpus)} reports ({sum(r.language == 'zh' for r in corpus)} Chinese), "
        f"{sum(len(r.planted) for r in corpus)} planted identifiers"
    )
    measure("ours", scrub_report_text, corpus, show_misses=options.misses)
    measure(f"peer (scrubber at {PEER_COMMIT})", peer_scrubber(), corpus, show_misses=False)


if __name__ == "__main__":
    main()
