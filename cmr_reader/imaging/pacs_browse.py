"""Searching the operator's PACS from the browser and pulling the chosen studies as a job.

The PACS is the one the operator configured (``PACS_DICOMWEB_URL``, ``PACS_USERNAME``,
``PACS_PASSWORD`` in the environment): the page never takes a URL or credentials, so it cannot be
turned into a proxy to another host (docs/decisions/0025).

Original Study Instance UIDs never reach the page or the database in clear. A search result
carries a token, the UID encrypted with a key derived from the site's pseudonym key; a pull keeps
the chosen UIDs, encrypted the same way, on its ImportJob (``pacs_request``) for as long as a
re-run may need them, and the job empties the field when it is done.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import partial

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cmr_reader.imaging.descriptors import clean_descriptor
from cmr_reader.imaging.models import Case, ImportJob
from cmr_reader.imaging.pacs_import import (
    NUMBER_OF_STUDY_RELATED_INSTANCES,
    STUDY_INSTANCE_UID,
    Pacs,
    PacsError,
    PacsPlan,
    as_int,
    connect_pacs,
    create_pacs_job,
    find_studies,
    first_value,
    password_from_environment,
    run_search,
)
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer

# A search shows at most this many studies; a narrower date range finds the rest.
SEARCH_LIMIT = 200
STUDY_DATE = "00080020"
MODALITIES_IN_STUDY = "00080061"
STUDY_DESCRIPTION = "00081030"
ACCESSION_NUMBER = "00080050"
NUMBER_OF_STUDY_RELATED_SERIES = "00201206"


class PullRefused(Exception):
    """The pull cannot start; the message is for the coordinator."""


@dataclass(frozen=True)
class FoundStudy:
    """One search result as the page shows it: no patient name or id, no UID in clear, and the
    description cleaned by the allow-list ingest applies (``descriptors.clean_descriptor``)."""

    token: str
    study_date: date | None
    modalities: str
    description: str
    series_count: int | None
    instance_count: int | None
    already_imported: bool


def pacs_is_configured() -> bool:
    return bool(settings.PACS_DICOMWEB_URL.strip())


def configured_pacs() -> Pacs:
    """The operator's PACS; PacsError when none is configured or its URL is not valid."""
    if not pacs_is_configured():
        raise PacsError(_("No PACS is configured on this site (PACS_DICOMWEB_URL)."))
    username = settings.PACS_USERNAME or None
    password = password_from_environment() if username else None
    return connect_pacs(url=settings.PACS_DICOMWEB_URL, username=username, password=password)


def search_studies(
    *,
    pacs: Pacs,
    date_from: date | None = None,
    date_to: date | None = None,
    modality: str = "",
    accession: str = "",
) -> tuple[list[FoundStudy], bool]:
    """QIDO-RS search of the PACS; the studies found (at most SEARCH_LIMIT) and whether there
    were more. Raises PacsError (unreachable, refused) with a message for the coordinator."""
    filters: dict[str, str] = {}
    if date_from or date_to:
        filters[STUDY_DATE] = f"{_dicom_date(date_from)}-{_dicom_date(date_to)}"
    if modality.strip():
        filters[MODALITIES_IN_STUDY] = modality.strip().upper()
    if accession.strip():
        filters[ACCESSION_NUMBER] = accession.strip()
    fields = [
        STUDY_DATE,
        MODALITIES_IN_STUDY,
        STUDY_DESCRIPTION,
        NUMBER_OF_STUDY_RELATED_SERIES,
        NUMBER_OF_STUDY_RELATED_INSTANCES,
    ]
    matches = run_search(
        pacs,
        partial(
            pacs.client.search_for_studies, search_filters=filters, fields=fields, limit=SEARCH_LIMIT + 1
        ),
    )
    matches = [match for match in matches if first_value(match, STUDY_INSTANCE_UID)]
    more = len(matches) > SEARCH_LIMIT
    matches = matches[:SEARCH_LIMIT]
    hasher = site_pseudonymizer()
    hashes = {
        first_value(match, STUDY_INSTANCE_UID): hasher.hash_identifier(first_value(match, STUDY_INSTANCE_UID))
        for match in matches
    }
    imported = set(
        Case.objects.filter(original_study_uid_hash__in=hashes.values()).values_list(
            "original_study_uid_hash", flat=True
        )
    )
    cipher = _cipher()
    found = [
        FoundStudy(
            token=cipher.encrypt(first_value(match, STUDY_INSTANCE_UID).encode()).decode(),
            study_date=_parse_date(first_value(match, STUDY_DATE)),
            modalities=", ".join(str(m) for m in (match.get(MODALITIES_IN_STUDY) or {}).get("Value") or []),
            # Typed by people, sometimes with a name in it: cleaned as ingest cleans it.
            description=clean_descriptor(str(first_value(match, STUDY_DESCRIPTION) or "")),
            series_count=as_int(first_value(match, NUMBER_OF_STUDY_RELATED_SERIES)),
            instance_count=as_int(first_value(match, NUMBER_OF_STUDY_RELATED_INSTANCES)),
            already_imported=hashes[first_value(match, STUDY_INSTANCE_UID)] in imported,
        )
        for match in matches
    ]
    found.sort(key=lambda study: study.study_date or date.min, reverse=True)
    return found, more


def start_pull(*, tokens: list[str], user) -> ImportJob:
    """An import job pulling the studies behind ``tokens`` (from ``search_studies``), for the
    caller to queue (``import_jobs.enqueue_import_job``).

    The PACS is searched for them first, so a wrong password or an unreachable PACS stores nothing.
    Raises PullRefused for no study, a token this site did not make, or a PACS error.
    """
    if not tokens:
        raise PullRefused(_("Choose at least one study to pull."))
    uids = list(dict.fromkeys(_study_uid(token) for token in tokens))
    try:
        pacs = configured_pacs()
        with pacs.session:
            plan = find_studies(pacs=pacs, study_uids=uids)
    except PacsError as error:
        raise PullRefused(str(error)) from None
    with transaction.atomic():
        job = create_pacs_job(pacs=pacs, plan=plan, user=user)
        job.pacs_request = _cipher().encrypt(json.dumps(uids).encode()).decode()
        job.save(update_fields=["pacs_request"])
    return job


def pull_plan(job: ImportJob) -> tuple[Pacs, PacsPlan]:
    """The PACS and the plan of a browser pull, from its encrypted request (for the worker).
    Raises PacsError when the request is gone or unreadable, or the PACS cannot be searched."""
    if not job.pacs_request:
        raise PacsError(_("This pull's list of studies is no longer kept; search the PACS and pull again."))
    try:
        uids = json.loads(_cipher().decrypt(job.pacs_request.encode()))
    except (InvalidToken, ValueError):
        raise PacsError(_("This pull's list of studies cannot be read with this site's key.")) from None
    pacs = configured_pacs()
    return pacs, find_studies(pacs=pacs, study_uids=uids)


def _study_uid(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, UnicodeError):
        raise PullRefused(_("A chosen study is not one this site found; search the PACS again.")) from None


def _cipher() -> Fernet:
    """Fernet under a key derived from the pseudonym key for this purpose alone."""
    digest = hashlib.sha256(b"cmr-reader pacs pull\x00" + settings.PSEUDONYM_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _dicom_date(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _parse_date(value) -> date | None:
    text = str(value or "")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
