"""The bundle's data tables (long, wide, readers, cases) built from StudyData. Pure."""

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator

from cmr_reader.analysis.study_data import AI, ARMS, Reading, StudyData, rating_rows
from cmr_reader.analysis.tabular import Table
from cmr_reader.domain.dicom_age import age_in_years


def ratings_csv_rows(data: StudyData) -> Iterator[tuple]:
    """Header and rows of ratings.csv: exactly the scores the agreement table uses, in the
    long format ``manage.py agreement --input`` reads (empty score = missing)."""
    yield ("case_id", "reader_id", "criterion", "arm", "score")
    for row in rating_rows(data):
        yield (
            row.case_id,
            row.reader_id,
            row.criterion,
            row.arm,
            "" if row.score is None else int(row.score),
        )


RATINGS_LONG_COLUMNS = (
    "study",
    "case_id",
    "reader_id",
    "assignment",
    "arm",
    "report_id",
    "model_version",
    "presentation_side",
    "criterion",
    "score",
    "is_overlap",
    "is_repeat",
    "submitted",
    "counted",
    "opened_at",
    "submitted_at",
    "active_seconds",
    "preference",
    "ai_guess",
    "ai_confidence",
    "error",
    "error_categories",
)


def ratings_long(data: StudyData) -> Table:
    cases = {case.case_id: case for case in data.cases}

    def rows() -> Iterator[tuple]:
        for reading in data.readings:
            case = cases[reading.case_id]
            shared = _reading_fields(reading)
            for arm in ARMS:
                report_id = case.ai_report_id if arm == AI else case.reference_report_id
                error = reading.answers.get(f"{arm}.error")
                categories = reading.answers.get(f"{arm}.error_categories") or []
                for criterion in data.criterion_keys:
                    yield (
                        data.name,
                        reading.case_id,
                        reading.reader_id,
                        reading.assignment,
                        arm,
                        report_id,
                        case.model_version if arm == AI else "",
                        reading.side(arm),
                        criterion,
                        reading.answers.get(f"{arm}.{criterion}"),
                        *shared,
                        _flag(error),
                        ";".join(categories),
                    )

    return Table("ratings_long", RATINGS_LONG_COLUMNS, rows)


def ratings_wide_by_item(data: StudyData) -> Table:
    """One row per reading; one column per criterion x arm (R: one data.frame row per judgement)."""
    score_columns = tuple(f"{criterion}_{arm}" for criterion in data.criterion_keys for arm in ARMS)
    columns = (
        "case_id",
        "reader_id",
        "assignment",
        *score_columns,
        "reference_error",
        "ai_error",
        "preference",
        "ai_guess",
        "ai_confidence",
        "is_repeat",
        "submitted",
        "counted",
        "active_seconds",
    )

    def rows() -> Iterator[tuple]:
        for r in data.readings:
            a = r.answers
            yield (
                r.case_id,
                r.reader_id,
                r.assignment,
                *(a.get(f"{arm}.{criterion}") for criterion in data.criterion_keys for arm in ARMS),
                _flag(a.get("reference.error")),
                _flag(a.get("ai.error")),
                a.get("pair.preference"),
                a.get("pair.ai_guess"),
                a.get("pair.ai_confidence"),
                int(r.is_repeat),
                int(r.submitted),
                int(r.counts),
                round(r.active_seconds, 1),
            )

    return Table("ratings_wide_by_item", columns, rows)


def ratings_wide_by_reader(data: StudyData) -> Table:
    """Counted readings as subjects x raters, per criterion and arm: what irr::kappam.fleiss and
    irrCAC take (one column per reader, empty where that reader did not score the case)."""
    readers = data.reader_ids
    scores: dict[tuple[str, str, str], dict[str, object]] = defaultdict(dict)
    for reading in data.counted():
        for criterion in data.criterion_keys:
            for arm in ARMS:
                scores[(criterion, arm, reading.case_id)][reading.reader_id] = reading.answers.get(
                    f"{arm}.{criterion}"
                )

    def rows() -> Iterator[tuple]:
        order = {criterion: i for i, criterion in enumerate(data.criterion_keys)}
        for criterion, arm, case_id in sorted(
            scores, key=lambda key: (order[key[0]], ARMS.index(key[1]), key[2])
        ):
            by_reader = scores[(criterion, arm, case_id)]
            yield (criterion, arm, case_id, *(by_reader.get(reader) for reader in readers))

    return Table("ratings_wide_by_reader", ("criterion", "arm", "case_id", *readers), rows)


READERS_COLUMNS = (
    "reader_id",
    "assigned",
    "submitted",
    "counted",
    "repeats",
    "overlap",
    "median_active_seconds",
    "total_active_seconds",
)


def readers_table(data: StudyData) -> Table:
    by_reader: dict[str, list[Reading]] = defaultdict(list)
    for reading in data.readings:
        by_reader[reading.reader_id].append(reading)

    def rows() -> Iterator[tuple]:
        for reader in sorted(by_reader):
            readings = by_reader[reader]
            seconds = [r.active_seconds for r in readings if r.submitted]
            yield (
                reader,
                len(readings),
                sum(r.submitted for r in readings),
                sum(r.counts for r in readings),
                sum(r.is_repeat for r in readings),
                sum(r.is_overlap for r in readings),
                round(statistics.median(seconds), 1) if seconds else None,
                round(sum(seconds), 1),
            )

    return Table("readers", READERS_COLUMNS, rows)


CASES_COLUMNS = (
    "case_id",
    "reference_report_id",
    "ai_report_id",
    "model_version",
    "report_language",
    "patient_sex",
    "patient_age_years",
    "readings_assigned",
    "readings_counted",
)


def cases_table(data: StudyData) -> Table:
    assigned = Counter(r.case_id for r in data.readings)
    counted = Counter(r.case_id for r in data.counted())

    def rows() -> Iterator[tuple]:
        for case in data.cases:
            yield (
                case.case_id,
                case.reference_report_id,
                case.ai_report_id,
                case.model_version,
                case.language,
                case.patient_sex,
                age_in_years(case.patient_age),
                assigned[case.case_id],
                counted[case.case_id],
            )

    return Table("cases", CASES_COLUMNS, rows)


def _reading_fields(reading: Reading) -> tuple:
    a = reading.answers
    return (
        int(reading.is_overlap),
        int(reading.is_repeat),
        int(reading.submitted),
        int(reading.counts),
        reading.opened_at.isoformat() if reading.opened_at else "",
        reading.submitted_at.isoformat() if reading.submitted_at else "",
        round(reading.active_seconds, 1),
        a.get("pair.preference"),
        a.get("pair.ai_guess"),
        a.get("pair.ai_confidence"),
    )


def _flag(value) -> int | None:
    return None if value is None else int(bool(value))
