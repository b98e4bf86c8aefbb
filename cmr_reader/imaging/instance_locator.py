"""Finding one stored instance's bytes on disk, on the WADO-RS frame endpoint's hot path.

Django spends longer building the lookup's SQL than SQLite spends running it, and a viewer asks
for every frame of a cine separately. Where the caller's access scope is "every case" the SQL
never changes, so it is compiled once per database and run with the URL's UIDs; a restricted
scope (readers, later) takes the ordinary ORM path through ``dicomweb_access``.
"""

from typing import NamedTuple

from django.db import connections

from cmr_reader.imaging.dicomweb_access import visible_instances

LOCATOR_COLUMNS = (
    "file_path",
    "pixel_data_offset",
    "frame_length",
    "number_of_frames",
    "transfer_syntax_uid",
)

_compiled: dict[str, tuple[str, tuple[int, ...]]] = {}


class StoredInstance(NamedTuple):
    file_path: str
    pixel_data_offset: int
    frame_length: int
    number_of_frames: int
    transfer_syntax_uid: str


def _lookup(queryset, *, study: str, series: str, instance: str):
    return (
        queryset.filter(
            sop_instance_uid=instance,
            series__series_instance_uid=series,
            series__case__study_instance_uid=study,
        )
        .order_by()
        .values_list(*LOCATOR_COLUMNS)[:1]
    )


def locate_instance(
    *, user, study: str, series: str, instance: str, using: str = "default"
) -> StoredInstance | None:
    """The stored file of ``instance`` if it is under ``study``/``series`` and ``user`` may read it."""
    queryset = visible_instances(user).using(using)
    if queryset.query.has_filters():
        row = next(iter(_lookup(queryset, study=study, series=series, instance=instance)), None)
        return StoredInstance(*row) if row else None
    if using not in _compiled:
        _compiled[using] = _compile(queryset)
    sql, order = _compiled[using]
    values = (instance, series, study)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [values[index] for index in order])
        row = cursor.fetchone()
    return StoredInstance(*row) if row else None


def _compile(queryset) -> tuple[str, tuple[int, ...]]:
    """The lookup's SQL and, for each of its parameters, which UID (0 sop, 1 series, 2 study)."""
    markers = ("\x00sop", "\x00series", "\x00study")
    sql, params = _lookup(
        queryset, instance=markers[0], series=markers[1], study=markers[2]
    ).query.sql_with_params()
    return sql, tuple(markers.index(param) for param in params)
