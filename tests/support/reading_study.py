"""A small assigned reader study with real (synthetic) images, for the browser tests that open the
reading workstation: imported through the real ingest, so the viewer has series to show."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from cmr_reader.domain.synthetic import write_cases
from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies import assign
from cmr_reader.studies.models import ReaderStudy

# Report pairs as a radiologist and the model might write them, in each language of the study.
REPORTS = {
    "en": (
        "Findings: Asymmetric septal hypertrophy, maximal wall thickness 19 mm in the basal "
        "anteroseptum. LVEF 68%. Patchy mid-wall LGE at the RV insertion points.\n"
        "Impression: Hypertrophic cardiomyopathy with non-ischaemic fibrosis.",
        "Findings: Septal thickening up to 18 mm. EF 66%. Mid-wall enhancement at the inferior "
        "RV insertion point.\nImpression: Consistent with hypertrophic cardiomyopathy.",
    ),
    "zh-hans": (
        "所见：室间隔非对称性肥厚，基底段前间隔最大室壁厚度 19 mm。左心室射血分数 68%。"
        "右心室插入部见斑片状心肌中层延迟强化。\n印象：肥厚型心肌病，伴非缺血性心肌纤维化。",
        "所见：室间隔增厚，最厚约 18 mm。射血分数 66%。下壁右心室插入部心肌中层强化。\n"
        "印象：符合肥厚型心肌病表现。",
    ),
}


def build_imaged_study(
    folder: Path, *, readers, cases: int = 2, language: str = "en", name: str = "Browser study"
) -> ReaderStudy:
    """Import ``cases`` synthetic CMR studies, give each a reference and an AI report in
    ``language``, and assign them (every case to every reader), opened five minutes ago."""
    for case_dir in write_cases(folder, cases=cases, seed=21, matrix=48, phases=6):
        import_sources(
            iter_path_sources(sorted(case_dir.glob("*.dcm"))),
            pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
            storage_root=settings.DICOM_STORAGE_ROOT,
        )
    reference_text, ai_text = REPORTS[language]
    language = {"zh-hans": "zh"}.get(language, language)  # Report.language is ISO 639-1
    run = GenerationRun.objects.create(model_name="tiny")
    for case in Case.objects.all():
        Report.objects.create(case=case, source="reference", language=language, text=reference_text)
        Report.objects.create(case=case, source="ai", language=language, text=ai_text, generation_run=run)
    study = ReaderStudy.objects.create(name=name, readers_per_case=len(readers), overlap_count=cases, seed=3)
    assign.add_default_criteria(study)
    assign.add_cases(study, None)
    assign.add_readers(study, readers)
    assign.assign(study, now=timezone.now() - timedelta(minutes=5))
    return study
