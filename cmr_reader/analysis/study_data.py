"""A reader study's data, unblinded, as plain values: what every analysis and export starts from.

``collect_study`` is the only function here that touches the database (a handful of
``values_list`` queries, so a 20,000-case study loads in seconds); everything else in the
analysis reads the frozen ``StudyData`` it returns. Which slot held the AI report is resolved
here, once: from this point on answers are keyed by arm ("ai" / "reference").

Missing-data rule (stated in every export's metadata): only **submitted first reads** enter the
statistics; drafts and washout repeats are exported in ``ratings_long.csv`` but flagged.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_noop

from cmr_reader.analysis.agreement.ratings_csv import RatingRow
from cmr_reader.analysis.comparison.table import CriterionScore
from cmr_reader.analysis.entity_tables import ReportPair
from cmr_reader.studies.blinding import latest_audit
from cmr_reader.studies.case_list import selection_history
from cmr_reader.studies.models import Answer, Assignment, ReaderStudy
from cmr_reader.studies.questionnaire import ERROR_CATEGORIES

AI, REFERENCE = "ai", "reference"
ARMS = (REFERENCE, AI)
# English in the stored results and the bundle; the dashboard shows its translation (gettext_noop
# puts it in the catalogue; dashboard_tables translates the stored text).
MISSING_DATA_RULE = gettext_noop(
    "Statistics use submitted first reads only: unsubmitted (draft) readings and washout repeat "
    "readings are excluded. Within a submitted reading an unanswered item is missing; no value is imputed."
)


@dataclass(frozen=True)
class CriterionInfo:
    key: str
    label: str
    question: str
    anchors: tuple[str, ...]
    label_zh: str = ""  # the study's Chinese label, "" when it has none


@dataclass(frozen=True)
class Reading:
    """One reader's reading of one case, its answers keyed by arm ("ai.correctness", "pair.preference")."""

    assignment: str
    reader_id: str
    case_id: str
    position: int
    ai_slot: str
    is_overlap: bool
    is_repeat: bool
    opened_at: datetime | None
    submitted_at: datetime | None
    active_seconds: float
    answers: dict[str, object]

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def counts(self) -> bool:
        """Whether this reading enters the statistics (see MISSING_DATA_RULE)."""
        return self.submitted and not self.is_repeat

    def side(self, arm: str) -> str:
        """The slot ("A" left, "B" right) the reader saw this arm's report in."""
        return self.ai_slot if arm == AI else ("B" if self.ai_slot == "A" else "A")


@dataclass(frozen=True)
class StudyCaseInfo:
    case_id: str
    reference_report_id: int
    ai_report_id: int
    model_version: str
    language: str
    patient_sex: str
    patient_age: str
    reference_text: str = ""
    ai_text: str = ""


@dataclass(frozen=True)
class StudyData:
    study_id: int
    name: str
    criteria: tuple[CriterionInfo, ...]
    design: dict
    questionnaire: dict
    non_inferiority_margin: float | None
    cases: tuple[StudyCaseInfo, ...]
    readings: tuple[Reading, ...]
    error_categories: tuple[str, ...] = field(default=())
    blinding_audit: dict | None = None  # the latest stored audit (studies/blinding.py), if any
    # How the case list was built: every selection (filters, seed, strata) and removal, oldest first.
    case_selection: tuple[dict, ...] = field(default=())

    @property
    def criterion_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.criteria)

    @property
    def reader_ids(self) -> tuple[str, ...]:
        return tuple(sorted({r.reader_id for r in self.readings}))

    def counted(self) -> list[Reading]:
        return [r for r in self.readings if r.counts]


def collect_study(study: ReaderStudy) -> StudyData:
    criteria = tuple(
        CriterionInfo(key, label, question, tuple(anchors or ()), label_zh)
        for key, label, question, anchors, label_zh in study.criteria.order_by("order", "id").values_list(
            "key", "label", "help_text", "anchors", "label_zh"
        )
    )
    cases = tuple(
        StudyCaseInfo(
            case_id=case_id,
            reference_report_id=reference_id,
            ai_report_id=ai_id,
            model_version=_model_version(model_name, checkpoint_sha),
            language=language,
            patient_sex=sex,
            patient_age=age,
            reference_text=reference_text,
            ai_text=ai_text,
        )
        for case_id, reference_id, ai_id, model_name, checkpoint_sha, language, sex, age, reference_text, ai_text in study.study_cases.order_by(
            "case__case_id"
        ).values_list(
            "case__case_id",
            "reference_report_id",
            "ai_report_id",
            "ai_report__generation_run__model_name",
            "ai_report__generation_run__checkpoint_sha256",
            "reference_report__language",
            "case__patient_sex",
            "case__patient_age",
            "reference_report__text",
            "ai_report__text",
        )
    )
    slots: dict[int, str] = {}
    assignments = Assignment.objects.filter(study=study).order_by("reader__username", "position")
    rows = list(
        assignments.values_list(
            "id",
            "public_id",
            "reader__username",
            "study_case__case__case_id",
            "position",
            "ai_slot",
            "is_overlap",
            "is_repeat",
            "opened_at",
            "submitted_at",
            "active_seconds",
        )
    )
    for row in rows:
        slots[row[0]] = row[5]
    answers: dict[int, dict[str, object]] = defaultdict(dict)
    for assignment_id, item, value in Answer.objects.filter(assignment__study=study).values_list(
        "assignment_id", "item", "value"
    ):
        key, value = arm_item(item, value, ai_slot=slots[assignment_id])
        answers[assignment_id][key] = value
    readings = tuple(
        Reading(
            assignment=public_id,
            reader_id=reader,
            case_id=case_id,
            position=position,
            ai_slot=ai_slot,
            is_overlap=is_overlap,
            is_repeat=is_repeat,
            opened_at=opened_at,
            submitted_at=submitted_at,
            active_seconds=active_seconds,
            answers=answers.get(pk, {}),
        )
        for pk, public_id, reader, case_id, position, ai_slot, is_overlap, is_repeat, opened_at, submitted_at, active_seconds in rows
    )
    return StudyData(
        study_id=study.pk,
        name=study.name,
        criteria=criteria,
        design={
            "seed": study.seed,
            "readers_per_case": study.readers_per_case,
            "overlap_count": study.overlap_count,
            "washout_fraction": study.washout_fraction,
            "washout_days": study.washout_days,
            "allow_revisit": study.allow_revisit,
            "side_scheme": study.side_scheme,
        },
        questionnaire={
            "ask_preference": study.ask_preference,
            "ask_ai_guess": study.ask_ai_guess,
            "ask_error_flags": study.ask_error_flags,
            "ask_comment": study.ask_comment,
        },
        non_inferiority_margin=study.non_inferiority_margin,
        cases=cases,
        readings=readings,
        error_categories=ERROR_CATEGORIES,
        blinding_audit=_latest_blinding_audit(study),
        case_selection=tuple(selection_history(study)),
    )


def _latest_blinding_audit(study: ReaderStudy) -> dict | None:
    """The latest blinding audit as stored, with when it was made, for the bundle."""
    audit = latest_audit(study)
    if audit is None:
        return None
    return {"created_at": audit.created_at.isoformat(), "pair_count": audit.pair_count, **audit.result}


def arm_item(item: str, value, *, ai_slot: str) -> tuple[str, object]:
    """Unblind one answer: ``A.correctness`` -> ``ai.correctness`` (when A held the AI report);
    pair answers that name a slot become an arm ("ai" / "reference"), an AI guess becomes
    "correct" / "wrong" / "unsure"."""
    scope, name = item.split(".", 1)
    if scope in ("A", "B"):
        return f"{AI if scope == ai_slot else REFERENCE}.{name}", value
    if name == "preference" and value in ("A", "B"):
        return item, AI if value == ai_slot else REFERENCE
    if name == "ai_guess" and value in ("A", "B"):
        return item, "correct" if value == ai_slot else "wrong"
    return item, value


def rating_rows(data: StudyData) -> list[RatingRow]:
    """The agreement table's input: every counted reading x arm x criterion (None = unanswered)."""
    return [
        RatingRow(
            reading.case_id,
            reading.reader_id,
            criterion,
            arm,
            _score(reading.answers.get(f"{arm}.{criterion}")),
            0,
        )
        for reading in data.counted()
        for arm in ARMS
        for criterion in data.criterion_keys
    ]


def criterion_scores(data: StudyData) -> list[CriterionScore]:
    return [
        CriterionScore(row.criterion, row.case_id, row.reader_id, row.arm, row.score)
        for row in rating_rows(data)
    ]


def preferences(data: StudyData) -> list[tuple[str, str | None]]:
    return [(r.reader_id, r.answers.get("pair.preference")) for r in data.counted()]


def guesses(data: StudyData) -> list[tuple[str, str | None]]:
    return [(r.reader_id, r.answers.get("pair.ai_guess")) for r in data.counted()]


def error_reports(data: StudyData) -> list[tuple[str, str, list[str]]]:
    """(reading x arm, arm, categories) for every report whose error question was answered."""
    reports = []
    for reading in data.counted():
        for arm in ARMS:
            flagged = reading.answers.get(f"{arm}.error")
            if flagged is None:
                continue
            categories = list(reading.answers.get(f"{arm}.error_categories") or []) if flagged else []
            # A report flagged without a category still counts as a report with an error.
            reports.append((f"{reading.assignment}:{arm}", arm, categories or (["other"] if flagged else [])))
    return reports


def report_pairs(data: StudyData) -> list[ReportPair]:
    """Every study case's reference and AI report, for the entity metrics (language detected per text)."""
    return [ReportPair(case.case_id, case.reference_text, case.ai_text, "") for case in data.cases]


def _score(value) -> float | None:
    return None if value is None else float(value)


def _model_version(model_name: str | None, checkpoint_sha: str | None) -> str:
    if not model_name:
        return ""
    return f"{model_name}@{checkpoint_sha[:12]}" if checkpoint_sha else model_name
