"""The site's (study inputs, reference report) pairs for fine-tuning, with reader studies kept out.

It lives with the studies because protecting them is its point: every case in any reader study,
and every other exam of those patients, is reserved and never written to a manifest
(``cmr_reader.domain.training_split``). The rest are split by patient into train, validation and
test. A row names the same stored files and series kinds that ``generation.case_source`` gives
the model, so training reads a case exactly as generation will (decisions/0029).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from cmr_reader.domain.training_manifests import ManifestRow, overlap_problems, read_manifests
from cmr_reader.domain.training_split import (
    SEEN_SPLITS,
    CaseFacts,
    SplitFractions,
    SplitPlan,
    key_fingerprint,
    patient_hash,
    plan_splits,
)
from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.reports.models import Report
from cmr_reader.studies.models import StudyCase


@dataclass(frozen=True)
class TrainingExport:
    rows: list[ManifestRow]
    plan: SplitPlan
    left_out: dict[str, int]  # reason -> cases

    def summary(self, *, fractions: SplitFractions, key: bytes, created_at: str, code_version: str) -> dict:
        """What ``summary.json`` says besides the manifests' hashes (``write_manifests`` adds those)."""
        return {
            "created_at": created_at,
            "code_version": code_version,
            "dicom_root": str(Path(settings.DICOM_STORAGE_ROOT).resolve()),
            "fractions": {"validation": fractions.validation, "test": fractions.test},
            "key_fingerprint": key_fingerprint(key),
            "left_out": self.left_out,
            "reserved": {
                "why": "cases in a reader study and every other exam of their patients",
                "case_ids": sorted(self.plan.reserved_case_ids),
                "patient_hashes": sorted(self.plan.reserved_patient_hashes),
            },
        }


def study_case_facts() -> list[CaseFacts]:
    """Every stored case with its patient and whether any reader study holds it (two queries)."""
    in_study = set(StudyCase.objects.values_list("case_id", flat=True))
    return [
        CaseFacts(case_id=case_id, patient_pseudonym=patient, in_reader_study=pk in in_study)
        for pk, case_id, patient in Case.objects.order_by("case_id").values_list(
            "pk", "case_id", "patient_pseudonym"
        )
    ]


def export_training_pairs(
    *, key: bytes, fractions: SplitFractions, languages: Sequence[str] = ("en", "zh")
) -> TrainingExport:
    """The manifest rows of every case that may train the model: not reserved, with a reference
    report in one of ``languages`` and stored DICOM files. Five queries, whatever the size."""
    facts = study_case_facts()
    plan = plan_splits(facts, key=key, fractions=fractions)
    pseudonyms = {fact.case_id: fact.patient_pseudonym for fact in facts}
    references = {
        case_id: (text, language)
        for case_id, text, language in Report.objects.filter(source=Report.Source.REFERENCE).values_list(
            "case__case_id", "text", "language"
        )
    }
    files: dict[str, list[str]] = defaultdict(list)
    # The order generation.case_source reads a case's files in.
    for case_id, path in Instance.objects.order_by(
        "series__case__case_id", "series_id", "instance_number", "id"
    ).values_list("series__case__case_id", "file_path"):
        files[case_id].append(path)
    kinds: dict[str, dict[str, str]] = defaultdict(dict)
    for case_id, uid, kind in Series.objects.values_list("case__case_id", "series_instance_uid", "kind"):
        kinds[case_id][uid] = kind
    left_out = {
        "reserved_for_reader_studies": len(plan.reserved_case_ids),
        "no_reference_report": 0,
        "other_language": 0,
        "no_files": 0,
    }
    rows = []
    for case_id, split in sorted(plan.splits.items()):
        if not references.get(case_id, ("", ""))[0].strip():
            left_out["no_reference_report"] += 1
            continue
        text, language = references[case_id]
        if language not in languages:
            left_out["other_language"] += 1
            continue
        if not files[case_id]:
            left_out["no_files"] += 1
            continue
        rows.append(
            ManifestRow(
                case_id=case_id,
                patient_hash=patient_hash(pseudonyms[case_id]),
                split=split,
                language=language,
                reference_report=text.strip(),
                files=tuple(files[case_id]),
                series_kinds=kinds[case_id],
            )
        )
    return TrainingExport(rows=rows, plan=plan, left_out=left_out)


def current_study_overlap(folder: Path) -> list[str]:
    """Why manifests written earlier may no longer be trained on: a train or validation case of
    theirs (or another exam of its patient) has joined a reader study since. Test cases may: the
    model never learns from them, which makes them the natural pool for a study. Also fails on
    changed files (``read_manifests``)."""
    manifests = read_manifests(folder)
    facts = study_case_facts()
    study_patients = {fact.patient_pseudonym for fact in facts if fact.in_reader_study}
    return overlap_problems(
        (row for split in SEEN_SPLITS for row in manifests.rows.get(split, [])),
        reserved_case_ids={fact.case_id for fact in facts if fact.in_reader_study},
        reserved_patient_hashes={patient_hash(p) for p in study_patients},
    )
