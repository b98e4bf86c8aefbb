"""The autosave's statements, written out: every click of every reader runs them.

Django's ORM builds a query's SQL afresh each time it runs, and on the autosave that cost more
than the database itself (decision 0031: of ~6 ms per save in one process, the round trips were
~1.7 ms). So the save that the reading page sends takes its lock, reads the case's answers and
writes the change with SQL written here, on both supported databases (the lock and the read are
built once per process; the write's few shapes are put together per save):

- ``lock_open``: the reader's own assignment, open for reading, row-locked (``FOR UPDATE OF``
  the assignment alone, so that readers of one study never queue on the study's row), with what
  the save needs of its study. The answers are read by a *second* statement on purpose: under
  READ COMMITTED a statement's snapshot is taken when it starts, so answers joined into the
  locking query would be those from before the lock was granted, and a save that waited for
  another one to commit would overwrite it from a stale copy.
- ``answers_of``: the case's answers, after the lock.
- ``write_change``: the answer's insert, update or delete, the audit row, and the first opening
  of the case. On PostgreSQL these go as one statement (data-modifying ``WITH`` clauses), one
  round trip; elsewhere (SQLite, where one writer holds the whole database anyway) one after
  another in the caller's transaction.

Values pass through the models' own fields (``get_db_prep_save`` / ``from_db_value``), so what
is stored is byte for byte what the ORM would store; ``tests/studies_tests/test_answers.py``
runs on both databases and reads everything back through the ORM.
"""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from cmr_reader.studies.models import Answer, AnswerChange, Assignment, ReaderStudy


@dataclass(frozen=True)
class LockedCase:
    """What a save needs of the locked assignment and its study."""

    assignment_id: int
    submitted: bool
    opened: bool
    study: ReaderStudy  # unsaved copy holding the columns the questionnaire reads


@dataclass(frozen=True)
class StoredAnswer:
    id: int
    value: Any
    version: int


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


_STUDY_COLUMNS = (
    "id",
    "state",
    "created_at",
    "allow_revisit",
    "ask_preference",
    "ask_ai_guess",
    "ask_error_flags",
    "ask_comment",
)


@functools.cache
def _lock_sql(vendor: str) -> str:
    """Built once per process (keyed by the database it is for), not on every save."""
    a, s = Assignment, ReaderStudy
    study_columns = ", ".join(f"s.{_column(s, name)}" for name in _STUDY_COLUMNS)
    where = (
        f"a.{_column(a, 'public_id')} = %s AND a.{_column(a, 'reader')} = %s "
        f"AND s.{_column(s, 'state')} = %s AND a.{_column(a, 'available_from')} <= %s"
    )
    lock = " FOR UPDATE OF a" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT a.{_column(a, 'id')}, a.{_column(a, 'submitted_at')} IS NOT NULL, "
        f"a.{_column(a, 'opened_at')} IS NOT NULL, {study_columns} "
        f"FROM {_table(a)} a INNER JOIN {_table(s)} s ON s.{_column(s, 'id')} = a.{_column(a, 'study')} "
        f"WHERE {where}{lock}"
    )


def lock_open(public_id: str, *, reader_id: int, now: datetime) -> LockedCase | None:
    """The reader's assignment ``public_id`` if its study is being read and the case is available
    at ``now``, locked until the transaction ends; None otherwise."""
    params = [public_id, reader_id, ReaderStudy.State.ASSIGNED.value, _datetime_param(now)]
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    assignment_id, submitted, opened, *study_values = row
    study = ReaderStudy(**dict(zip(_STUDY_COLUMNS, study_values, strict=True)))
    study.created_at = _datetime_value(study.created_at)
    study.allow_revisit = bool(study.allow_revisit)
    for flag in ("ask_preference", "ask_ai_guess", "ask_error_flags", "ask_comment"):
        setattr(study, flag, bool(getattr(study, flag)))
    return LockedCase(
        assignment_id=assignment_id, submitted=bool(submitted), opened=bool(opened), study=study
    )


@functools.cache
def _answers_sql(vendor: str) -> str:
    return (
        f"SELECT {_column(Answer, 'id')}, {_column(Answer, 'item')}, {_column(Answer, 'value')}, "
        f"{_column(Answer, 'version')} FROM {_table(Answer)} WHERE {_column(Answer, 'assignment')} = %s"
    )


def answers_of(assignment_id: int) -> dict[str, StoredAnswer]:
    value_field = Answer._meta.get_field("value")
    with connection.cursor() as cursor:
        cursor.execute(_answers_sql(connection.vendor), [assignment_id])
        rows = cursor.fetchall()
    return {
        item: StoredAnswer(id=pk, value=value_field.from_db_value(value, None, connection), version=version)
        for pk, item, value, version in rows
    }


@dataclass(frozen=True)
class Change:
    assignment_id: int
    item: str
    before: StoredAnswer | None
    value: Any  # None: the answer is taken back
    user_id: int
    now: datetime
    after_submit: bool
    first_opening: bool


def write_change(change: Change) -> int:
    """Write the answer and its audit row (and mark the case opened); returns the answer's new
    version, 0 when it was taken back. The caller holds the assignment's lock."""
    now = _datetime_param(change.now)
    statements = [_answer_statement(change, now)]
    if change.first_opening:
        statements.append(
            (
                f"UPDATE {_table(Assignment)} SET {_column(Assignment, 'opened_at')} = %s "
                f"WHERE {_column(Assignment, 'id')} = %s AND {_column(Assignment, 'opened_at')} IS NULL",
                [now, change.assignment_id],
            )
        )
    statements.append(_audit_statement(change, now))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            *first, (last_sql, last_params) = statements
            clauses = ", ".join(f"write_{n} AS ({sql})" for n, (sql, _params) in enumerate(first))
            params = [p for _sql, ps in first for p in ps] + last_params
            cursor.execute(f"WITH {clauses} {last_sql}", params)
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
    if change.value is None:
        return 0
    return change.before.version + 1 if change.before else 1


def _answer_statement(change: Change, now) -> tuple[str, list]:
    value_field = Answer._meta.get_field("value")
    if change.before is None:
        columns = ", ".join(
            _column(Answer, name) for name in ("assignment", "item", "value", "version", "updated_at")
        )
        value = value_field.get_db_prep_save(change.value, connection)
        return (
            f"INSERT INTO {_table(Answer)} ({columns}) VALUES (%s, %s, %s, %s, %s)",
            [change.assignment_id, change.item, value, 1, now],
        )
    if change.value is None:
        return f"DELETE FROM {_table(Answer)} WHERE {_column(Answer, 'id')} = %s", [change.before.id]
    return (
        f"UPDATE {_table(Answer)} SET {_column(Answer, 'value')} = %s, {_column(Answer, 'version')} = %s, "
        f"{_column(Answer, 'updated_at')} = %s WHERE {_column(Answer, 'id')} = %s",
        [
            value_field.get_db_prep_save(change.value, connection),
            change.before.version + 1,
            now,
            change.before.id,
        ],
    )


def _audit_statement(change: Change, now) -> tuple[str, list]:
    names = ("assignment", "item", "old_value", "new_value", "changed_by", "changed_at", "after_submit")
    columns = ", ".join(_column(AnswerChange, name) for name in names)
    json_field = AnswerChange._meta.get_field("new_value")
    old = change.before.value if change.before else None
    return (
        f"INSERT INTO {_table(AnswerChange)} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [
            change.assignment_id,
            change.item,
            json_field.get_db_prep_save(old, connection),
            json_field.get_db_prep_save(change.value, connection),
            change.user_id,
            now,
            change.after_submit,
        ],
    )


def _datetime_param(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _datetime_value(value) -> datetime:
    """A datetime column as the ORM would give it: SQLite returns text, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
