"""Parsing what a PACS answers, without a PACS: multipart bodies, URLs, paging."""

import pytest

from cmr_reader.imaging import pacs_import
from cmr_reader.imaging.pacs_import import PacsError, connect_pacs, pacs_label, single_dicom_part

PART10 = b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\x14\x00" + b"\r\n--not-the-boundary\r\n\xff\x00"


def multipart(content: bytes, boundary: str = "b0und4ry") -> tuple[bytes, str]:
    body = (
        f"--{boundary}\r\nContent-Type: application/dicom; transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f'multipart/related; type="application/dicom"; boundary="{boundary}"'


def test_single_dicom_part_returns_the_part_bytes_unchanged():
    body, content_type = multipart(PART10)
    assert single_dicom_part(body=body, content_type=content_type) == PART10


def test_single_dicom_part_accepts_an_unquoted_boundary():
    body, _ = multipart(PART10, boundary="abc123")
    assert single_dicom_part(body=body, content_type="multipart/related; boundary=abc123") == PART10


def test_single_dicom_part_accepts_a_bare_application_dicom_body():
    assert single_dicom_part(body=PART10, content_type="application/dicom") == PART10


def test_single_dicom_part_refuses_a_truncated_body():
    body, content_type = multipart(PART10)
    with pytest.raises(PacsError, match="incomplete"):
        single_dicom_part(body=body[: len(body) // 2], content_type=content_type)


def test_single_dicom_part_refuses_other_media_types():
    with pytest.raises(PacsError, match="unexpected response type"):
        single_dicom_part(body=b"<html>", content_type="text/html")


def test_pacs_label_drops_credentials_query_and_fragment():
    label = pacs_label("https://alice:s3cret@pacs.example.org:8443/dicom-web/?token=x#frag")
    assert label == "https://pacs.example.org:8443/dicom-web/"


def test_pacs_label_survives_a_malformed_port():
    assert pacs_label("http://alice:pw@pacs:abc/dicom-web") == "http://pacs/dicom-web"


def test_connect_pacs_refuses_a_malformed_port():
    with pytest.raises(PacsError, match="Not a valid port"):
        connect_pacs(url="http://pacs:abc/dicom-web")


def test_connect_pacs_takes_credentials_from_the_url_when_none_are_given():
    pacs = connect_pacs(url="http://alice:s3cret@127.0.0.1:1/dicom-web/")
    assert (pacs.session.auth.username, pacs.session.auth.password) == ("alice", "s3cret")
    assert pacs.url == "http://127.0.0.1:1/dicom-web"


def test_connect_pacs_prefers_explicit_credentials():
    pacs = connect_pacs(url="http://alice:s3cret@127.0.0.1:1/dicom-web", username="bob", password="pw")
    assert (pacs.session.auth.username, pacs.session.auth.password) == ("bob", "pw")


def test_connect_pacs_refuses_a_url_that_is_not_http():
    with pytest.raises(PacsError, match="Not an http"):
        connect_pacs(url="ftp://127.0.0.1/dicom-web")


def test_paging_stops_when_a_server_ignores_offset():
    # A server that ignores offset answers the same page forever; the pull must not loop.
    page = [{"0020000D": {"vr": "UI", "Value": [f"1.2.3.{n}"]}} for n in range(3)]
    calls = []

    def search(*, limit, offset):
        calls.append(offset)
        return page

    pacs = connect_pacs(url="http://127.0.0.1:1/dicom-web")
    found = list(pacs_import._search_all(pacs, search, "0020000D"))
    assert [m["0020000D"]["Value"][0] for m in found] == ["1.2.3.0", "1.2.3.1", "1.2.3.2"]
    assert calls == [0, 3]


def test_paging_follows_offset_until_an_empty_page():
    studies = [{"0020000D": {"vr": "UI", "Value": [f"1.2.3.{n}"]}} for n in range(5)]

    def search(*, limit, offset):
        return studies[offset : offset + 2]

    pacs = connect_pacs(url="http://127.0.0.1:1/dicom-web")
    assert len(list(pacs_import._search_all(pacs, search, "0020000D"))) == 5
