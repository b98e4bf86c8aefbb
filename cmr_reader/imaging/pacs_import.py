"""Pull studies from a PACS over DICOMweb and hand them to ingest as DICOM sources.

QIDO-RS (PS3.18 §10.6) finds the studies, their series and instances through ``dicomweb-client``;
WADO-RS (PS3.18 §10.4) retrieves one instance per request, so memory stays bounded by the largest
instance. The instance body is taken from the ``application/dicom`` part exactly as the PACS sent
it (``transfer-syntax=*``: no transcoding), because ``dicomweb-client`` would parse it into a
pydicom Dataset and a file it cannot parse would then fail here, without ingest's reasons.

Original UIDs live only in memory while the pull runs. Sources are named by position ("pacs study
2, series 1, instance 17") so that rejection lists, which are stored on the ImportJob, never hold
an original UID.
"""

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import Message
from functools import partial
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from dicomweb_client.api import DICOMwebClient
from django.utils.translation import gettext as _
from requests.auth import HTTPBasicAuth

from cmr_reader.imaging.models import ImportJob
from cmr_reader.imaging.sources import DicomSource

# (connect, read) seconds: a PACS that does not accept the connection fails fast; a large
# multi-frame instance may legitimately take a while to arrive.
TIMEOUT_S = (5.0, 120.0)
QIDO_PAGE_SIZE = 500
# After this many failed instances in a row, the rest of a study is reported as one rejection
# instead of hundreds of identical ones.
CONSECUTIVE_FAILURES_BEFORE_GIVING_UP = 3
DICOM_PART_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'

STUDY_INSTANCE_UID = "0020000D"
SERIES_INSTANCE_UID = "0020000E"
SOP_INSTANCE_UID = "00080018"
SERIES_NUMBER = "00200011"
INSTANCE_NUMBER = "00200013"
NUMBER_OF_STUDY_RELATED_INSTANCES = "00201208"


# dicomweb-client logs every search and retrieval at INFO with the original UIDs in the message;
# our INFO logs go to the console and on to log files, which must not hold original UIDs.
logging.getLogger("dicomweb_client").setLevel(logging.WARNING)


class PacsError(Exception):
    """A PACS request failed; the message is meant for the coordinator."""


class PacsUnreachable(PacsError):
    """No connection could be made (wrong URL, server down, timeout)."""


class PacsRefused(PacsError):
    """The PACS answered with an error status (credentials, permissions, server fault)."""


@dataclass(frozen=True)
class Pacs:
    """A DICOMweb endpoint with its authenticated session; ``label`` carries no credentials."""

    url: str
    label: str
    session: requests.Session
    client: DICOMwebClient


@dataclass(frozen=True)
class PacsStudy:
    position: int
    study_uid: str = field(repr=False)  # original UID: in memory only, never stored
    instance_count: int | None = None

    @property
    def name(self) -> str:
        return _("pacs study %(position)d") % {"position": self.position}


@dataclass(frozen=True)
class PacsPlan:
    """What a pull will fetch: the studies found, and the requested ones that were not."""

    studies: list[PacsStudy]
    missing_positions: list[int] = field(default_factory=list)

    @property
    def expected_files(self) -> int:
        counted = sum(study.instance_count or 0 for study in self.studies)
        return counted + len(self.missing_positions)


def connect_pacs(*, url: str, username: str | None = None, password: str | None = None) -> Pacs:
    """Prepare a session for ``url``; credentials in the URL are used when none are given."""
    parts = urlsplit(url.strip())
    try:
        _port = parts.port  # urllib checks the port only when asked
    except ValueError:
        raise PacsError(_("Not a valid port in the URL: %(url)s") % {"url": pacs_label(url)}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PacsError(_("Not an http(s) URL: %(url)s") % {"url": pacs_label(url)})
    if username is None and parts.username:
        username, password = parts.username, parts.password or ""
    clean_url = pacs_label(url).rstrip("/")
    session = requests.Session()
    if username is not None:
        session.auth = HTTPBasicAuth(username, password or "")
    client = DICOMwebClient(clean_url, session=session, timeout=TIMEOUT_S, permissive_uid=True)
    # dicomweb-client retries searches on 408/429/503/504 and on connection errors; keep that
    # short (0.5 s, then 1 s) so a wrong URL is reported within seconds.
    client.set_http_retry_params(retry=True, max_attempts=3, wait_exponential_multiplier=250)
    return Pacs(url=clean_url, label=pacs_label(url), session=session, client=client)


def pacs_label(url: str) -> str:
    """The URL as shown and stored: no user name, password, query or fragment."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # "host:abc": shown without the port, refused by connect_pacs
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def find_studies(*, pacs: Pacs, study_uids: Sequence[str] | None = None) -> PacsPlan:
    """QIDO-RS: every study on the PACS, or the requested ones (in the order given).

    Raises PacsUnreachable or PacsRefused: a pull that cannot even search must stop before any
    job is recorded.
    """
    fields = [NUMBER_OF_STUDY_RELATED_INSTANCES]
    if study_uids:
        found, missing = [], []
        for position, uid in enumerate(dict.fromkeys(study_uids), start=1):
            matches = run_search(
                pacs,
                partial(
                    pacs.client.search_for_studies, fields=fields, search_filters={STUDY_INSTANCE_UID: uid}
                ),
            )
            match = next((m for m in matches if first_value(m, STUDY_INSTANCE_UID) == uid), None)
            if match is None:
                missing.append(position)
            else:
                count = as_int(first_value(match, NUMBER_OF_STUDY_RELATED_INSTANCES))
                found.append(PacsStudy(position=position, study_uid=uid, instance_count=count))
        return PacsPlan(studies=found, missing_positions=missing)
    studies = []
    for match in _search_all(
        pacs, partial(pacs.client.search_for_studies, fields=fields), STUDY_INSTANCE_UID
    ):
        studies.append(
            PacsStudy(
                position=len(studies) + 1,
                study_uid=first_value(match, STUDY_INSTANCE_UID),
                instance_count=as_int(first_value(match, NUMBER_OF_STUDY_RELATED_INSTANCES)),
            )
        )
    return PacsPlan(studies=studies)


def iter_pacs_sources(*, pacs: Pacs, plan: PacsPlan) -> Iterator[DicomSource]:
    """One source per instance, study after study; a failing study becomes a rejection, not a stop.

    Lazy on purpose: ingest reads each source before asking for the next, so only one instance
    is held in memory, and a study's instance list is fetched when the pull reaches it.
    """
    for position in plan.missing_positions:
        yield _failed_source(
            name=_("requested study %(position)d") % {"position": position},
            reason=_("the PACS has no study with this Study Instance UID"),
        )
    for study in plan.studies:
        yield from _iter_study_sources(pacs, study)


def create_pacs_job(*, pacs: Pacs, plan: PacsPlan, user=None) -> ImportJob:
    return ImportJob.objects.create(
        source=ImportJob.Source.DICOMWEB,
        created_by=user,
        label=pacs.label[:255],
        total_files=plan.expected_files,
        # Counts only: the requested UIDs are originals and must not reach the database.
        summary={
            "pacs": pacs.label,
            "studies_found": len(plan.studies),
            "studies_missing": len(plan.missing_positions),
        },
    )


def retrieve_instance_bytes(*, pacs: Pacs, study_uid: str, series_uid: str, sop_uid: str) -> bytes:
    """WADO-RS Retrieve Instance, returning the Part 10 bytes of its single part unchanged."""
    url = "/".join(
        [
            pacs.url,
            "studies",
            quote(study_uid, safe=""),
            "series",
            quote(series_uid, safe=""),
            "instances",
            quote(sop_uid, safe=""),
        ]
    )
    try:
        response = pacs.session.get(url, headers={"Accept": DICOM_PART_ACCEPT}, timeout=TIMEOUT_S)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise PacsUnreachable(
            _("the PACS stopped answering (%(error)s)") % {"error": type(error).__name__}
        ) from None
    if response.status_code != 200:
        raise PacsRefused(_describe_status(response))
    return single_dicom_part(body=response.content, content_type=response.headers.get("Content-Type", ""))


def single_dicom_part(*, body: bytes, content_type: str) -> bytes:
    """The content of the one part of a ``multipart/related`` body (RFC 2387, RFC 2046 §5.1.1).

    A bare ``application/dicom`` body is accepted too: some servers send one, and PS3.18 once
    seemed to allow it (dicomweb-client carries the same allowance).
    """
    header = Message()
    header["Content-Type"] = content_type
    media_type = header.get_content_type()
    if media_type == "application/dicom":
        return body
    boundary = header.get_param("boundary")
    if media_type != "multipart/related" or not isinstance(boundary, str) or not boundary:
        raise PacsError(_("unexpected response type %(type)s") % {"type": content_type[:80] or "-"})
    delimiter = b"--" + boundary.encode("ascii", "replace")
    start = body.find(delimiter)
    headers_end = body.find(b"\r\n\r\n", start) if start >= 0 else -1
    end = body.find(b"\r\n" + delimiter, headers_end) if headers_end >= 0 else -1
    if end < 0:
        raise PacsError(_("the PACS sent an incomplete multipart response"))
    return body[headers_end + 4 : end]


@dataclass
class _StudyPull:
    """What the retrievals of one study have learnt, read by the generator between sources."""

    consecutive_failures: int = 0
    unreachable: bool = False
    last_reason: str = ""


def _iter_study_sources(pacs: Pacs, study: PacsStudy) -> Iterator[DicomSource]:
    try:
        instances = _list_instances(pacs, study)
    except PacsError as error:
        yield _failed_source(
            name=study.name, reason=_("could not list its instances: %(error)s") % {"error": error}
        )
        return
    pull = _StudyPull()
    for index, (series_position, instance_position, series_uid, sop_uid) in enumerate(instances):
        if pull.unreachable or pull.consecutive_failures >= CONSECUTIVE_FAILURES_BEFORE_GIVING_UP:
            yield _failed_source(
                name=_("%(study)s, %(count)d remaining instances")
                % {"study": study.name, "count": len(instances) - index},
                reason=_("not retrieved after repeated failures: %(error)s") % {"error": pull.last_reason},
            )
            return
        yield DicomSource(
            name=_("%(study)s, series %(series)d, instance %(instance)d")
            % {"study": study.name, "series": series_position, "instance": instance_position},
            read=partial(_retrieve, pacs, pull, study.study_uid, series_uid, sop_uid),
        )


def _retrieve(pacs: Pacs, pull: _StudyPull, study_uid: str, series_uid: str, sop_uid: str) -> bytes:
    try:
        raw = retrieve_instance_bytes(pacs=pacs, study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
    except PacsError as error:
        pull.consecutive_failures += 1
        pull.unreachable = isinstance(error, PacsUnreachable)
        pull.last_reason = str(error)
        raise
    pull.consecutive_failures = 0
    return raw


def _list_instances(pacs: Pacs, study: PacsStudy) -> list[tuple[int, int, str, str]]:
    """(series position, instance position, series UID, SOP UID), in series then instance order."""
    series_list = list(
        _search_all(
            pacs,
            partial(
                pacs.client.search_for_series, study_instance_uid=study.study_uid, fields=[SERIES_NUMBER]
            ),
            SERIES_INSTANCE_UID,
        )
    )
    series_list.sort(
        key=lambda s: (as_int(first_value(s, SERIES_NUMBER)) or 0, first_value(s, SERIES_INSTANCE_UID))
    )
    instances = []
    for series_position, series in enumerate(series_list, start=1):
        series_uid = first_value(series, SERIES_INSTANCE_UID)
        found = list(
            _search_all(
                pacs,
                partial(
                    pacs.client.search_for_instances,
                    study_instance_uid=study.study_uid,
                    series_instance_uid=series_uid,
                    fields=[INSTANCE_NUMBER],
                ),
                SOP_INSTANCE_UID,
            )
        )
        found.sort(
            key=lambda i: (as_int(first_value(i, INSTANCE_NUMBER)) or 0, first_value(i, SOP_INSTANCE_UID))
        )
        for instance_position, instance in enumerate(found, start=1):
            instances.append(
                (series_position, instance_position, series_uid, first_value(instance, SOP_INSTANCE_UID))
            )
    return instances


def _search_all(pacs: Pacs, search, uid_tag: str) -> Iterator[dict]:
    """Page through a QIDO-RS search with limit/offset until a page brings nothing new.

    Stopping on "nothing new" (not only on an empty page) guards against servers that ignore
    ``offset`` and would otherwise be asked for the same page forever.
    """
    seen: set[str] = set()
    offset = 0
    while True:
        page = run_search(pacs, partial(search, limit=QIDO_PAGE_SIZE, offset=offset))
        fresh = [
            match for match in page if first_value(match, uid_tag) and first_value(match, uid_tag) not in seen
        ]
        if not fresh:
            return
        for match in fresh:
            seen.add(first_value(match, uid_tag))
            yield match
        offset += len(page)


def run_search(pacs: Pacs, search) -> list[dict]:
    """One QIDO-RS request; its failures as PacsUnreachable or PacsRefused, said for people."""
    try:
        return search() or []
    except (requests.ConnectionError, requests.Timeout) as error:
        raise PacsUnreachable(
            _("Could not connect to the PACS at %(url)s (%(error)s).")
            % {"url": pacs.label, "error": type(error).__name__}
        ) from None
    except requests.HTTPError as error:
        raise PacsRefused(_describe_status(error.response)) from None
    except ValueError as error:  # a body that is not DICOM JSON
        raise PacsRefused(
            _("The PACS sent an unreadable search result (%(error)s).") % {"error": str(error)[:200]}
        ) from None


def _describe_status(response: requests.Response | None) -> str:
    status = getattr(response, "status_code", 0)
    if status in (401, 403):
        return _("The PACS refused the user name or password (HTTP %(status)d).") % {"status": status}
    if status == 404:
        return _("The PACS has no such resource; is the URL the DICOMweb root? (HTTP 404)")
    reason = getattr(response, "reason", "") or ""
    return _("The PACS answered HTTP %(status)d %(reason)s.") % {"status": status, "reason": reason}


def _failed_source(*, name: str, reason: str) -> DicomSource:
    def read() -> bytes:
        raise PacsError(reason)

    return DicomSource(name=name, read=read)


def first_value(dicom_json: dict, tag: str):
    """The first value of ``tag`` in a DICOM JSON object, or None."""
    values = (dicom_json.get(tag) or {}).get("Value") or []
    return values[0] if values else None


def as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def password_from_environment() -> str | None:
    """``PACS_PASSWORD``, so the password need not appear on a command line (visible in ps)."""
    return os.environ.get("PACS_PASSWORD")
