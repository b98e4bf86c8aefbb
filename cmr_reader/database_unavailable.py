"""A short database outage answers 503 with a clear page (or JSON for scripts), not a 500.

``OperationalError`` and ``InterfaceError`` are what the database driver raises when the server
cannot be reached, drops the connection or cannot process the transaction now (PEP 249), all
things that pass: the answer says so, with ``Retry-After``, and the reading page keeps its
unsaved answers and sends them again (``static/js/reading.js``). Every write with rules runs in
one transaction, so a connection lost mid-request leaves nothing half-written.

Two places raise them. A view (``request.user``, the service call) reaches ``process_exception``.
A middleware inside this one (the session loaded by ``IdleTimeoutMiddleware``, the session saved
by ``SessionMiddleware``) has its exception turned into a 500 response by Django before this
middleware sees anything; ``got_request_exception`` fires while the exception is being handled,
so its receiver notes it on the request and ``__call__`` swaps the 500 for the 503.
"""

import json
import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
TEMPLATE = "errors/database_unavailable.html"
# Paths whose clients are scripts (the REST API, DICOMweb): always JSON.
SCRIPT_PATHS = ("/api/", "/dicomweb/")
_NOTED = "_database_unavailable_error"


def is_database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError)


def wants_json(request: HttpRequest) -> bool:
    """Scripts get JSON: the reading page's autosave (a JSON body), API and DICOMweb clients, and
    anything that asks for JSON and not HTML. A browser's page load asks for text/html."""
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith(SCRIPT_PATHS)
        or request.content_type == "application/json"
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or ("json" in accept and "text/html" not in accept)
    )


def unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The 503 for ``request``: JSON with ``retry: true`` for scripts, else the page."""
    logger.error(
        "database unavailable: %s %s answered 503 (%s: %s)",
        request.method,
        request.path,
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
    )
    # LocaleMiddleware may not have run yet (the session failed before it): choose the language
    # here. Nothing below may touch the database, so no request context (``user`` would load
    # the session).
    with translation.override(translation.get_language_from_request(request)):
        if wants_json(request):
            body = {
                "ok": False,
                "error": _("The database is unavailable for a moment. Try again shortly."),
                "retry": True,
            }
            response = HttpResponse(json.dumps(body), content_type="application/json", status=503)
        else:
            html = render_to_string(TEMPLATE, {"retry_url": _retry_url(request)})
            response = HttpResponse(html, status=503)
        response["Content-Language"] = translation.get_language()
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _retry_url(request: HttpRequest) -> str | None:
    """Where "Try again" leads: this address for a page load; the page that sent a form."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return None


def _note_database_error(sender, request=None, **kwargs) -> None:
    """Receiver of ``got_request_exception``: sent from inside Django's ``except`` block, so
    ``sys.exc_info()`` is the exception that is becoming a 500."""
    error = sys.exc_info()[1]
    if request is not None and is_database_unavailable(error):
        setattr(request, _NOTED, error)


got_request_exception.connect(_note_database_error, dispatch_uid="cmr_reader.database_unavailable")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, _NOTED, None)
        if error is not None and response.status_code == 500:
            replacement = unavailable_response(request, error)
            for header in ("Vary", "X-Frame-Options"):
                if header in response and header not in replacement:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return unavailable_response(request, exception)
        return None
