"""The coordinator's pages at the study's scale, on PostgreSQL.

    python bench/bench_cases_page.py [--cases 20000] [--series-per-case 10] [--study-cases 2000] [--repeat 15]

Builds a fresh database ``cmr_bench_cases`` on 127.0.0.1:5432 (dropped and created): cases with
``--series-per-case`` series each, a reference and an AI report per case, and one assigned study
of ``--study-cases`` cases with 4 readers (2 per case, 100 read by all). It then times, in process
(Django's test client: server time without the network), the Cases page (first page, a search,
two filters, a sort), the study page, the coordinator's home and the API list: median and p95 of
``--repeat`` requests each, with the response size. Memory: the peak Python allocation of one
Cases page request (tracemalloc) with a tenth of the cases and with all of them. Last, the
import of a ``--cases``-row reference reports CSV (every case gets a second, different report).

Goals (issue 21): p95 under 300 ms per page on 2 cores; memory that does not grow with the
number of cases; the 20,000-row reports import under 60 s.
"""

import argparse
import csv
import io
import os
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATABASE = "cmr_bench_cases"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
KINDS = (
    "cine_sax",
    "cine_4ch",
    "cine_2ch",
    "cine_3ch",
    "lge_sax",
    "lge_lax",
    "localizer",
    "mapping",
    "perfusion",
    "flow",
)


def reset_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def set_up_django() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cmr_reader.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        HTTPS="0",
        SECRET_KEY="bench-" + "x" * 50,
        PSEUDONYM_KEY="bench-pseudonym-key-" + "y" * 32,
        ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(start: int, stop: int, *, series_per_case: int) -> None:
    """Cases start..stop-1 with their series and two reports, in bulk."""
    from cmr_reader.imaging.models import Case, Series
    from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
    from cmr_reader.reports.models import GenerationRun, Report

    hasher = site_pseudonymizer()
    run = GenerationRun.objects.get_or_create(model_name="bench-model")[0]
    for chunk in range(start, stop, 2000):
        numbers = range(chunk, min(stop, chunk + 2000))
        cases = Case.objects.bulk_create(
            Case(
                case_id=f"CMR-{n:08d}",
                patient_pseudonym=f"PSEUDO{n:08d}",
                study_instance_uid=f"2.25.{10**6 + n}",
                accession_hash=hasher.hash_identifier(f"ACC{n}"),
                study_date=date(2020, 1, 1) + timedelta(days=n % 1500),
                patient_sex="MF"[n % 2],
                patient_age=f"{20 + n % 60:03d}Y",
            )
            for n in numbers
        )
        Series.objects.bulk_create(
            Series(
                case=case,
                series_instance_uid=f"2.25.{10**6 + n}.{k}",
                series_number=k + 1,
                description=KINDS[k % len(KINDS)].upper(),
                kind=KINDS[k % len(KINDS)],
            )
            for n, case in zip(numbers, cases, strict=True)
            for k in range(series_per_case)
        )
        Report.objects.bulk_create(
            report
            for n, case in zip(numbers, cases, strict=True)
            for report in (
                Report(
                    case=case,
                    source="reference",
                    language="zh" if n % 3 == 0 else "en",
                    text=f"Findings {n}. LVEF 60%.",
                ),
                Report(
                    case=case,
                    source="ai",
                    language="zh" if n % 3 == 0 else "en",
                    text=f"Model {n}. LVEF 58%.",
                    generation_run=run,
                ),
            )
            if n % 10 or report.source == "reference"  # a tenth of the cases have no AI report yet
        )


def analyse_tables() -> None:
    """What autovacuum does on a live site after a bulk import: fresh planner statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def make_study(study_cases: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from cmr_reader.accounts.roles import ensure_role_groups
    from cmr_reader.imaging.models import Case
    from cmr_reader.studies import assign
    from cmr_reader.studies.models import ReaderStudy

    ensure_role_groups()
    readers = []
    for n in range(4):
        user = get_user_model().objects.create_user(f"bench-reader-{n}", password="x")
        user.groups.add(Group.objects.get(name="reader"))
        readers.append(user)
    coordinator = get_user_model().objects.create_user("bench-coordinator", password="x")
    coordinator.groups.add(Group.objects.get(name="coordinator"))
    study = ReaderStudy.objects.create(name="Bench study", readers_per_case=2, overlap_count=100, seed=1)
    assign.add_default_criteria(study)
    ids = list(
        Case.objects.filter(reports__source="ai")
        .order_by("case_id")
        .values_list("pk", flat=True)[:study_cases]
    )
    assign.add_cases(study, ids)
    assign.add_readers(study, readers)
    assign.assign(study, now=datetime.now(UTC) - timedelta(minutes=1))
    return study, coordinator


def time_pages(client, pages: dict[str, str], repeat: int) -> dict[str, dict]:
    figures = {}
    for name, url in pages.items():
        client.get(url)  # warm: templates, translations, the database's caches
        seconds, size = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
            size = len(response.content)
        seconds.sort()
        figures[name] = {
            "p50_ms": statistics.median(seconds) * 1000,
            "p95_ms": seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))] * 1000,
            "bytes": size,
        }
    return figures


def peak_memory(client, url: str) -> float:
    client.get(url)
    tracemalloc.start()
    client.get(url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def time_report_import(count: int) -> float:
    """Import ``count`` reference reports for as many new cases that have none yet."""
    from cmr_reader.imaging.models import Case
    from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
    from cmr_reader.reports.report_import import import_reference_reports

    hasher = site_pseudonymizer()
    Case.objects.bulk_create(
        Case(
            case_id=f"CMR-NEW{n:08d}",
            patient_pseudonym=f"NEW{n:08d}",
            study_instance_uid=f"2.25.{10**8 + n}",
            accession_hash=hasher.hash_identifier(f"NEW{n}"),
        )
        for n in range(count)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["accession_number", "report_text", "language"])
    for n in range(count):
        writer.writerow([f"NEW{n}", f"Reading {n}: maximal wall thickness 14 mm, LVEF 62%, no LGE.", "en"])
    buffer.seek(0)
    started = time.perf_counter()
    summary = import_reference_reports(stream=buffer)
    seconds = time.perf_counter() - started
    print(
        f"reports import: {summary.imported} imported, {summary.duplicates} duplicates, {len(summary.rejected)} rejected"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--series-per-case", type=int, default=10)
    parser.add_argument("--study-cases", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-import", action="store_true", help="Time the pages only.")
    args = parser.parse_args()
    reset_database()
    set_up_django()
    from django.test import Client

    tenth = args.cases // 10
    started = time.perf_counter()
    populate(0, tenth, series_per_case=args.series_per_case)
    study, coordinator = make_study(min(args.study_cases, tenth))
    client = Client()
    client.force_login(coordinator)
    small_peak = peak_memory(client, "/imaging/cases/?reports=both&sort=-series")
    populate(tenth, args.cases, series_per_case=args.series_per_case)
    print(
        f"built {args.cases} cases x {args.series_per_case} series in {time.perf_counter() - started:.0f} s"
    )
    large_peak = peak_memory(client, "/imaging/cases/?reports=both&sort=-series")
    pages = {
        "cases: first page": "/imaging/cases/",
        "cases: search": "/imaging/cases/?q=00012345",
        "cases: two filters": "/imaging/cases/?reports=both&kind=lge_sax&language=zh",
        "cases: sort": "/imaging/cases/?sort=-series",
        "cases: last page": "/imaging/cases/?page=9999",
        "study page": f"/studies/{study.pk}/",
        "coordinator home": "/",
        "API list": "/api/cases/",
    }
    figures = time_pages(client, pages, args.repeat)
    print(f"{'page':<22} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9}")
    for name, row in figures.items():
        print(f"{name:<22} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['bytes']:9d}")
    print(
        f"peak memory of a Cases page: {small_peak:.1f} MiB at {tenth} cases, {large_peak:.1f} MiB at {args.cases}"
    )
    if not args.no_import:
        print(f"reports import of {args.cases} rows: {time_report_import(args.cases):.1f} s")


if __name__ == "__main__":
    main()
