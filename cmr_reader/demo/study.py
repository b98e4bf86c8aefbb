"""The demo's reader study: each synthetic case gets a reference report (through the real RIS
import path) and an AI report, then one study assigned to the demo readers.

The AI reports come from the bundled demo model (``inference/demo_model``, a small network trained
on synthetic cases) through the same generation path as a site's own checkpoint
(``cmr_reader.reports.generation``). Where it cannot load (no torch in this environment, no
weights), or fails on a case, a seeded template generator writes that case's AI report instead,
and the command says which was used.

Both arms are written in the demo site's house style, the one the demo model learned
(``inference.demo_reports.target_report``): the reference states the ground truth, the AI report
what the model saw (or, from the template generator, the truth with planted errors). So the two
differ in content, not in form or length, and the demo passes its own blinding audit
(docs/decisions/0013-display-form.md); a reference written in another voice would be told from the
AI report by its wording alone."""

import csv
import io
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from cmr_reader.domain.synthetic.reports import plant_errors, stated_facts
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.reports.report_import import import_reference_reports
from cmr_reader.studies import assign, blinding
from cmr_reader.studies.models import ReaderStudy
from inference.demo_reports import DIAGNOSIS, target_report

logger = logging.getLogger(__name__)

DEMO_STUDY_NAME = "Demo: AI vs radiologist CMR reports"
DEMO_GENERATOR = "synthetic-template-generator (demo stand-in, not a neural network)"
DEMO_ERROR_RATE = 0.3
DEMO_MODEL_MAX_NEW_TOKENS = 160  # its reports are about 60 tokens
# The template generator's wrong diagnosis, within the four the house style can name.
_MISREAD_DIAGNOSIS = {
    "hcm_septal": "hcm_apical",
    "hcm_apical": "hcm_septal",
    "dcm": "normal",
    "normal": "hcm_septal",
}


@dataclass(frozen=True)
class DemoReports:
    paired: int  # cases with a reference and an AI report
    by_model: int  # AI reports written by the demo model in this call
    by_template: int  # AI reports written by the template generator in this call
    model_note: str  # the model and its checkpoint hash, or why it could not be used


def seed_demo_reports(case_dirs: list[Path], *, seed: int) -> DemoReports:
    """Reference and AI reports for every demo case (AI: the demo model, else the template generator)."""
    truths = [json.loads((folder / "ground_truth.json").read_text()) for folder in case_dirs]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["accession_number", "report_text", "language"])
    for truth in truths:
        writer.writerow([truth["accession_number"], target_report(truth), "en"])
    buffer.seek(0)
    import_reference_reports(stream=buffer)

    pseudonymizer = site_pseudonymizer()
    cases = {
        number: case
        for number, truth in enumerate(truths)
        if (
            case := Case.objects.filter(
                accession_hash=pseudonymizer.hash_identifier(truth["accession_number"])
            ).first()
        )
    }
    # A case keeps the AI report it has (from either generator): a study pairs one with each case.
    lacking = [
        case
        for case in cases.values()
        if not Report.objects.filter(case=case, source=Report.Source.AI).exists()
    ]
    by_model, model_note = generate_with_demo_model(lacking) if lacking else (0, "every case already had one")
    by_template = 0
    paired = 0
    for number, case in cases.items():
        if not Report.objects.filter(case=case, source=Report.Source.AI).exists():
            _template_report(case, truths[number], seed=seed + number, batch_seed=seed)
            by_template += 1
        paired += Report.objects.filter(case=case, source=Report.Source.REFERENCE).exists()
    return DemoReports(paired=paired, by_model=by_model, by_template=by_template, model_note=model_note)


def generate_with_demo_model(cases: list[Case]) -> tuple[int, str]:
    """AI reports from the bundled demo model for ``cases`` that lack one from it, on the CPU.

    Returns how many it wrote and a note naming the checkpoint, or why it could not be used (the
    caller then falls back to the template generator). Imported here, not at module level, so that
    a site without the inference requirements still seeds its demo.
    """
    try:
        from cmr_reader.reports.generation import (
            GenerationPlan,
            cases_lacking_report,
            plan_run,
            run_generation,
        )
        from inference.checkpoint import read_input_config
        from inference.demo_reports import DEMO_MODEL_PATH
        from inference.generation_settings import GenerationSettings
        from inference.prompts import PromptTemplate

        plan = GenerationPlan(
            model_path=DEMO_MODEL_PATH,
            template=PromptTemplate.load("en"),
            input_config=read_input_config(DEMO_MODEL_PATH),
            settings=GenerationSettings(max_new_tokens=DEMO_MODEL_MAX_NEW_TOKENS, batch_size=4),
        )
        run = plan_run(plan)
        lacking = list(cases_lacking_report(run, Case.objects.filter(pk__in=[case.pk for case in cases])))
        if lacking:
            run_generation(run, cases=lacking, device="cpu", preprocess_workers=0)
    except Exception as error:  # noqa: BLE001 - no torch, no weights, a broken checkpoint: use the fallback
        logger.warning("The demo model could not write the demo's AI reports: %s", error)
        return 0, f"demo model unavailable ({type(error).__name__}: {error})"
    written = Report.objects.filter(generation_run=run, case__in=lacking).count()
    return written, f"demo model {DEMO_MODEL_PATH.name} (checkpoint {run.checkpoint_sha256[:12]})"


def _template_report(case: Case, truth: dict, *, seed: int, batch_seed: int) -> None:
    run, _created = GenerationRun.objects.get_or_create(
        model_name=DEMO_GENERATOR,
        defaults={
            "generation_parameters": {"seed": batch_seed, "error_rate": DEMO_ERROR_RATE},
            "device": "cpu",
        },
    )
    Report.objects.get_or_create(
        case=case,
        source=Report.Source.AI,
        generation_run=run,
        defaults={"text": house_style_ai_report(truth, seed=seed)[0], "language": "en"},
    )


def house_style_ai_report(truth: dict, *, seed: int) -> tuple[str, tuple[str, ...]]:
    """The template generator's AI report in the house style, and the errors planted in it (the
    share ``DEMO_ERROR_RATE`` of cases gets one or two; EF and segment errors have no sentence
    in the house style, so they do not show)."""
    facts, errors = plant_errors(
        stated_facts(truth),
        rng=random.Random(f"demo-ai:{seed}:{truth.get('seed', '')}"),
        error_rate=DEMO_ERROR_RATE,
    )
    diagnosis = facts.diagnosis if facts.diagnosis in DIAGNOSIS else _MISREAD_DIAGNOSIS[truth["case_type"]]
    stated = {
        **truth,
        "case_type": diagnosis,
        "max_wall_thickness_mm": facts.thickness_mm,
        "lge": "present" if facts.lge_pattern else "absent",
        "lge_pattern": facts.lge_pattern,
    }
    return target_report(stated), errors


def seed_demo_study(*, readers, created_by=None) -> ReaderStudy:
    """One study over every case with both reports, assigned to ``readers``; idempotent."""
    study, created = ReaderStudy.objects.get_or_create(
        name=DEMO_STUDY_NAME,
        defaults={
            "instructions": "Look at the **images** first, then score each report against them.",
            "instructions_zh": "请先**阅片**，再对照图像为每份报告评分。",
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
    blinding.run_blinding_audit(study=study, user=created_by, now=timezone.now())
    assign.assign(study, now=timezone.now())
    return study
