"""Accept negotiation and multipart/related bodies for WADO-RS (PS3.18 8.7, RFC 2387).

We hold one representation of everything: native pixels in Explicit VR Little Endian. So
negotiation only decides whether a request can be answered at all (406 if not) and whether the
client asked for a single part instead of multipart/related.
"""

import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"

# Splits an Accept header at commas that are not inside a quoted string.
_ACCEPT_SPLIT = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')


@dataclass(frozen=True)
class MediaRange:
    media_type: str
    parameters: dict[str, str]
    quality: float


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, best first (RFC 9110 12.5.1); none means any."""
    if not header or not header.strip():
        return [MediaRange("*/*", {}, 1.0)]
    ranges = []
    for index, item in enumerate(_ACCEPT_SPLIT.split(header)):
        media_type, *raw_parameters = item.split(";")
        parameters = {}
        for raw in raw_parameters:
            name, _, value = raw.partition("=")
            parameters[name.strip().lower()] = value.strip().strip('"')
        try:
            quality = float(parameters.pop("q", "1"))
        except ValueError:
            quality = 0.0
        if quality > 0 and media_type.strip():
            ranges.append((-quality, index, MediaRange(media_type.strip().lower(), parameters, quality)))
    return [media_range for _, _, media_range in sorted(ranges, key=lambda item: item[:2])]


def _type_matches(offered: str, wanted: str) -> bool:
    """Whether the media range ``wanted`` (maybe with wildcards) covers ``offered``."""
    if wanted in ("*", "*/*", ""):
        return True
    major, _, minor = wanted.partition("/")
    offered_major, _, offered_minor = offered.partition("/")
    return major == offered_major and minor in ("*", "", offered_minor)


def _syntax_matches(media_range: MediaRange, transfer_syntax: str) -> bool:
    return media_range.parameters.get("transfer-syntax", "*") in ("*", transfer_syntax)


def choose_part_format(
    header: str | None, *, part_type: str, transfer_syntax: str, single_part_allowed: bool
) -> str | None:
    """ "multipart", "single" or None (406) for a request whose parts are ``part_type``.

    ``multipart/related; type="application/octet-stream"`` (the form PS3.18 requires and
    Cornerstone3D sends), ``*/*`` and ``multipart/related; type="*/*"`` (dicomweb-client's
    default) get multipart; a bare ``application/octet-stream`` gets a single part where the
    answer is one item.
    """
    for media_range in parse_accept(header):
        if media_range.media_type in ("*/*", "multipart/*", "multipart/related"):
            if _type_matches(part_type, media_range.parameters.get("type", "*/*")) and _syntax_matches(
                media_range, transfer_syntax
            ):
                return "multipart"
        elif single_part_allowed and _type_matches(part_type, media_range.media_type):
            if _syntax_matches(media_range, transfer_syntax):
                return "single"
    return None


def accepts_json(header: str | None) -> bool:
    """Whether application/dicom+json (or plain JSON, which it is) is acceptable."""
    return any(
        _type_matches("application/dicom+json", media_range.media_type)
        or media_range.media_type == "application/json"
        for media_range in parse_accept(header)
    )


def new_boundary() -> str:
    # Random, so it cannot be chosen to appear inside pixel data by whoever made the images.
    return secrets.token_hex(16)


def multipart_content_type(*, part_type: str, boundary: str) -> str:
    return f'multipart/related; type="{part_type}"; boundary={boundary}'


def part_header(*, boundary: str, content_type: str, location: str | None = None) -> bytes:
    lines = [f"--{boundary}", f"Content-Type: {content_type}"]
    if location:
        lines.append(f"Content-Location: {location}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def closing_delimiter(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode("ascii")


def encode_parts(parts: Iterable[bytes], *, boundary: str, content_type: str) -> bytes:
    """A whole multipart/related body whose parts all have ``content_type``."""
    header = part_header(boundary=boundary, content_type=content_type)
    chunks = []
    for part in parts:
        chunks += [header, part, b"\r\n"]
    chunks.append(closing_delimiter(boundary))
    return b"".join(chunks)


def stream_parts(parts: Iterable[Iterable[bytes]], *, boundary: str, content_type: str) -> Iterator[bytes]:
    """The same body as ``encode_parts``, for parts that arrive in chunks (whole files)."""
    header = part_header(boundary=boundary, content_type=content_type)
    for chunks in parts:
        yield header
        yield from chunks
        yield b"\r\n"
    yield closing_delimiter(boundary)


def octet_stream_body(parts: list[bytes], *, part_format: str, transfer_syntax: str) -> tuple[bytes, str]:
    """(body, Content-Type) for frames or bulk data: one bare part, or multipart/related.

    Cornerstone3D's image loader reads the transfer syntax from the part's Content-Type.
    """
    part_type = f"application/octet-stream; transfer-syntax={transfer_syntax}"
    if part_format == "single":
        return parts[0], part_type
    boundary = new_boundary()
    return (
        encode_parts(parts, boundary=boundary, content_type=part_type),
        multipart_content_type(part_type="application/octet-stream", boundary=boundary),
    )
