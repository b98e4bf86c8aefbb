"""DICOM JSON (PS3.18 F.2) straight from raw Explicit VR Little Endian values.

Each converter gives what ``pydicom.Dataset.to_json_dict()`` (pydicom 3.0) gives for the same
bytes, so headers stored by the fast ingest path read exactly like those of the pydicom path:

- AS, CS, DA, DT, TM, UI: trailing spaces and NULs stripped, then split on backslash
  (``pydicom.values.multi_string``); AE: each value stripped on both sides.
- SH, LO, UC: decoded in the data set's character set, split, each value right-stripped;
  ST, LT, UT: one value, right-stripped; UR: right-stripped.
- DS, IS: numbers (``jsonrep.convert_to_python_number``); IS strings such as "1.0" give ints.
- PN: ``{"Alphabetic": ..., "Ideographic": ..., "Phonetic": ...}``, trailing empty groups left out.
- Binary VRs: base64 ``InlineBinary``; SQ: a list of item objects, ``[]`` when empty.
- A zero-length value has no ``Value`` key; a single empty string value likewise.

Where pydicom would warn, retry another VR or fail (empty values inside a multi-valued number,
numbers that do not parse, wrong lengths, ISO 2022 escapes), ``NotEligible`` is raised and the
caller falls back to the pydicom path rather than guess.
"""

import base64
import struct

from cmr_reader.imaging.raw_elements import Element, NotEligible

SPECIFIC_CHARACTER_SET = 0x00080005
# LUT Descriptors get their first value re-signed by pydicom (pydicom.tag._LUT_DESCRIPTOR_TAGS).
_LUT_DESCRIPTOR_TAGS = frozenset({0x00281101, 0x00281102, 0x00281103, 0x00283002})
_KEYS: dict[int, str] = {}


def json_key(tag: int) -> str:
    key = _KEYS.get(tag)
    if key is None:
        key = _KEYS[tag] = f"{tag:08X}"
    return key


def data_set_json(data: bytes, elements: list[Element], encoding: str) -> dict:
    """The DICOM JSON object of a data set read by ``raw_elements``, every element as stored."""
    result = {}
    for element in elements:
        result[json_key(element.tag)] = element_json(data, element, encoding)
    return result


def element_json(data: bytes, element: Element, encoding: str) -> dict:
    vr = element.vr
    if vr == "SQ":
        return {"vr": "SQ", "Value": [_item_json(data, item, encoding) for item in element.items]}
    if vr == "SS" and element.tag in _LUT_DESCRIPTOR_TAGS:
        raise NotEligible("LUT descriptor")
    return _CONVERTERS[vr](vr, data[element.value_start : element.end], encoding)


def _item_json(data: bytes, item: list[Element], encoding: str) -> dict:
    for element in item:
        if element.tag >= SPECIFIC_CHARACTER_SET:
            # An item may switch character set (PS3.5 7.5.3); pydicom decodes it with that one.
            if element.tag == SPECIFIC_CHARACTER_SET:
                raise NotEligible("character set inside a sequence item")
            break
    return data_set_json(data, item, encoding)


def strings_json(vr: str, text: str) -> dict:
    """A string value already stripped as pydicom strips it, split on backslash."""
    if "\\" in text:
        return {"vr": vr, "Value": text.split("\\")}
    if text:
        return {"vr": vr, "Value": [text]}
    return {"vr": vr}


def _stripped_strings(vr: str, raw: bytes, encoding: str) -> dict:
    return strings_json(vr, raw.decode("latin-1").rstrip(" \x00"))


def _application_entity(vr: str, raw: bytes, encoding: str) -> dict:
    values = [value.strip() for value in raw.decode("latin-1").split("\\")]
    if len(values) == 1 and not values[0]:
        return {"vr": vr}
    return {"vr": vr, "Value": values}


def _text_values(vr: str, raw: bytes, encoding: str) -> dict:
    values = [value.rstrip("\x00 ") for value in decode_text(raw, encoding).split("\\")]
    if len(values) == 1 and not values[0]:
        return {"vr": vr}
    return {"vr": vr, "Value": values}


def _single_text(vr: str, raw: bytes, encoding: str) -> dict:
    text = decode_text(raw, encoding).rstrip("\x00 ")
    return {"vr": vr, "Value": [text]} if text else {"vr": vr}


def _uri(vr: str, raw: bytes, encoding: str) -> dict:
    text = raw.decode("latin-1").rstrip()
    return {"vr": vr, "Value": [text]} if text else {"vr": vr}


def _decimal_strings(vr: str, raw: bytes, encoding: str) -> dict:
    text = raw.decode("latin-1").strip().rstrip(" \x00")
    if not text:
        return {"vr": vr}
    try:
        return {"vr": vr, "Value": [float(value) for value in text.split("\\")]}
    except ValueError:
        raise NotEligible("DS value that is not a number") from None


def _integer_strings(vr: str, raw: bytes, encoding: str) -> dict:
    text = raw.decode("latin-1").rstrip(" \x00")
    if not text:
        return {"vr": vr}
    return {"vr": vr, "Value": [_integer(value) for value in text.split("\\")]}


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        # pydicom keeps "1.0" as IS 1 and "1.5" as ISfloat, which DICOM JSON then truncates.
        return int(float(text))
    except (ValueError, OverflowError):
        raise NotEligible("IS value that is not a number") from None


def _person_names(vr: str, raw: bytes, encoding: str) -> dict:
    text = decode_text(raw.rstrip(b"\x00 "), encoding)
    if not text:
        return {"vr": vr}
    names = []
    for value in text.split("\\"):
        groups = value.split("=")
        while groups and not groups[-1]:
            groups.pop()
        if not groups:
            raise NotEligible("empty person name among several")  # pydicom fails on it
        name = {"Alphabetic": groups[0]}
        if len(groups) > 1:
            name["Ideographic"] = groups[1]
        if len(groups) > 2:
            name["Phonetic"] = groups[2]
        names.append(name)
    return {"vr": vr, "Value": names}


def _numbers(code: str, size: int):
    def convert(vr: str, raw: bytes, encoding: str) -> dict:
        count, remainder = divmod(len(raw), size)
        if remainder:
            raise NotEligible(f"{vr} length not a multiple of {size}")
        if not count:
            return {"vr": vr}
        return {"vr": vr, "Value": list(struct.unpack(f"<{count}{code}", raw))}

    return convert


def _attribute_tags(vr: str, raw: bytes, encoding: str) -> dict:
    count, remainder = divmod(len(raw), 4)
    if remainder:
        raise NotEligible("AT length not a multiple of 4")
    if not count:
        return {"vr": vr}
    numbers = struct.unpack(f"<{2 * count}H", raw)
    return {"vr": vr, "Value": [f"{numbers[i] << 16 | numbers[i + 1]:08X}" for i in range(0, 2 * count, 2)]}


def _binary(vr: str, raw: bytes, encoding: str) -> dict:
    if not raw:
        return {"vr": vr}
    return {"vr": vr, "InlineBinary": base64.b64encode(raw).decode("ascii")}


def decode_text(raw: bytes, encoding: str) -> str:
    """Text VRs (SH, LO, UC, ST, LT, UT, PN) in the data set's single-byte or UTF-8 character set."""
    if b"\x1b" in raw:
        raise NotEligible("ISO 2022 escape in a text value")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        # pydicom would substitute replacement characters with a warning; leave that to it.
        raise NotEligible("text not in its character set") from None


_CONVERTERS = {
    "AE": _application_entity,
    "AS": _stripped_strings,
    "AT": _attribute_tags,
    "CS": _stripped_strings,
    "DA": _stripped_strings,
    "DS": _decimal_strings,
    "DT": _stripped_strings,
    "FD": _numbers("d", 8),
    "FL": _numbers("f", 4),
    "IS": _integer_strings,
    "LO": _text_values,
    "LT": _single_text,
    "OB": _binary,
    "OD": _binary,
    "OF": _binary,
    "OL": _binary,
    "OV": _binary,
    "OW": _binary,
    "PN": _person_names,
    "SH": _text_values,
    "SL": _numbers("l", 4),
    "SS": _numbers("h", 2),
    "ST": _single_text,
    "SV": _numbers("q", 8),
    "TM": _stripped_strings,
    "UC": _text_values,
    "UI": _stripped_strings,
    "UL": _numbers("L", 4),
    "UN": _binary,
    "UR": _uri,
    "US": _numbers("H", 2),
    "UT": _single_text,
    "UV": _numbers("Q", 8),
}
