"""Turning a study's design into assignments, once; and building a study's case list."""

import copy
import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cmr_reader.studies.default_criteria import DEFAULT_CRITERIA
from cmr_reader.studies.design import DesignSpec, DesignSummary, PlannedRead, design_study, summarise_design
from cmr_reader.studies.models import (
    Assignment,
    Criterion,
    ReaderStudy,
    StudyCase,
    StudyCaseSelection,
    StudyReader,
)
from cmr_reader.studies.pairs import eligible_pairs

INSERT_BATCH = 500


class StudyLocked(Exception):
    pass


class DesignChanged(Exception):
    """The design changed between the coordinator's confirmation and the assignment."""


def add_default_criteria(study: ReaderStudy) -> None:
    for order, criterion in enumerate(DEFAULT_CRITERIA):
        Criterion.objects.get_or_create(
            study=study,
            key=criterion["key"],
            # Copies: a criterion must not share the module's lists of anchors.
            defaults={
                **{name: copy.copy(text) for name, text in criterion.items() if name != "key"},
                "order": order,
            },
        )


@transaction.atomic
def add_cases(study: ReaderStudy, case_ids) -> int:
    """Add cases that have a reference and an AI report in one language; returns how many were added."""
    study = ReaderStudy.objects.select_for_update().get(pk=study.pk)
    if study.state == ReaderStudy.State.CLOSED:
        raise StudyLocked(_("A closed study takes no more cases."))
    return insert_pairs(study=study, pairs=eligible_pairs(case_ids))


def insert_pairs(
    *, study: ReaderStudy, pairs: dict[int, tuple[int, int]], selection: StudyCaseSelection | None = None
) -> int:
    """Insert case pk -> (reference, AI report pk) pairs as study cases, skipping cases already in
    the study; returns how many were new. One multi-row insert per batch instead of a query or
    two per case: 20,000 cases take seconds, not minutes. The caller holds the study's row lock,
    so the count before and after is this call's own."""
    before = study.study_cases.count()
    StudyCase.objects.bulk_create(
        (
            StudyCase(
                study=study,
                case_id=case_id,
                reference_report_id=reference_id,
                ai_report_id=ai_id,
                selection=selection,
            )
            for case_id, (reference_id, ai_id) in pairs.items()
        ),
        batch_size=INSERT_BATCH,
        ignore_conflicts=True,
    )
    return study.study_cases.count() - before


def add_readers(study: ReaderStudy, users) -> int:
    added = 0
    for user in users:
        _study_reader, created = StudyReader.objects.get_or_create(study=study, reader=user)
        added += created
    return added


def design_spec(study: ReaderStudy) -> DesignSpec:
    return DesignSpec(
        case_ids=tuple(study.study_cases.order_by("id").values_list("id", flat=True)),
        reader_ids=tuple(study.study_readers.order_by("id").values_list("reader_id", flat=True)),
        readers_per_case=study.readers_per_case,
        overlap_count=study.overlap_count,
        seed=study.seed,
        washout_fraction=study.washout_fraction,
        washout_days=study.washout_days,
        side_scheme=study.side_scheme,
    )


def preview(study: ReaderStudy) -> DesignSummary:
    """What ``assign`` would create now, summarised per reader (DesignError when impossible)."""
    spec = design_spec(study)
    return summarise_design(design_study(spec), reader_ids=spec.reader_ids)


def design_fingerprint(study: ReaderStudy) -> str:
    """A short hash of everything assignment locks (cases, readers, design, questionnaire,
    criteria): the confirmation page carries it, so that what is assigned is what was confirmed."""
    spec = design_spec(study)
    locked = {
        "spec": [list(spec.case_ids), list(spec.reader_ids), spec.readers_per_case, spec.overlap_count],
        "draw": [spec.seed, spec.washout_fraction, spec.washout_days, spec.side_scheme],
        "questions": [
            study.allow_revisit,
            study.ask_preference,
            study.ask_ai_guess,
            study.ask_error_flags,
            study.ask_comment,
            study.non_inferiority_margin,
            study.blinding_threshold,
        ],
        "criteria": list(
            study.criteria.order_by("order", "id").values_list(
                "key", "label", "help_text", "anchors", "label_zh", "help_text_zh", "anchors_zh"
            )
        ),
    }
    return hashlib.sha256(json.dumps(locked, sort_keys=True, default=str).encode()).hexdigest()[:16]


def assign(study: ReaderStudy, *, now: datetime, expected_design: str | None = None) -> int:
    """Create every assignment of the study's design and open it for reading; returns the count.

    ``expected_design`` (a ``design_fingerprint``), when given, must still match under the study's
    lock, or nothing is assigned (DesignChanged)."""
    with transaction.atomic():
        study = ReaderStudy.objects.select_for_update().get(pk=study.pk)
        if study.state != ReaderStudy.State.DRAFT:
            raise StudyLocked(_("This study has already been assigned."))
        if expected_design is not None and expected_design != design_fingerprint(study):
            raise DesignChanged(
                _("The cases, readers or design changed since you confirmed. Check them and confirm again.")
            )
        reads = design_study(design_spec(study))
        Assignment.objects.bulk_create(
            _assignment(study, read, position=read.position, now=now) for read in reads
        )
        study.state, study.assigned_at = ReaderStudy.State.ASSIGNED, now
        study.save(update_fields=["state", "assigned_at"])
        return len(reads)


def extend(study: ReaderStudy, *, now: datetime) -> int:
    """After assignment, give cases and readers added since their readings; returns how many.

    Existing readings never change. New cases are designed among all the study's readers like
    the original ones (no new overlap). A new reader reads the overlap set (so agreement
    statistics include them) and their share of any new cases. Each extension draws its own
    seed from the study's seed and the number of readings so far, so it is reproducible too.
    """
    with transaction.atomic():
        study = ReaderStudy.objects.select_for_update().get(pk=study.pk)
        if study.state != ReaderStudy.State.ASSIGNED:
            raise StudyLocked(_("Only a study that is being read can be extended."))
        existing = study.assignments.count()
        assigned_cases = set(study.assignments.values_list("study_case_id", flat=True))
        new_cases = tuple(
            study.study_cases.exclude(pk__in=assigned_cases).order_by("id").values_list("id", flat=True)
        )
        readers = tuple(study.study_readers.order_by("id").values_list("reader_id", flat=True))
        with_readings = set(study.assignments.values_list("reader_id", flat=True))
        new_readers = tuple(r for r in readers if r not in with_readings)
        overlap_cases = tuple(
            study.assignments.filter(is_overlap=True)
            .order_by("study_case_id")
            .values_list("study_case_id", flat=True)
            .distinct()
        )
        reads: list[PlannedRead] = []
        if new_cases:
            reads += design_study(
                DesignSpec(
                    case_ids=new_cases,
                    reader_ids=readers,
                    readers_per_case=min(study.readers_per_case, len(readers)),
                    overlap_count=0,
                    seed=study.seed + existing,
                    washout_fraction=study.washout_fraction,
                    washout_days=study.washout_days,
                    side_scheme=study.side_scheme,
                )
            )
        for offset, reader_id in enumerate(new_readers):
            if overlap_cases:
                reads += [
                    replace(read, is_overlap=True)
                    for read in design_study(
                        DesignSpec(
                            case_ids=overlap_cases,
                            reader_ids=(reader_id,),
                            readers_per_case=1,
                            overlap_count=len(overlap_cases),
                            seed=study.seed + existing + 1 + offset,
                            side_scheme=study.side_scheme,
                        )
                    )
                ]
        # New readings go after each reader's last one (position 0 for a reader with none).
        next_position = dict.fromkeys(readers, 0)
        for reader_id, last in study.assignments.values_list("reader_id").annotate(last=Max("position")):
            next_position[reader_id] = last + 1
        created = []
        for read in sorted(reads, key=lambda r: (r.reader_id, r.is_repeat, r.position)):
            created.append(_assignment(study, read, position=next_position[read.reader_id], now=now))
            next_position[read.reader_id] += 1
        Assignment.objects.bulk_create(created)
        return len(created)


def _assignment(study: ReaderStudy, read: PlannedRead, *, position: int, now: datetime) -> Assignment:
    return Assignment(
        study=study,
        reader_id=read.reader_id,
        study_case_id=read.case_id,
        position=position,
        ai_slot=read.ai_slot,
        is_overlap=read.is_overlap,
        is_repeat=read.is_repeat,
        available_from=now + timedelta(days=read.delay_days),
    )
