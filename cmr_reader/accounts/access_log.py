"""The access log: recording who opened what (one call per view) and reading the log back.

Recording never fails a request: a view that could show a case must not refuse to because its
log row could not be written, so a failed insert is logged as a warning and the view goes on.
"""

import ipaddress
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from cmr_reader import login_protection, spreadsheet_csv
from cmr_reader.accounts.models import AccessEvent
from cmr_reader.request_id import current_request_id

logger = logging.getLogger(__name__)

Action = AccessEvent.Action

# DICOMweb studies this session has been logged for. Bounded so a session that browses thousands
# of studies keeps a small session row; a study that falls off the end is simply logged again.
SEEN_STUDIES_KEY = "access_log_studies"
MAX_REMEMBERED_STUDIES = 500
# QIDO-RS match keys that name studies (parse_query accepts the keyword or the tag).
STUDY_MATCH_KEYS = {"StudyInstanceUID", "0020000D"}
STUDY_UID = "0020000D"


def record_access(
    request: HttpRequest, *, action: Action, target: str | int, study: int | None = None
) -> AccessEvent | None:
    """Append one event for ``request.user`` opening ``target``; None (and a warning) on failure."""
    try:
        # A savepoint: on PostgreSQL a failed insert inside the request's transaction would
        # otherwise break every later query of the view.
        with transaction.atomic():
            return AccessEvent.objects.create(
                user=request.user if request.user.is_authenticated else None,
                username=request.user.get_username(),
                action=action,
                target=str(target),
                study=study,
                at=timezone.now(),
                ip=client_ip(request),
                request_id=_request_id(),
            )
    except Exception:
        logger.warning("access log: could not record %s of %s", action, target, exc_info=True)
        return None


def record_study_access(request: HttpRequest, *, study_uid: str) -> None:
    """Log DICOMweb access to a study once per session: the viewer asks for a study's metadata
    many times (and its frames hundreds of times, never logged), and one row says enough.

    Two first requests racing in one session may both be logged; the log errs towards too much.
    """
    try:
        seen = request.session.get(SEEN_STUDIES_KEY, [])
        if study_uid in seen:
            return
        if record_access(request, action=Action.DICOMWEB_STUDY, target=study_uid) is not None:
            request.session[SEEN_STUDIES_KEY] = [*seen, study_uid][-MAX_REMEMBERED_STUDIES:]
    except Exception:
        logger.warning("access log: could not record DICOMweb access to %s", study_uid, exc_info=True)


def record_study_search(request: HttpRequest, *, study: str | None, results: list[dict]) -> None:
    """A QIDO-RS search that names a study (in its path, or by StudyInstanceUID) is access to the
    studies it found; a search that names none (listing studies) is not logged."""
    try:
        names_a_study = study is not None or any(
            (name in STUDY_MATCH_KEYS or name.upper() in STUDY_MATCH_KEYS) and value.strip() not in ("", "*")
            for name, value in request.GET.items()
        )
        if not names_a_study:
            return
        found = dict.fromkeys(item[STUDY_UID]["Value"][0] for item in results if STUDY_UID in item)
    except Exception:
        logger.warning("access log: could not read the studies of a search", exc_info=True)
        return
    for study_uid in found:
        record_study_access(request, study_uid=study_uid)


def client_ip(request: HttpRequest) -> str | None:
    """The address login protection also uses: ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT``
    says proxies stand in front, then the X-Forwarded-For entry the outermost trusted proxy
    appended, never one the client wrote. (gunicorn leaves ``REMOTE_ADDR`` as the socket peer,
    the proxy itself; its forwarded-allow-ips only governs the scheme headers.)"""
    try:
        return str(ipaddress.ip_address(login_protection.client_ip(request) or ""))
    except ValueError:
        return None  # a Unix socket, or no address at all


def _request_id() -> str:
    """The id RequestIdMiddleware gave this request ("-" outside one)."""
    request_id = current_request_id.get()
    return "" if request_id == "-" else request_id


@dataclass(frozen=True)
class LogFilter:
    """What the coordinator's access log page filters on; empty fields match everything."""

    username: str = ""
    action: str = ""
    target: str = ""
    date_from: date | None = None
    date_to: date | None = None


def events_matching(log_filter: LogFilter) -> QuerySet[AccessEvent]:
    """Events newest first, filtered; dates are whole days in the site's time zone, inclusive.

    A target that is a case id also matches that case's Study Instance UID (and the other way
    round), so one search finds both the viewer and the DICOMweb rows of a case.
    """
    events = AccessEvent.objects.order_by("-at", "-id")
    if log_filter.username:
        events = events.filter(username=log_filter.username)
    if log_filter.action:
        events = events.filter(action=log_filter.action)
    if log_filter.target:
        events = events.filter(target__in=_same_case(log_filter.target))
    if log_filter.date_from:
        events = events.filter(at__gte=_start_of(log_filter.date_from))
    if log_filter.date_to:
        events = events.filter(at__lt=_start_of(log_filter.date_to + timedelta(days=1)))
    return events


def _same_case(target: str) -> set[str]:
    from cmr_reader.imaging.models import Case  # imaging builds on accounts, not the other way

    names = {target}
    for case_id, study_uid in Case.objects.filter(
        Q(case_id=target) | Q(study_instance_uid=target)
    ).values_list("case_id", "study_instance_uid"):
        names |= {case_id, study_uid}
    return names


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


CSV_HEADER = ["at", "username", "action", "target", "study", "ip", "request_id"]


def csv_lines(events: QuerySet[AccessEvent]) -> Iterator[str]:
    """The CSV text of ``events``, a line at a time (the log can be long: it is streamed).

    Usernames and targets are whatever a request named; spreadsheet_csv keeps them from being
    run as formulas."""
    return spreadsheet_csv.csv_lines(_csv_rows(events))


def _csv_rows(events: QuerySet[AccessEvent]) -> Iterator[tuple]:
    yield CSV_HEADER
    for event in events.iterator(chunk_size=2000):
        yield (
            event.at.isoformat(),
            event.username,
            event.action,
            event.target,
            event.study,
            event.ip,
            event.request_id,
        )


def usernames() -> Iterable[str]:
    """Suggestions for the page's user filter: the current accounts (the users table is small; a
    DISTINCT over the log is not). A deleted user's name can still be typed."""
    return get_user_model().objects.order_by("username").values_list("username", flat=True)
