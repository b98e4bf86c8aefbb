"""Exports for coordinators and statisticians (never for readers)."""

from collections.abc import Iterator

from cmr_reader.studies.models import AnswerChange, ReaderStudy

UNBLINDING_HEADER = (
    "assignment",
    "reader",
    "case_id",
    "position",
    "ai_slot",
    "reference_slot",
    "ai_report_id",
    "reference_report_id",
    "is_overlap",
    "is_repeat",
    "submitted_at",
)


def unblinding_rows(study: ReaderStudy) -> Iterator[tuple]:
    yield UNBLINDING_HEADER
    rows = study.assignments.select_related("reader", "study_case__case").order_by(
        "reader__username", "position"
    )
    for a in rows:
        yield (
            a.public_id,
            a.reader.get_username(),
            a.study_case.case.case_id,
            a.position,
            a.ai_slot,
            "B" if a.ai_slot == "A" else "A",
            a.study_case.ai_report_id,
            a.study_case.reference_report_id,
            int(a.is_overlap),
            int(a.is_repeat),
            a.submitted_at.isoformat() if a.submitted_at else "",
        )


ANSWERS_HEADER = (
    "study",
    "case_id",
    "reader_id",
    "assignment",
    "is_overlap",
    "is_repeat",
    "submitted",
    "arm",  # "reference", "ai" or "pair"
    "criterion",
    "score",
)


def answer_rows(study: ReaderStudy) -> Iterator[tuple]:
    """Every answer, unblinded, one row per answer. Slot answers get the arm "reference" or
    "ai"; pair answers the arm "pair", and those that name a slot (preference, AI guess) have
    it replaced by "reference" / "ai"."""
    yield ANSWERS_HEADER
    assignments = study.assignments.select_related("reader", "study_case__case").prefetch_related("answers")
    for a in assignments.order_by("reader__username", "position"):
        for answer in sorted(a.answers.all(), key=lambda x: x.item):
            scope, name = answer.item.split(".", 1)
            value = answer.value
            if scope == "pair":
                arm = "pair"
                if name in ("preference", "ai_guess") and value in ("A", "B"):
                    value = "ai" if value == a.ai_slot else "reference"
            else:
                arm = "ai" if scope == a.ai_slot else "reference"
            yield (
                study.name,
                a.study_case.case.case_id,
                a.reader.get_username(),
                a.public_id,
                int(a.is_overlap),
                int(a.is_repeat),
                int(a.submitted_at is not None),
                arm,
                name,
                value if isinstance(value, str | int | float | bool) else ";".join(map(str, value)),
            )


AUDIT_HEADER = (
    "assignment",
    "reader",
    "case_id",
    "item",
    "old_value",
    "new_value",
    "changed_by",
    "changed_at",
    "after_submit",
)


def audit_rows(study: ReaderStudy) -> Iterator[tuple]:
    """Every change of every answer, in order (items keyed by the reader's slots, as given)."""
    yield AUDIT_HEADER
    changes = AnswerChange.objects.filter(assignment__study=study).select_related(
        "assignment__reader", "assignment__study_case__case", "changed_by"
    )
    for c in changes.order_by("id"):
        yield (
            c.assignment.public_id,
            c.assignment.reader.get_username(),
            c.assignment.study_case.case.case_id,
            c.item,
            "" if c.old_value is None else c.old_value,
            "" if c.new_value is None else c.new_value,
            c.changed_by.get_username(),
            c.changed_at.isoformat(),
            int(c.after_submit),
        )
