"""The WSGI frame fast lane serves only sessions Django has just authorised, with Django's bytes."""

import io

import pytest
from django.core.wsgi import get_wsgi_application

from cmr_reader.imaging import frame_grants
from cmr_reader.imaging.frame_fast_lane import FrameFastLane
from tests.dicomweb_tests.conftest import client_for, instance_path

FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'


class CountingApp:
    """Django's WSGI app, counting the requests the fast lane passed on to it."""

    def __init__(self):
        self.app = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


def wsgi_get(app, path: str, *, cookie: str = "", accept: str = FRAME_ACCEPT) -> tuple[str, dict, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": accept,
        "HTTP_COOKIE": cookie,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def frame_part(body: bytes) -> bytes:
    start = body.index(b"\r\n\r\n") + 4
    return body[start : body.rindex(b"\r\n--", start)]


@pytest.fixture(autouse=True)
def no_grants_between_tests():
    frame_grants.revoke_all()
    yield
    frame_grants.revoke_all()


@pytest.fixture
def lane():
    inner = CountingApp()
    return FrameFastLane(inner), inner


def session_cookie(user) -> str:
    return f"sessionid={client_for(user).cookies['sessionid'].value}"


@pytest.mark.django_db(transaction=True)
def test_first_frame_goes_through_django_and_the_next_ones_take_the_fast_lane(archive, coordinator, lane):
    app, inner = lane
    cookie = session_cookie(coordinator)
    first, second = (instance_path(i) + "/frames/1" for i in archive.cine_frames[:2])

    status1, headers1, body1 = wsgi_get(app, first, cookie=cookie)
    status2, headers2, body2 = wsgi_get(app, second, cookie=cookie)
    status3, _headers3, body3 = wsgi_get(app, first, cookie=cookie)

    assert (status1, status2, status3) == ("200 OK", "200 OK", "200 OK")
    assert inner.calls == 1, "only the first request needed Django"
    assert frame_part(body3) == frame_part(body1), "the fast lane serves Django's bytes"
    assert frame_part(body2) != frame_part(body1)
    assert (
        headers2["Content-Type"].split(";")[0]
        == headers1["Content-Type"].split(";")[0]
        == "multipart/related"
    )
    assert "transfer-syntax=1.2.840.10008.1.2.1" in body2.decode("latin-1")[:300]
    assert headers2["Cache-Control"] == headers1["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_a_reader_never_gets_a_grant_so_never_gets_a_frame(archive, reader, lane):
    app, inner = lane
    cookie = session_cookie(reader)
    path = instance_path(archive.cine_frames[0]) + "/frames/1"

    for _ in range(3):
        status, _headers, body = wsgi_get(app, path, cookie=cookie)
        assert status.startswith("403")
        assert archive.cine_frames[0].sop_instance_uid.encode() not in body
    assert inner.calls == 3


@pytest.mark.django_db(transaction=True)
def test_logout_revokes_the_grant_at_once(archive, coordinator, lane):
    app, inner = lane
    client = client_for(coordinator)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    path = instance_path(archive.cine_frames[0]) + "/frames/1"
    wsgi_get(app, path, cookie=cookie)

    client.post("/accounts/logout/")
    status, _headers, _body = wsgi_get(app, path, cookie=cookie)

    assert status.startswith("401")
    assert inner.calls == 2


@pytest.mark.django_db(transaction=True)
def test_an_expired_grant_sends_the_request_back_to_django(archive, coordinator, lane):
    app, inner = lane
    cookie = session_cookie(coordinator)
    path = instance_path(archive.cine_frames[0]) + "/frames/1"
    wsgi_get(app, path, cookie=cookie)
    session_key = cookie.split("=", 1)[1]
    frame_grants.grant(session_key, user=coordinator, now=-1e9)  # expired long ago

    wsgi_get(app, path, cookie=cookie)

    assert inner.calls == 2


@pytest.mark.django_db(transaction=True)
def test_anything_unusual_is_left_to_django(archive, coordinator, lane):
    app, inner = lane
    cookie = session_cookie(coordinator)
    path = instance_path(archive.multiframe)
    wsgi_get(app, path + "/frames/1", cookie=cookie)  # grants the session
    calls = inner.calls

    assert wsgi_get(app, path + "/frames/9", cookie=cookie)[0].startswith("404")  # past the last frame
    assert wsgi_get(app, path + "/frames/1,2", cookie=cookie)[0] == "200 OK"  # several frames
    assert wsgi_get(app, path + "/frames/1", cookie=cookie, accept="image/jpeg")[0].startswith("406")
    assert wsgi_get(app, path + "/frames/1", cookie="sessionid=forged")[0].startswith("401")
    other_series = instance_path(archive.cine_frames[0]).replace(
        archive.cine.series_instance_uid, archive.lge.series_instance_uid
    )
    assert wsgi_get(app, other_series + "/frames/1", cookie=cookie)[0].startswith("404")
    assert inner.calls == calls + 5
