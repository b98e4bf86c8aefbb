"""A whole study's analysis run at study size: read it from the database, compute every table,
write the download bundle.

    python bench/bench_export.py [--cases 20000] [--replicates 1000] [--skip-database]

20,000 cases x 3 readers (every case read by all three) x 2 arms x 3 criteria = 360,000 scores,
with preference, AI guess and error answers as readers give them. Report texts cycle through the
extractor's 63 labelled validation reports (English and Chinese; the AI report of a case is the
next report of the same language), so the entity metrics parse realistic text. The study is written with
bulk inserts into a fresh SQLite database (WAL, as deployed) under a temporary DATA_DIR; then
the steps of ``cmr_reader.analysis.runs.run_analysis`` are timed one by one: collect_study
(the database reads), analyse_study (agreement with B replicates, AI-vs-reference with B
replicates per criterion and reader, models, pair items) and write_bundle (CSVs, XLSX, plots,
metadata). With --skip-database the StudyData is built in memory and the first step is skipped.
Peak memory is the process's maximum RSS.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
READERS = ("alice", "bob", "carol")
CRITERIA = ("correctness", "completeness", "readability")


def synthetic_answers(*, cases: int, seed: int = 0):
    """Per (case, reader): ai_slot and the answers keyed by slot, as the workstation stores them."""
    rng = np.random.default_rng(seed)
    quality = {
        arm: rng.normal(3.3 if arm == "reference" else 3.0, 0.9, size=(len(CRITERIA), cases))
        for arm in ("ai", "reference")
    }
    for r, reader in enumerate(READERS):
        bias = (0.0, 0.3, -0.2)[r]
        slots = rng.integers(0, 2, size=cases)
        noise = {arm: rng.normal(0, 0.6, size=(len(CRITERIA), cases)) for arm in quality}
        missing = rng.random((len(CRITERIA), cases)) < 0.01
        preference = rng.choice(["ai", "equal", "reference"], size=cases, p=[0.3, 0.3, 0.4])
        guess_right = rng.random(cases) < 0.55
        ai_error = rng.random(cases) < 0.12
        reference_error = rng.random(cases) < 0.05
        for i in range(cases):
            ai_slot = "AB"[slots[i]]
            slot_of = {"ai": ai_slot, "reference": "B" if ai_slot == "A" else "A"}
            answers = {}
            for c, criterion in enumerate(CRITERIA):
                for arm in ("ai", "reference"):
                    if not missing[c, i]:
                        answers[f"{slot_of[arm]}.{criterion}"] = int(
                            np.clip(np.rint(quality[arm][c, i] + bias + noise[arm][c, i]), 1, 5)
                        )
            for arm, flagged in (("ai", ai_error[i]), ("reference", reference_error[i])):
                answers[f"{slot_of[arm]}.error"] = bool(flagged)
                if flagged:
                    answers[f"{slot_of[arm]}.error_categories"] = ["missed_finding"]
                    answers[f"{slot_of[arm]}.error_comment"] = "missed"
            answers["pair.preference"] = "equal" if preference[i] == "equal" else slot_of[preference[i]]
            answers["pair.ai_guess"] = ai_slot if guess_right[i] else slot_of["reference"]
            answers["pair.ai_confidence"] = 3
            yield i, reader, ai_slot, answers


def report_texts(*, cases: int) -> list[tuple[str, str, str]]:
    """(reference text, AI text, language) per case from the labelled validation reports."""
    from cmr_reader.domain.entities.scoring import load_labelled_reports

    reports = load_labelled_reports()
    by_language = {}
    for report in reports:
        by_language.setdefault(report["lang"], []).append(report["text"])
    texts = []
    for i in range(cases):
        report = reports[i % len(reports)]
        same = by_language[report["lang"]]
        texts.append((report["text"], same[(same.index(report["text"]) + 1) % len(same)], report["lang"]))
    return texts


def build_database_study(*, cases: int):
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from cmr_reader.imaging.models import Case
    from cmr_reader.reports.models import GenerationRun, Report
    from cmr_reader.studies import assign
    from cmr_reader.studies.models import Answer, Assignment, ReaderStudy, StudyCase

    now = datetime.now(UTC)
    with transaction.atomic():
        users = {
            name: get_user_model().objects.create_user(name, password="bench-password-2026")
            for name in READERS
        }
        run = GenerationRun.objects.create(model_name="bench-model", checkpoint_sha256="ab" * 32)
        Case.objects.bulk_create(
            Case(case_id=f"CMR-B{i:06d}", patient_pseudonym=f"P{i}", study_instance_uid=f"2.25.{10**6 + i}")
            for i in range(cases)
        )
        case_ids = dict(Case.objects.values_list("case_id", "pk"))
        reports = []
        for i, (reference, generated, language) in enumerate(report_texts(cases=cases)):
            pk = case_ids[f"CMR-B{i:06d}"]
            reports.append(Report(case_id=pk, source="reference", language=language, text=reference))
            reports.append(
                Report(case_id=pk, source="ai", language=language, text=generated, generation_run=run)
            )
        Report.objects.bulk_create(reports, batch_size=5000)
        by_case = {}
        for pk, case_id, source in Report.objects.values_list("pk", "case_id", "source"):
            by_case.setdefault(case_id, {})[source] = pk
        study = ReaderStudy.objects.create(
            name="Bench study",
            readers_per_case=3,
            state=ReaderStudy.State.ASSIGNED,
            non_inferiority_margin=0.5,
        )
        assign.add_default_criteria(study)
        StudyCase.objects.bulk_create(
            (
                StudyCase(
                    study=study,
                    case_id=pk,
                    reference_report_id=by_case[pk]["reference"],
                    ai_report_id=by_case[pk]["ai"],
                )
                for pk in case_ids.values()
            ),
            batch_size=5000,
        )
        study_cases = dict(StudyCase.objects.filter(study=study).values_list("case__case_id", "pk"))
        assignments, answer_sets = [], []
        for i, reader, ai_slot, answers in synthetic_answers(cases=cases):
            assignments.append(
                Assignment(
                    study=study,
                    reader=users[reader],
                    study_case_id=study_cases[f"CMR-B{i:06d}"],
                    position=i,
                    ai_slot=ai_slot,
                    available_from=now,
                    opened_at=now,
                    submitted_at=now + timedelta(seconds=90),
                    active_seconds=80.0,
                )
            )
            answer_sets.append(answers)
        Assignment.objects.bulk_create(assignments, batch_size=5000)
        Answer.objects.bulk_create(
            (
                Answer(assignment=a, item=item, value=value, updated_at=now)
                for a, answers in zip(assignments, answer_sets, strict=True)
                for item, value in answers.items()
            ),
            batch_size=10000,
        )
    return study


def in_memory_study(*, cases: int):
    from cmr_reader.analysis.study_data import CriterionInfo, Reading, StudyCaseInfo, StudyData, arm_item
    from cmr_reader.studies.questionnaire import ERROR_CATEGORIES

    now = datetime.now(UTC)
    readings = []
    for i, reader, ai_slot, answers in synthetic_answers(cases=cases):
        unblinded = dict(arm_item(item, value, ai_slot=ai_slot) for item, value in answers.items())
        readings.append(
            Reading(
                f"{reader}-{i}", reader, f"CMR-B{i:06d}", i, ai_slot, False, False, now, now, 80.0, unblinded
            )
        )
    return StudyData(
        study_id=1,
        name="Bench study",
        criteria=tuple(CriterionInfo(key, key.title(), "", ("1", "2", "3", "4", "5")) for key in CRITERIA),
        design={"seed": 1},
        questionnaire={},
        non_inferiority_margin=0.5,
        cases=tuple(
            StudyCaseInfo(
                f"CMR-B{i:06d}",
                2 * i,
                2 * i + 1,
                "bench-model@abababababab",
                language,
                "",
                "",
                reference,
                generated,
            )
            for i, (reference, generated, language) in enumerate(report_texts(cases=cases))
        ),
        readings=tuple(readings),
        error_categories=ERROR_CATEGORIES,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--skip-database", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cmr-bench-export-") as folder:
        os.environ.update(
            DATA_DIR=folder,
            DJANGO_SETTINGS_MODULE="cmr_reader.settings",
            DEBUG="0",
            SECRET_KEY="bench-" * 10,
            PSEUDONYM_KEY="bench-pseudonym-" * 4,
        )
        os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        from cmr_reader.analysis.bundle import write_bundle
        from cmr_reader.analysis.study_analysis import analyse_study
        from cmr_reader.analysis.study_data import collect_study

        timings = {}
        if args.skip_database:
            data = in_memory_study(cases=args.cases)
        else:
            call_command("migrate", verbosity=0)
            start = time.perf_counter()
            study = build_database_study(cases=args.cases)
            print(f"built the study in SQLite: {time.perf_counter() - start:.1f} s (not part of the run)")
            start = time.perf_counter()
            data = collect_study(study)
            timings["collect_study (database reads)"] = time.perf_counter() - start
        scores = len(data.readings) * 2 * len(data.criteria)
        print(f"{len(data.cases):,} cases, {len(data.readings):,} readings, {scores:,} scores")

        step_started = {}

        def progress(step: str, percent: int) -> None:
            step_started[step] = time.perf_counter()

        start = time.perf_counter()
        results = analyse_study(data, bootstrap=args.replicates, seed=1, progress=progress)
        timings[f"analyse_study (B={args.replicates})"] = time.perf_counter() - start
        marks = sorted(step_started.items(), key=lambda item: item[1])
        for (step, at), (_next, until) in zip(marks, marks[1:], strict=False):
            print(f"  {step:32s} {until - at:7.1f} s")
        target = Path(folder) / "bundle.zip"
        start = time.perf_counter()
        with target.open("wb") as handle:
            write_bundle(data, results, handle)
        timings["write_bundle"] = time.perf_counter() - start
        with zipfile.ZipFile(target) as bundle:
            sizes = {info.filename: info.file_size for info in bundle.infolist()}
        total = sum(timings.values())
        for name, seconds in timings.items():
            print(f"{name:40s} {seconds:7.1f} s")
        print(f"{'whole run':40s} {total:7.1f} s")
        print(
            f"bundle: {target.stat().st_size / 2**20:.1f} MiB zipped, {sum(sizes.values()) / 2**20:.1f} MiB of files; "
            f"ratings_long.csv {sizes['ratings_long.csv'] / 2**20:.1f} MiB, analysis.xlsx {sizes['analysis.xlsx'] / 2**20:.1f} MiB"
        )
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
