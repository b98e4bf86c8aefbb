"""What a reader may open: their own assignments in studies open for reading, when available."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from cmr_reader.studies.models import Assignment, ReaderStudy


def open_assignments(user, *, now: datetime) -> QuerySet[Assignment]:
    """The assignments ``user`` may open now (an unknown or foreign one is simply not here)."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    return Assignment.objects.filter(
        reader=user, study__state=ReaderStudy.State.ASSIGNED, available_from__lte=now
    )


@dataclass(frozen=True)
class StudyProgress:
    study: ReaderStudy
    done: int
    total: int  # available now
    waiting: int  # repeats not yet available
    revisitable: tuple[Assignment, ...] = ()  # submitted cases the reader may still change

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def progress_by_study(user, *, now: datetime) -> list[StudyProgress]:
    rows = (
        Assignment.objects.filter(reader=user, study__state=ReaderStudy.State.ASSIGNED)
        .values("study")
        .annotate(
            done=Count("id", filter=Q(submitted_at__isnull=False, available_from__lte=now)),
            total=Count("id", filter=Q(available_from__lte=now)),
            waiting=Count("id", filter=Q(available_from__gt=now)),
        )
        .order_by("study")
    )
    studies = ReaderStudy.objects.in_bulk([row["study"] for row in rows])
    submitted: dict[int, list[Assignment]] = {}
    revisit = open_assignments(user, now=now).filter(submitted_at__isnull=False, study__allow_revisit=True)
    for assignment in revisit.order_by("position"):
        submitted.setdefault(assignment.study_id, []).append(assignment)
    return [
        StudyProgress(
            studies[row["study"]],
            row["done"],
            row["total"],
            row["waiting"],
            tuple(submitted.get(row["study"], ())),
        )
        for row in rows
    ]


def next_assignment(user, *, study_id: int, now: datetime) -> Assignment | None:
    return (
        open_assignments(user, now=now)
        .filter(study_id=study_id, submitted_at__isnull=True)
        .order_by("position")
        .first()
    )


def readable_case_ids(user, *, now: datetime) -> QuerySet:
    """Case pks whose images ``user`` may read as a reader (for DICOMweb)."""
    return open_assignments(user, now=now).values("study_case__case_id")
