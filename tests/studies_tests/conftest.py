"""A small reader study: cases with a reference and an AI report, two readers, assigned."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies import assign
from cmr_reader.studies.models import ReaderStudy

# An hour ago: assignments made at NOW are open to the pages, which use the real clock.
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def make_cases(count: int, *, start: int = 0) -> list[Case]:
    run = GenerationRun.objects.get_or_create(model_name="tiny-cmr-model")[0]
    cases = []
    for n in range(start, start + count):
        case = Case.objects.create(
            case_id=f"CMR-TEST{n:06d}",
            patient_pseudonym=f"P{n}",
            study_instance_uid=f"2.25.{900 + n}",
            study_date=date(2024, 1, 1 + n % 28),
        )
        Report.objects.create(
            case=case, source="reference", language="en", text=f"Reference findings {n}. LVEF 60%."
        )
        Report.objects.create(
            case=case, source="ai", language="en", text=f"Model findings {n}. LVEF 58%.", generation_run=run
        )
        cases.append(case)
    return cases


@dataclass
class AssignedStudy:
    study: ReaderStudy
    cases: list[Case]


def build_study(
    *, readers, cases: int = 6, readers_per_case: int = 2, overlap: int = 2, **options
) -> AssignedStudy:
    made = make_cases(cases, start=Case.objects.count())
    study = ReaderStudy.objects.create(
        name=options.pop("name", "Test study"),
        readers_per_case=readers_per_case,
        overlap_count=overlap,
        seed=7,
        **options,
    )
    assign.add_default_criteria(study)
    assign.add_cases(study, [c.pk for c in made])
    assign.add_readers(study, readers)
    assign.assign(study, now=NOW)
    study.refresh_from_db()
    return AssignedStudy(study=study, cases=made)


@pytest.fixture
def assigned_study(reader, other_reader) -> AssignedStudy:
    return build_study(readers=[reader, other_reader])
