"""Cases with the facts a selection filters and stratifies on: the reference report's diagnosis
and language, patient sex, and whether an AI report exists in the reference's language."""

from datetime import date

from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import GenerationRun, Report


def make_case(
    n: int, *, diagnosis: str = "", language: str = "en", sex: str = "", ai_language: str | None = "en"
) -> Case:
    """Case CMR-SEL000n; ``ai_language`` None: no AI report (not eligible), another language than
    ``language``: a language mismatch (not eligible either)."""
    run = GenerationRun.objects.get_or_create(model_name="tiny-cmr-model")[0]
    case = Case.objects.create(
        case_id=f"CMR-SEL{n:06d}",
        patient_pseudonym=f"PS{n}",
        study_instance_uid=f"2.25.77{n}",
        study_date=date(2024, 1, 1),
        patient_sex=sex,
    )
    Report.objects.create(
        case=case, source="reference", language=language, diagnosis=diagnosis, text=f"Findings {n}."
    )
    if ai_language is not None:
        Report.objects.create(
            case=case, source="ai", language=ai_language, text=f"Model findings {n}.", generation_run=run
        )
    return case


def make_cases_of(counts: dict[str, int], *, start: int = 0, **options) -> list[Case]:
    """``counts`` eligible cases per diagnosis, numbered from ``start``."""
    cases, n = [], start
    for diagnosis, count in counts.items():
        for _i in range(count):
            cases.append(make_case(n, diagnosis=diagnosis, **options))
            n += 1
    return cases
