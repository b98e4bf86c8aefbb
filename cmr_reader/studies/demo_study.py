"""The demo's reader study: each synthetic case gets a reference report (through the real RIS
import path) and an AI report (from a seeded template generator standing in for the model until
the inference package writes real ones), then one study assigned to the demo readers."""

import csv
import io
import json
from pathlib import Path

from django.utils import timezone

from cmr_reader.imaging.import_jobs import site_pseudonymizer
from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.reports.report_import import import_reference_reports
from cmr_reader.studies import assign
from cmr_reader.studies.models import ReaderStudy
from cmr_reader.synthetic.reports import ai_report, reference_report

DEMO_STUDY_NAME = "Demo: AI vs radiologist CMR reports"
DEMO_GENERATOR = "synthetic-template-generator (demo stand-in, not a neural network)"
DEMO_ERROR_RATE = 0.3


def seed_demo_reports(case_dirs: list[Path], *, seed: int) -> int:
    """Reference and AI reports for every demo case; returns how many cases have both."""
    truths = [json.loads((folder / "ground_truth.json").read_text()) for folder in case_dirs]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["accession_number", "report_text", "language"])
    for number, truth in enumerate(truths):
        writer.writerow([truth["accession_number"], reference_report(truth, seed=seed + number).text, "en"])
    buffer.seek(0)
    import_reference_reports(stream=buffer)

    run, _created = GenerationRun.objects.get_or_create(
        model_name=DEMO_GENERATOR,
        defaults={"generation_parameters": {"seed": seed, "error_rate": DEMO_ERROR_RATE}, "device": "cpu"},
    )
    pseudonymizer = site_pseudonymizer()
    paired = 0
    for number, truth in enumerate(truths):
        case = Case.objects.filter(accession_hash=pseudonymizer.hash_identifier(truth["accession_number"])).first()
        if case is None:
            continue
        generated = ai_report(truth, seed=seed + number, error_rate=DEMO_ERROR_RATE)
        Report.objects.get_or_create(
            case=case,
            source=Report.Source.AI,
            generation_run=run,
            defaults={"text": generated.text, "language": generated.language},
        )
        paired += Report.objects.filter(case=case, source=Report.Source.REFERENCE).exists()
    return paired


def seed_demo_study(*, readers, created_by=None) -> ReaderStudy:
    """One study over every case with both reports, assigned to ``readers``; idempotent."""
    study, created = ReaderStudy.objects.get_or_create(
        name=DEMO_STUDY_NAME,
        defaults={
            "instructions": "Look at the images first, then score each report against them.",
            "readers_per_case": 2,
            "seed": 2026,
            "created_by": created_by,
        },
    )
    if study.state != ReaderStudy.State.DRAFT:
        return study
    assign.add_default_criteria(study)
    assign.add_cases(study, None)
    assign.add_readers(study, readers)
    cases = study.study_cases.count()
    # A third of the cases (at least two) are read by everyone, for the agreement statistics.
    study.overlap_count = min(cases, max(2, cases // 3))
    study.save(update_fields=["overlap_count"])
    assign.assign(study, now=timezone.now())
    return study
