"""The Annex E action of each element, applied to raw Explicit VR Little Endian elements.

``RawWalker`` is ``deidentify._walk`` and its handlers over the offsets ``raw_elements`` reads:
the action for each tag comes from ``deid_actions.action_for_tag`` (``action_for_kept_element``
when a kept element is stored as free text or a sequence, or sits in a local code's item),
values are changed by the same helpers (``deidentify.shift_date``,
``descriptors.clean_descriptor``, the pseudonymizer), and each kept element is copied as a byte
slice, consecutive ones as one slice. Every element written also gets its DICOM JSON, so the
header is never parsed again.
"""

from cmr_reader.imaging.deid_actions import (
    VRS_CHECKED_WHEN_KEPT,
    Action,
    action_for_kept_element,
    action_for_tag,
)
from cmr_reader.imaging.deidentify import DICOM_STANDARD_UID_ROOT, DUMMY_TEXT, shift_date, shift_datetime
from cmr_reader.imaging.descriptors import clean_descriptor
from cmr_reader.imaging.free_text import (
    CODE_ATTRIBUTES,
    CODING_SCHEME_DESIGNATOR,
    LAST_CODE_ATTRIBUTE,
    is_local_coding_scheme,
)
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.raw_elements import Element, NotEligible, encode_element, encode_sequence
from cmr_reader.imaging.raw_json import (
    SPECIFIC_CHARACTER_SET,
    decode_text,
    element_json,
    json_key,
    strings_json,
)

_DUMMY_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"})
MULTI_VALUED_TEXT_VRS = frozenset({"LO", "SH", "UC"})
_SINGLE_VALUED_TEXT_VRS = frozenset({"LT", "ST", "UT"})


class RawWalker:
    """Applies the action of each element's tag, recursing into walked sequences.

    Returns the encoded elements (runs of kept elements as single slices) and their JSON.
    """

    def __init__(self, *, data: bytes, encoding: str, pseudonymizer: Pseudonymizer, shift_days: int):
        self.data = data
        self.encoding = encoding
        self.pseudonymizer = pseudonymizer
        self.shift_days = shift_days

    def walk(self, elements: list[Element], *, replacements: dict | None = None) -> tuple[list[bytes], dict]:
        """The encoded chunks and the DICOM JSON of one data set, elements in ascending tag order.

        ``replacements`` (top level only) maps tags to (encoded element, JSON) that take the place
        of the element walked, or are inserted where the tag sorts: what deidentify sets after
        its walk. ``None`` marks a sequence item, where a character set of its own is refused.
        """
        data = self.data
        encoding = self.encoding
        chunks: list[bytes] = []
        dicom_json: dict = {}
        pending = sorted(replacements) if replacements else []
        next_index = 0
        next_replacement = pending[0] if pending else 0x100000000
        run_start = run_end = -1
        in_local_code = self._holds_local_code(elements)
        for element in elements:
            tag, vr, start, _, end, _ = element  # one unpacking beats five attribute lookups
            if tag >= next_replacement:
                # Replacements that sort before or at this tag go first, in tag order.
                if run_end >= 0:
                    chunks.append(data[run_start:run_end])
                    run_start = run_end = -1
                while next_replacement <= tag:
                    encoded, value_json = replacements[next_replacement]
                    chunks.append(encoded)
                    dicom_json[json_key(next_replacement)] = value_json
                    next_index += 1
                    next_replacement = pending[next_index] if next_index < len(pending) else 0x100000000
                if tag in replacements:
                    continue
            action = action_for_tag(tag)
            if action is _KEEP and (in_local_code or vr in VRS_CHECKED_WHEN_KEPT):
                action = action_for_kept_element(tag, vr, in_local_code=in_local_code)
            if action is _KEEP:
                if vr == "UN":
                    raise NotEligible("kept element of VR UN")
                if tag == SPECIFIC_CHARACTER_SET and replacements is None:
                    raise NotEligible("character set inside a sequence item")
                dicom_json[json_key(tag)] = element_json(data, element, encoding)
                if run_end == start:
                    run_end = end
                else:
                    if run_end >= 0:
                        chunks.append(data[run_start:run_end])
                    run_start, run_end = start, end
                continue
            if action is _REMOVE:
                continue
            if vr == "UN":
                raise NotEligible("element of VR UN to be changed")
            replaced = _HANDLERS[action](self, element)
            if replaced is _REMOVED:
                continue
            if replaced is None:
                # The handler left the element as it was (a UID that needs no new value).
                dicom_json[json_key(tag)] = element_json(data, element, encoding)
                encoded = data[start:end]
            else:
                encoded, dicom_json[json_key(tag)] = replaced
            if run_end >= 0:
                chunks.append(data[run_start:run_end])
                run_start = run_end = -1
            chunks.append(encoded)
        if run_end >= 0:
            chunks.append(data[run_start:run_end])
        while next_index < len(pending):
            encoded, value_json = replacements[pending[next_index]]
            chunks.append(encoded)
            dicom_json[json_key(pending[next_index])] = value_json
            next_index += 1
        return chunks, dicom_json

    def _holds_local_code(self, elements: list[Element]) -> bool:
        """``deidentify._holds_local_code`` over raw elements (in tag order, so it stops early)."""
        has_code = False
        designator = None
        for element in elements:
            tag = element[0]
            if tag > LAST_CODE_ATTRIBUTE:
                break
            if tag in CODE_ATTRIBUTES:
                has_code = True
                if tag == CODING_SCHEME_DESIGNATOR:
                    designator = element
        if not has_code:
            return False
        if designator is None:
            return is_local_coding_scheme("")
        if designator.vr != "SH":
            raise NotEligible(f"Coding Scheme Designator of VR {designator.vr}")
        # As deidentify._ascii_text reads it: ASCII with replacement, each value stripped.
        text = self.data[designator.value_start : designator.end].decode("ascii", "replace")
        return is_local_coding_scheme("\\".join(part.strip(" \x00") for part in text.split("\\")).strip())

    def _empty(self, element: Element) -> tuple[bytes, dict]:
        if element.vr == "SQ":
            return encode_element(element.tag, "SQ", b""), {"vr": "SQ", "Value": []}
        return encode_element(element.tag, element.vr, b""), {"vr": element.vr}

    def _dummy(self, element: Element) -> tuple[bytes, dict]:
        vr = element.vr
        if vr not in _DUMMY_VRS:
            raise NotEligible(f"dummy value for VR {vr}")
        value = {"Alphabetic": DUMMY_TEXT} if vr == "PN" else DUMMY_TEXT
        return encode_element(element.tag, vr, DUMMY_TEXT.encode("ascii")), {"vr": vr, "Value": [value]}

    def _remap_uid(self, element: Element) -> tuple[bytes, dict] | None:
        values = self._ascii_values(element, "UI")
        remapped = self._remapped(values)
        if remapped == values:
            return None
        encoded = encode_element(element.tag, "UI", "\\".join(remapped).encode("ascii"))
        return encoded, {"vr": "UI", "Value": remapped}

    def _shift_dates(self, element: Element) -> tuple[bytes, dict]:
        shifted = [shift_date(value, days=self.shift_days) for value in self._ascii_values(element, "DA")]
        return self._new_strings(element.tag, "DA", shifted)

    def _shift_datetimes(self, element: Element) -> tuple[bytes, dict]:
        shifted = [shift_datetime(value, days=self.shift_days) for value in self._ascii_values(element, "DT")]
        return self._new_strings(element.tag, "DT", shifted)

    def _clean_descriptor(self, element: Element) -> tuple[bytes, dict]:
        vr = element.vr
        if vr not in MULTI_VALUED_TEXT_VRS and vr not in _SINGLE_VALUED_TEXT_VRS:
            raise NotEligible(f"descriptor of VR {vr}")
        raw = self.data[element.value_start : element.end]
        if raw.isascii() and b"\x1b" not in raw:
            # As deidentify does: the whole value stripped, each part cleaned, kept as one string.
            text = raw.decode("ascii").strip(" \x00")
            cleaned: str | list[str] = "\\".join(clean_descriptor(part) for part in text.split("\\"))
        elif vr in MULTI_VALUED_TEXT_VRS:
            # Through the character set, as pydicom converts it: one string or a list of them.
            parts = [part.rstrip("\x00 ") for part in decode_text(raw, self.encoding).split("\\")]
            cleaned = (
                clean_descriptor(parts[0]) if len(parts) == 1 else [clean_descriptor(part) for part in parts]
            )
        else:
            text = decode_text(raw, self.encoding).rstrip("\x00 ")
            cleaned = "\\".join(clean_descriptor(part) for part in text.split("\\"))
        # clean_descriptor keeps ASCII letters, digits and separators only.
        if isinstance(cleaned, str):
            value_json = {"vr": vr, "Value": [cleaned]} if cleaned else {"vr": vr}
            return encode_element(element.tag, vr, cleaned.encode("ascii")), value_json
        encoded = encode_element(element.tag, vr, "\\".join(cleaned).encode("ascii"))
        return encoded, {"vr": vr, "Value": cleaned}

    def _recurse(self, element: Element) -> tuple[bytes, dict | None]:
        if element.vr != "SQ":
            return _REMOVED  # deidentify deletes what does not read as a sequence
        encoded_items = []
        items_json = []
        for item in element.items:
            chunks, item_json = self.walk(item)
            encoded_items.append(b"".join(chunks))
            items_json.append(item_json)
        return encode_sequence(element.tag, encoded_items), {"vr": "SQ", "Value": items_json}

    def _ascii_values(self, element: Element, vr: str) -> list[str]:
        """As ``deidentify._ascii_values``; only ASCII, since deidentify decodes with replacement."""
        if element.vr != vr:
            raise NotEligible(f"{vr} action on an element of VR {element.vr}")
        raw = self.data[element.value_start : element.end]
        if not raw.isascii():
            raise NotEligible(f"non-ASCII {vr}")
        return [part.strip(" \x00") for part in raw.decode("ascii").split("\\")]

    def _remapped(self, values: list[str]) -> list[str]:
        uid = self.pseudonymizer.uid
        return [
            value if not value or value.startswith(DICOM_STANDARD_UID_ROOT) else uid(value)
            for value in values
        ]

    def _new_strings(self, tag: int, vr: str, values: list[str]) -> tuple[bytes, dict]:
        text = "\\".join(values)
        if len(values) == 1:
            return encode_element(tag, vr, text.encode("ascii")), strings_json(vr, text)
        return encode_element(tag, vr, text.encode("ascii")), {"vr": vr, "Value": values}

    def uid_text(self, element: Element | None) -> str:
        """The de-identified value of a top-level UID element, as ``deidentify._ascii_text`` reads it."""
        if element is None:
            raise NotEligible("no SOP Class or Instance UID in the data set")
        return "\\".join(self._remapped(self._ascii_values(element, "UI"))).strip()


_KEEP, _REMOVE = Action.KEEP, Action.REMOVE
_REMOVED = (b"", None)
_HANDLERS = {
    Action.EMPTY: RawWalker._empty,
    Action.DUMMY: RawWalker._dummy,
    Action.REMAP_UID: RawWalker._remap_uid,
    Action.SHIFT_DATE: RawWalker._shift_dates,
    Action.SHIFT_DATETIME: RawWalker._shift_datetimes,
    Action.CLEAN_DESCRIPTOR: RawWalker._clean_descriptor,
    Action.RECURSE: RawWalker._recurse,
}
