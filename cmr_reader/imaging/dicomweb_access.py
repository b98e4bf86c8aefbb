"""Who may read which stored images over DICOMweb: the one place that decides.

Every DICOMweb endpoint first asks ``may_use_dicomweb`` (no: 403) and then reaches cases,
series and instances only through ``visible_cases`` and the two helpers built on it, so a
later rule ("readers see the cases assigned to them") changes these two functions and nothing
else.
"""

from django.db.models import QuerySet
from django.utils import timezone

from cmr_reader.accounts.roles import is_staff_member
from cmr_reader.imaging.models import Case, Instance, Series


def may_use_dicomweb(user) -> bool:
    """Whether ``user`` may call DICOMweb at all; anonymous callers are answered 401 earlier.

    Staff (coordinators, statisticians, admins) read every case; a reader reads while they have
    an assignment open to them (``studies.reading``). Anyone else gets 403.
    """
    return is_staff_member(user) or _readable_case_ids(user).exists()


def visible_cases(user) -> QuerySet[Case]:
    """The cases whose images ``user`` may read: all for staff, a reader's open assignments'."""
    if is_staff_member(user):
        return Case.objects.all()
    return Case.objects.filter(pk__in=_readable_case_ids(user))


def _readable_case_ids(user) -> QuerySet:
    from cmr_reader.studies.reading import readable_case_ids  # the studies app builds on imaging

    return readable_case_ids(user, now=timezone.now())


def visible_series(user) -> QuerySet[Series]:
    return _within_visible_cases(Series.objects.all(), user=user, case_path="case")


def visible_instances(user) -> QuerySet[Instance]:
    return _within_visible_cases(Instance.objects.all(), user=user, case_path="series__case")


def _within_visible_cases(queryset: QuerySet, *, user, case_path: str) -> QuerySet:
    cases = visible_cases(user)
    # An unfiltered Case queryset means "every case": skip the IN (SELECT ...) then, since the
    # frame endpoint runs this once per frame request and the subquery would scan all cases.
    if not cases.query.has_filters():
        return queryset
    return queryset.filter(**{f"{case_path}__in": cases})
