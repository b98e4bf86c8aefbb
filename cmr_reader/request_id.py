"""A request id per HTTP request, for the response header and every log line written meanwhile.

A reverse proxy that already sends ``X-Request-ID`` keeps its id, so proxy and application logs
join up; anything else (absent, too long, odd characters) is replaced by a fresh one.
"""

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
ACCEPTED = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(HEADER, "")
        request_id = offered if ACCEPTED.match(offered) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` ("-" outside a request) so formatters can name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
