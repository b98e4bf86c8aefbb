"""What a coordinator should do next, from how far the site's set-up has got: the home page
says it in a sentence, so a first visit (the demo's, or a new site's) is never a dead end."""

from dataclasses import dataclass

from cmr_reader.imaging.models import Case
from cmr_reader.studies.models import Assignment, ReaderStudy
from cmr_reader.studies.pairs import eligible_count


@dataclass(frozen=True)
class SetUp:
    cases: int
    eligible_cases: int  # with a reference and an AI report
    studies: int
    drafts: list[ReaderStudy]


def coordinator_next_step(set_up: SetUp) -> str:
    """One of import_cases, import_reports, create_study, assign_study, monitor: the first
    step of the coordinator's path (import, reports, study design, assignment) not yet taken."""
    if not set_up.cases:
        return "import_cases"
    if not set_up.eligible_cases and not set_up.studies:
        return "import_reports"
    if not set_up.studies:
        return "create_study"
    if set_up.drafts:
        return "assign_study"
    return "monitor"


def current_set_up() -> SetUp:
    return SetUp(
        cases=Case.objects.count(),
        eligible_cases=eligible_count(),
        studies=ReaderStudy.objects.count(),
        drafts=list(ReaderStudy.objects.filter(state=ReaderStudy.State.DRAFT).order_by("name")[:3]),
    )


def has_reading(user) -> bool:
    """Whether the reader has cases in a study that is open for reading."""
    return Assignment.objects.filter(reader=user, study__state=ReaderStudy.State.ASSIGNED).exists()
