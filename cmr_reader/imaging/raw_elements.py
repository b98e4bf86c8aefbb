"""Explicit VR Little Endian data elements read from and written to raw bytes, without pydicom.

In Explicit VR Little Endian (PS3.5 7.1.2) a data set is a run of elements: a 4-byte tag, a
2-byte VR, a 2-byte length, or 2 reserved bytes and a 4-byte length for the VRs of PS3.5
Table 7.1-1, then the value. A sequence (PS3.5 7.5) holds items, each a data set of its own;
sequences and items have a defined length or an undefined one ended by a delimitation item.

``read_part10`` turns a Part 10 file (PS3.10 7.1) into nested tuples of offsets, one pass over
the bytes, so the caller can copy kept elements as byte slices and never build a pydicom
DataElement. Whatever this reader does not expect raises ``NotEligible``: the general pydicom
path then reads the file, so nothing here needs to be lenient.
"""

import struct
from typing import NamedTuple

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
PIXEL_DATA = 0x7FE00010
ITEM = 0xFFFEE000
ITEM_DELIMITER = 0xFFFEE00D
SEQUENCE_DELIMITER = 0xFFFEE0DD
UNDEFINED_LENGTH = 0xFFFFFFFF

# PS3.5 Table 7.1-1: the VRs with 2 reserved bytes and a 32-bit length.
LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
SHORT_LENGTH_VRS = frozenset("AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split())
# Keyed by the two VR bytes read as one little-endian number, so the hot loop looks up an int.
_VR_BY_CODE = {
    int.from_bytes(vr.encode("ascii"), "little"): (vr, vr in LONG_LENGTH_VRS)
    for vr in LONG_LENGTH_VRS | SHORT_LENGTH_VRS
}

_ELEMENT_HEAD = struct.Struct("<HHHH").unpack_from  # group, element, VR, 16-bit length
_ITEM_HEAD = struct.Struct("<HHI").unpack_from  # group, element, 32-bit length
_U32 = struct.Struct("<I").unpack_from
_SHORT_HEADER = struct.Struct("<HH2sH").pack
_LONG_HEADER = struct.Struct("<HH2sHI").pack
_ITEM_HEADER = struct.Struct("<HHI").pack


class NotEligible(Exception):
    """The input needs the general pydicom path: this fast path does not handle its structure."""


class Element(NamedTuple):
    """Where one element lies in the buffer; ``items`` holds a sequence's parsed items."""

    tag: int
    vr: str
    start: int  # first byte of the tag
    value_start: int
    end: int  # one past the value (past the delimiter for an undefined-length sequence)
    items: list | None  # list of items (each a list of Element) for SQ, else None


_new_tuple = tuple.__new__


class Part10(NamedTuple):
    meta: dict[int, Element]
    transfer_syntax: str
    elements: list[Element]  # top-level data set up to and including Pixel Data
    pixel_data: Element | None


def read_part10(data: bytes) -> Part10:
    """Parse a Part 10 file: preamble, ``DICM``, file meta group, then the data set.

    The data set is read as Explicit VR Little Endian only when the file meta says so; any other
    transfer syntax raises ``NotEligible`` before the data set is touched. ``elements`` ends at
    the top-level Pixel Data; elements after it are checked for structure, then left out.
    """
    if len(data) < 132 or data[128:132] != b"DICM":
        raise NotEligible("no Part 10 preamble")
    meta_elements, data_set_start = read_data_set(data, 132, len(data), stop_before_group=0x0003)
    meta = {element.tag: element for element in meta_elements}
    if any(tag >> 16 != 0x0002 for tag in meta):
        raise NotEligible("file meta group holds other groups")
    syntax = meta.get(0x00020010)
    if syntax is None:
        raise NotEligible("no transfer syntax")
    transfer_syntax = data[syntax.value_start : syntax.end].decode("latin-1").strip(" \x00")
    if transfer_syntax != EXPLICIT_VR_LITTLE_ENDIAN:
        raise NotEligible(f"transfer syntax {transfer_syntax}")
    elements, end = read_data_set(data, data_set_start, len(data), stop_after=PIXEL_DATA, previous=0x0002FFFF)
    pixel_data = elements[-1] if elements and elements[-1].tag == PIXEL_DATA else None
    if end != len(data):
        # Trailing padding or signatures: storage drops whatever follows Pixel Data, but they
        # must still be well-formed elements, as the pydicom path would have to read them.
        read_data_set(data, end, len(data), previous=elements[-1].tag)
    return Part10(meta=meta, transfer_syntax=transfer_syntax, elements=elements, pixel_data=pixel_data)


def read_data_set(
    data: bytes,
    pos: int,
    end: int,
    *,
    until_delimiter: bool = False,
    stop_after: int = 0x100000000,
    stop_before_group: int = 0x10000,
    previous: int = -1,
) -> tuple[list[Element], int]:
    """The elements from ``pos`` to ``end`` (or to an item delimiter); returns them and the end.

    Tags must rise strictly (PS3.5 7.1: ascending order, no repeats), as pydicom would otherwise
    reorder or merge them and our output could differ from its.
    """
    elements: list[Element] = []
    append = elements.append
    while pos < end:
        if pos + 8 > end:
            raise NotEligible("element header runs past the end")
        group, number, vr_code, short_length = _ELEMENT_HEAD(data, pos)
        if group >= stop_before_group:
            return elements, pos
        tag = group << 16 | number
        if group == 0xFFFE:
            if tag == ITEM_DELIMITER and until_delimiter:
                return elements, pos + 8
            raise NotEligible("unexpected delimiter or item")
        if tag <= previous:
            raise NotEligible("tags out of order")
        previous = tag
        vr_info = _VR_BY_CODE.get(vr_code)
        if vr_info is None:
            raise NotEligible("unknown VR")
        vr, long_length = vr_info
        if long_length:
            if pos + 12 > end:
                raise NotEligible("element header runs past the end")
            length = _U32(data, pos + 8)[0]
            value_start = pos + 12
        else:
            length = short_length
            value_start = pos + 8
        if length == UNDEFINED_LENGTH:
            if vr != "SQ" or tag == PIXEL_DATA:
                raise NotEligible("undefined length outside a sequence")
            items, next_pos = _read_items(data, value_start, end, defined=False)
        else:
            next_pos = value_start + length
            if next_pos > end:
                raise NotEligible("element runs past the end")
            items = _read_items(data, value_start, next_pos, defined=True)[0] if vr == "SQ" else None
        # tuple.__new__ skips the keyword handling of the NamedTuple constructor (a third of the parse).
        append(_new_tuple(Element, (tag, vr, pos, value_start, next_pos, items)))
        if tag >= stop_after:
            return elements, next_pos
        pos = next_pos
    if until_delimiter:
        raise NotEligible("item without its delimiter")
    return elements, pos


def _read_items(data: bytes, pos: int, end: int, *, defined: bool) -> tuple[list[list[Element]], int]:
    items = []
    while True:
        if defined and pos == end:
            return items, pos
        if pos + 8 > end:
            raise NotEligible("sequence runs past the end")
        group, number, length = _ITEM_HEAD(data, pos)
        tag = group << 16 | number
        if tag == SEQUENCE_DELIMITER and not defined:
            return items, pos + 8
        if tag != ITEM:
            raise NotEligible("not an item")
        if length == UNDEFINED_LENGTH:
            item, pos = read_data_set(data, pos + 8, end, until_delimiter=True)
        else:
            item_end = pos + 8 + length
            if item_end > end:
                raise NotEligible("item runs past the end")
            item, _ = read_data_set(data, pos + 8, item_end)
            pos = item_end
        items.append(item)


def encode_element(tag: int, vr: str, value: bytes) -> bytes:
    """One Explicit VR Little Endian element; odd values are padded (NUL for UI and binary, else space)."""
    if len(value) % 2:
        value += b" " if vr not in _NUL_PADDED_VRS else b"\x00"
    if vr in LONG_LENGTH_VRS:
        return _LONG_HEADER(tag >> 16, tag & 0xFFFF, vr.encode("ascii"), 0, len(value)) + value
    return _SHORT_HEADER(tag >> 16, tag & 0xFFFF, vr.encode("ascii"), len(value)) + value


def encode_sequence(tag: int, items: list[bytes]) -> bytes:
    """A sequence with defined lengths throughout, from the encoded data set of each item."""
    body = b"".join(_ITEM_HEADER(0xFFFE, 0xE000, len(item)) + item for item in items)
    return _LONG_HEADER(tag >> 16, tag & 0xFFFF, b"SQ", 0, len(body)) + body


_NUL_PADDED_VRS = frozenset({"UI", "OB", "OD", "OF", "OL", "OV", "OW", "UN"})
