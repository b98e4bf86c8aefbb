"""Accept parsing and multipart framing, without a server."""

import email.parser
import email.policy

from cmr_reader.imaging.multipart import (
    accepts_json,
    choose_part_format,
    encode_parts,
    multipart_content_type,
    parse_accept,
    stream_parts,
)

LE = "1.2.840.10008.1.2.1"


def choose(header, *, single=False):
    return choose_part_format(
        header, part_type="application/octet-stream", transfer_syntax=LE, single_part_allowed=single
    )


def test_accept_ranges_are_ordered_by_quality_then_position():
    ranges = parse_accept(
        'image/jls;q=0.5, multipart/related; type="application/octet-stream"; transfer-syntax=*, */*;q=0.1'
    )
    assert [r.media_type for r in ranges] == ["multipart/related", "image/jls", "*/*"]
    assert ranges[0].parameters == {"type": "application/octet-stream", "transfer-syntax": "*"}


def test_a_range_with_zero_quality_is_refused():
    assert choose('multipart/related; type="application/octet-stream"; q=0') is None


def test_a_later_acceptable_range_rescues_an_unacceptable_first_one():
    assert (
        choose('multipart/related; type="image/jpeg", multipart/related; type="application/octet-stream"')
        == "multipart"
    )


def test_single_part_is_given_only_where_allowed_and_asked_for():
    assert choose("application/octet-stream", single=True) == "single"
    assert choose("application/octet-stream", single=False) is None
    assert choose("*/*", single=True) == "multipart"


def test_json_is_acceptable_by_its_dicom_name_plain_name_or_wildcards():
    for header in (
        "application/dicom+json",
        "application/json",
        "application/*",
        "*/*",
        None,
        "text/html, */*;q=0.8",
    ):
        assert accepts_json(header), header
    assert not accepts_json('multipart/related; type="application/dicom+xml"')


def test_encoded_and_streamed_bodies_are_identical_and_parse_back():
    parts = [b"\x00\x01--not-a-boundary\r\n", b"", b"x" * 1000]
    encoded = encode_parts(parts, boundary="b0undary", content_type="application/octet-stream")
    streamed = b"".join(
        stream_parts(
            ([p[:3], p[3:]] for p in parts), boundary="b0undary", content_type="application/octet-stream"
        )
    )
    assert streamed == encoded
    content_type = multipart_content_type(part_type="application/octet-stream", boundary="b0undary")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + encoded
    )
    assert [part.get_payload(decode=True) for part in message.iter_parts()] == parts
