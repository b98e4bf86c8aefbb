"""Exports for coordinators and statisticians (never for readers)."""

from collections.abc import Iterator

from cmr_reader.studies.models import ReaderStudy

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
    rows = study.assignments.select_related("reader", "study_case__case").order_by("reader__username", "position")
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
