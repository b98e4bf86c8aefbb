"""Building a study's case list from a selection: the Cases page's filters, every eligible match
or a seeded sample (optionally stratified), and removing cases before assignment. Every change is
kept as a ``StudyCaseSelection`` for the methods section; the sampling itself is
``case_sampling`` (pure).

Only eligible cases join (a reference and an AI report in one language, ``pairs``). The matching
cases reach the report queries as a subquery, never as a list of ids, so 20,000 cases cost the
same few queries as 20, and the rows go in with one multi-row insert per batch.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cmr_reader.imaging.case_search import matching_cases
from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import Report
from cmr_reader.studies import case_sampling
from cmr_reader.studies.assign import StudyLocked, insert_pairs
from cmr_reader.studies.models import ReaderStudy, StudyCase, StudyCaseSelection, new_seed
from cmr_reader.studies.pairs import eligible_pairs

ALL = "all"  # the one stratum of an unstratified selection
UNSTATED = "unstated"  # a reference report that states no diagnosis, as on the Cases page
UNKNOWN_SEX = "unknown"
# Filters that say how the Cases page is sorted, not which cases it shows.
NOT_A_FILTER = {"sort"}

StratifyBy = StudyCaseSelection.StratifyBy


class CasesLocked(StudyLocked):
    """Removing cases from a study that is being read (its readings refer to them)."""

    def __init__(self):
        super().__init__(_("Cases cannot be removed once the study is assigned: its readings refer to them."))


@dataclass(frozen=True)
class Candidates:
    """What a set of filters finds for a study."""

    matching: int  # cases matching the filters
    eligible: int  # of those, with a reference and an AI report in one language
    pairs: dict[int, tuple[int, int]]  # eligible and not yet in the study: case pk -> report pks
    strata: dict[int, str]  # the same cases -> their stratum

    @property
    def available(self) -> int:
        return len(self.pairs)

    @property
    def in_study(self) -> int:
        return self.eligible - self.available


def filters_as_json(filters: dict) -> dict:
    """A CaseFilterForm's cleaned data as stored: the filters that were set, dates as ISO text."""
    stored = {}
    for key, value in filters.items():
        if key in NOT_A_FILTER or value in (None, "", [], ()):
            continue
        stored[key] = value.isoformat() if isinstance(value, date) else value
    return stored


def find_candidates(*, study: ReaderStudy, filters: dict, stratify_by: str = "") -> Candidates:
    """The eligible cases matching ``filters`` (a CaseFilterForm's cleaned data) that are not yet
    in ``study``, each with its stratum under ``stratify_by`` (a ``StratifyBy`` value or "")."""
    matching = matching_cases(filters).values("pk")
    eligible = eligible_pairs(matching)
    in_study = set(study.study_cases.values_list("case_id", flat=True))
    pairs = {case_id: pair for case_id, pair in eligible.items() if case_id not in in_study}
    return Candidates(
        matching=matching.count(),
        eligible=len(eligible),
        pairs=pairs,
        strata=_strata(pairs, matching=matching, stratify_by=stratify_by),
    )


def _strata(pairs: dict[int, tuple[int, int]], *, matching: QuerySet, stratify_by: str) -> dict[int, str]:
    if stratify_by not in ("", *StratifyBy.values):
        raise ValueError(f"cannot stratify by {stratify_by!r}")
    if not stratify_by:
        return dict.fromkeys(pairs, ALL)
    if stratify_by == StratifyBy.SEX:
        values = Case.objects.filter(pk__in=matching).values_list("pk", "patient_sex")
        missing = UNKNOWN_SEX
    else:
        field = "diagnosis" if stratify_by == StratifyBy.DIAGNOSIS else "language"
        values = Report.objects.filter(source=Report.Source.REFERENCE, case__in=matching).values_list(
            "case_id", field
        )
        missing = UNSTATED
    return {case_id: value or missing for case_id, value in values if case_id in pairs}


def plan_selection(
    candidates: Candidates, *, sample_size: int | None, allocation: str
) -> tuple[case_sampling.StratumDraw, ...]:
    """How many cases each stratum would give (the seed decides only which ones)."""
    return case_sampling.plan_strata(
        candidates.strata, size=sample_size, allocation=allocation or case_sampling.PROPORTIONAL
    )


@transaction.atomic
def add_selection(
    *,
    study: ReaderStudy,
    filters: dict,
    sample_size: int | None,
    seed: int | None,
    stratify_by: str,
    allocation: str,
    user: AbstractBaseUser | None,
    now: datetime,
) -> StudyCaseSelection:
    """Add the eligible cases matching ``filters`` that are not yet in the study, all of them or a
    sample of ``sample_size`` (stratified by ``stratify_by``, ``allocation`` "proportional" or
    "equal"), drawn with ``seed`` (None: one is drawn); returns the recorded selection.

    A study being read takes cases too (the caller extends its readings); a closed one does not."""
    study = ReaderStudy.objects.select_for_update().get(pk=study.pk)
    if study.state == ReaderStudy.State.CLOSED:
        raise StudyLocked(_("A closed study takes no more cases."))
    if sample_size is None:
        seed, stratify_by, allocation = None, "", ""
    else:
        seed = new_seed() if seed is None else seed
        allocation = allocation or StudyCaseSelection.Allocation.PROPORTIONAL
    candidates = find_candidates(study=study, filters=filters, stratify_by=stratify_by)
    # Without a sample size every case is taken: the seed and the allocation play no part.
    sample = case_sampling.draw_sample(
        candidates.strata,
        size=sample_size,
        seed=seed or 0,
        allocation=allocation or case_sampling.PROPORTIONAL,
    )
    selection = StudyCaseSelection.objects.create(
        study=study,
        action=StudyCaseSelection.Action.ADD,
        created_at=now,
        created_by=user,
        filters=filters_as_json(filters),
        matching_count=candidates.matching,
        available_count=candidates.available,
        sample_size=sample_size,
        seed=seed,
        stratify_by=stratify_by,
        allocation=allocation,
        strata=[draw.as_json() for draw in sample.strata] if sample_size is not None else [],
    )
    selection.case_count = insert_pairs(
        study=study,
        pairs={case_id: candidates.pairs[case_id] for case_id in sample.case_ids},
        selection=selection,
    )
    selection.save(update_fields=["case_count"])
    return selection


def study_cases_matching(study: ReaderStudy, search: dict) -> QuerySet:
    """The study's cases that match the case list's search (case id or pseudonym, diagnosis and
    language of the reference report): what the list shows, and what "remove all" removes."""
    study_cases = StudyCase.objects.filter(study=study)
    if text := (search.get("q") or "").strip():
        study_cases = study_cases.filter(
            Q(case__case_id__icontains=text) | Q(case__patient_pseudonym__icontains=text)
        )
    if diagnosis := search.get("diagnosis"):
        study_cases = study_cases.filter(
            reference_report__diagnosis="" if diagnosis == UNSTATED else diagnosis
        )
    if language := search.get("language"):
        study_cases = study_cases.filter(reference_report__language=language)
    return study_cases


@transaction.atomic
def remove_cases(
    *,
    study: ReaderStudy,
    study_case_ids: list[int] | None = None,
    search: dict | None = None,
    user: AbstractBaseUser | None,
    now: datetime,
) -> StudyCaseSelection:
    """Remove the ticked study cases (``study_case_ids``) or every one matching ``search``, while
    the study is a draft (readings refer to the cases of an assigned study); returns the record."""
    study = ReaderStudy.objects.select_for_update().get(pk=study.pk)
    if study.state != ReaderStudy.State.DRAFT:
        raise CasesLocked()
    if (study_case_ids is None) == (search is None):
        raise ValueError("give either study_case_ids or search")
    if study_case_ids is not None:
        doomed = StudyCase.objects.filter(study=study, pk__in=study_case_ids)
        recorded = {"ticked": sorted(doomed.values_list("case__case_id", flat=True))}
    else:
        doomed = study_cases_matching(study, search)
        recorded = {key: value for key, value in search.items() if value}
    _total, removed = doomed.delete()
    return StudyCaseSelection.objects.create(
        study=study,
        action=StudyCaseSelection.Action.REMOVE,
        created_at=now,
        created_by=user,
        filters=recorded,
        case_count=removed.get(StudyCase._meta.label, 0),
    )


def changed_since(study: ReaderStudy, when: datetime) -> bool:
    """Whether cases were added to or removed from the study's list after ``when``."""
    return study.case_selections.filter(created_at__gt=when, case_count__gt=0).exists()


def selection_history(study: ReaderStudy) -> list[dict]:
    """Every change of the study's case list, oldest first, as JSON-ready values (for an export's
    metadata: with the filters and the seed, each sample can be drawn again)."""
    return [
        {
            "action": selection.action,
            "created_at": selection.created_at.isoformat(),
            "created_by": selection.created_by.get_username() if selection.created_by else None,
            "filters": selection.filters,
            "matching": selection.matching_count,
            "available": selection.available_count,
            "sample_size": selection.sample_size,
            "seed": selection.seed,
            "stratify_by": selection.stratify_by or None,
            "allocation": selection.allocation or None,
            "strata": selection.strata,
            "cases": selection.case_count,
        }
        for selection in study.case_selections.select_related("created_by").order_by("created_at", "id")
    ]
