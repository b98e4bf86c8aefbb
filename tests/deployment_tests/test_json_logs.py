import json
import logging
import sys

from django.http import HttpResponse
from django.test import RequestFactory

from cmr_reader.logging_json import JsonFormatter
from cmr_reader.request_id import RequestIdFilter, RequestIdMiddleware


def record(message="imported %d instances", args=(3,), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("cmr_reader.imaging", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_log_record_becomes_one_line_of_json():
    line = JsonFormatter().format(record())

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "cmr_reader.imaging"
    assert entry["message"] == "imported 3 instances"
    assert entry["time"].endswith("+00:00")
    assert entry["request_id"] == "-"


def test_an_exception_stays_inside_the_json_line():
    try:
        raise ValueError("bad frame")
    except ValueError:
        line = JsonFormatter().format(record(exc_info=sys.exc_info()))

    assert "\n" not in line
    assert "ValueError: bad frame" in json.loads(line)["exception"]


def test_log_lines_written_during_a_request_carry_its_id():
    seen = []

    def view(request):
        entry = record()
        RequestIdFilter().filter(entry)
        seen.append(json.loads(JsonFormatter().format(entry))["request_id"])
        return HttpResponse()

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="proxy-abc.123"))

    assert seen == ["proxy-abc.123"]
    assert response["X-Request-ID"] == "proxy-abc.123"


def test_an_unsafe_request_id_is_replaced():
    response = RequestIdMiddleware(lambda request: HttpResponse())(
        RequestFactory().get("/", HTTP_X_REQUEST_ID="evil\nid")
    )

    assert response["X-Request-ID"] != "evil\nid"
    assert len(response["X-Request-ID"]) == 32
