"""QIDO-RS query parameters (PS3.18 8.3.4) turned into database filters.

Supported matching (PS3.4 C.2.2.2): single value, UID list (comma or backslash separated),
wildcard (``*`` and ``?``) on text, and date ranges (``YYYYMMDD-YYYYMMDD``, either end open).
Text matching ignores case, as most archives do for descriptions. An empty value is universal
matching. Attributes may be named by keyword or by tag (``00100020``).

A matching key we do not support is answered 400 rather than ignored: ignoring it would return
studies the caller asked to exclude.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from cmr_reader.imaging.models import Case

# A request that asks for everything gets at most this many results and a Warning header
# (PS3.18 8.3.4.4, 8.4.2); ``offset`` pages on.
MAX_RESULTS = 10_000

# Query parameters that are not attribute matching.
CONTROL_PARAMETERS = {"limit", "offset", "includefield", "fuzzymatching"}

_WILDCARD = re.compile(r"[*?]")
_DATE = re.compile(r"^\d{8}$")


class InvalidQuery(ValueError):
    """The query cannot be answered as asked; the message is shown to the client (400)."""


@dataclass(frozen=True)
class MatchKey:
    keyword: str
    tag: str
    field: str
    kind: str  # "uid", "text", "date", "integer", "empty", "modality_in_study"


STUDY_KEYS = (
    MatchKey("StudyInstanceUID", "0020000D", "study_instance_uid", "uid"),
    MatchKey("PatientID", "00100020", "patient_pseudonym", "text"),
    MatchKey("StudyDate", "00080020", "study_date", "date"),
    MatchKey("StudyDescription", "00081030", "study_description", "text"),
    MatchKey("PatientSex", "00100040", "patient_sex", "text"),
    MatchKey("AccessionNumber", "00080050", "", "empty"),
    MatchKey("ModalitiesInStudy", "00080061", "", "modality_in_study"),
)
SERIES_KEYS = (
    MatchKey("SeriesInstanceUID", "0020000E", "series_instance_uid", "uid"),
    MatchKey("Modality", "00080060", "modality", "text"),
    MatchKey("SeriesDescription", "0008103E", "description", "text"),
    MatchKey("SeriesNumber", "00200011", "series_number", "integer"),
)
INSTANCE_KEYS = (
    MatchKey("SOPInstanceUID", "00080018", "sop_instance_uid", "uid"),
    MatchKey("SOPClassUID", "00080016", "sop_class_uid", "uid"),
    MatchKey("InstanceNumber", "00200013", "instance_number", "integer"),
)

# For each result level: the keys it accepts and the path from its model to each level's model.
LEVELS = {
    "study": ((STUDY_KEYS, ""),),
    "series": ((SERIES_KEYS, ""), (STUDY_KEYS, "case__")),
    "instance": ((INSTANCE_KEYS, ""), (SERIES_KEYS, "series__"), (STUDY_KEYS, "series__case__")),
}


@dataclass(frozen=True)
class Query:
    condition: Q
    offset: int = 0
    limit: int | None = None
    include_fields: tuple[str, ...] = field(default_factory=tuple)

    def page(self, queryset: QuerySet) -> tuple[list, bool]:
        """The requested page of ``queryset`` and whether the server cap cut it short."""
        wanted = MAX_RESULTS if self.limit is None else min(self.limit, MAX_RESULTS)
        rows = list(queryset.filter(self.condition)[self.offset : self.offset + wanted + 1])
        truncated = len(rows) > wanted and (self.limit is None or self.limit > MAX_RESULTS)
        return rows[:wanted], truncated


def parse_query(params: QueryDict, *, level: str) -> Query:
    """Turn the query string of a QIDO-RS request at ``level`` into a ``Query``."""
    keys = {}
    for level_keys, prefix in LEVELS[level]:
        for key in level_keys:
            keys[key.keyword] = keys[key.tag] = (key, prefix)
    condition = Q()
    for name, values in params.lists():
        if name in CONTROL_PARAMETERS:
            continue
        found = keys.get(name) or keys.get(name.upper())
        if found is None:
            raise InvalidQuery(
                _("Matching on %(name)s is not supported here; supported keys: %(keys)s.")
                % {"name": name, "keys": ", ".join(sorted(k for k in keys if not k[0].isdigit()))}
            )
        key, prefix = found
        for value in values:
            condition &= _match(key, prefix=prefix, value=value.strip())
    return Query(
        condition=condition,
        offset=_non_negative(params.get("offset"), name="offset", default=0),
        limit=_non_negative(params.get("limit"), name="limit", default=None),
        include_fields=tuple(
            part.strip()
            for value in params.getlist("includefield")
            for part in value.split(",")
            if part.strip()
        ),
    )


def _match(key: MatchKey, *, prefix: str, value: str) -> Q:
    if value == "" or value == "*":
        return Q()  # universal matching
    lookup = prefix + key.field
    if key.kind == "uid":
        uids = [uid.strip() for uid in re.split(r"[,\\]", value) if uid.strip()]
        return Q(**{f"{lookup}__in": uids})
    if key.kind == "text":
        return _text_match(lookup, value)
    if key.kind == "integer":
        try:
            return Q(**{lookup: int(value)})
        except ValueError:
            raise InvalidQuery(_("%(name)s must be an integer.") % {"name": key.keyword}) from None
    if key.kind == "date":
        return _date_match(lookup, value, name=key.keyword)
    if key.kind == "empty":
        # Stored empty for every study: a non-universal value can match nothing.
        return Q(pk__in=[])
    if key.kind == "modality_in_study":
        modalities = [m.strip() for m in re.split(r"[,\\]", value) if m.strip()]
        cases = Case.objects.filter(series__modality__in=modalities).values("pk")
        return Q(**{f"{prefix}pk__in": cases})
    raise AssertionError(key.kind)


def _text_match(lookup: str, value: str) -> Q:
    if not _WILDCARD.search(value):
        return Q(**{f"{lookup}__iexact": value})
    pattern = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in value)
    return Q(**{f"{lookup}__iregex": f"^{pattern}$"})


def _date_match(lookup: str, value: str, *, name: str) -> Q:
    start, dash, end = value.partition("-")
    try:
        first = parse_date(start) if start else None
        last = parse_date(end) if end else None
    except ValueError:
        raise InvalidQuery(
            _("%(name)s must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD.") % {"name": name}
        ) from None
    if not dash:
        return Q(**{lookup: first})
    condition = Q()
    if first:
        condition &= Q(**{f"{lookup}__gte": first})
    if last:
        condition &= Q(**{f"{lookup}__lte": last})
    return condition


def parse_date(text: str) -> date:
    if not _DATE.match(text):
        raise ValueError(text)
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _non_negative(text: str | None, *, name: str, default):
    if text is None or text == "":
        return default
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise InvalidQuery(_("%(name)s must be a non-negative integer.") % {"name": name})
    return number
