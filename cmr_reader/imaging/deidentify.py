"""De-identification of MR images at the ingest boundary (DICOM PS3.15 Annex E).

We apply the Basic Application Level Confidentiality Profile with the options Retain Patient
Characteristics, Retain Longitudinal Temporal Information with Modified Dates, and Clean
Descriptors. The attribute actions are data, in ``deid_actions``; this module walks a dataset
once, dispatching on each tag, and replaces identifiers with keyed pseudonyms (``pseudonyms``).
Free text the table does not list is removed at any depth unless ``free_text`` allows it.

Elements that are kept are never converted from pydicom's raw form, and Pixel Data is never
read, so de-identifying costs little next to reading and writing the file.
"""

import datetime
from dataclasses import dataclass

import pydicom
from django.utils.translation import gettext
from pydicom import config
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.uid import UID

from cmr_reader.imaging.deid_actions import (
    VRS_CHECKED_WHEN_KEPT,
    Action,
    action_for_kept_element,
    action_for_tag,
)
from cmr_reader.imaging.descriptors import clean_descriptor
from cmr_reader.imaging.free_text import CODE_ATTRIBUTES, is_local_coding_scheme
from cmr_reader.imaging.pseudonyms import Pseudonymizer

MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4.1"
LEGACY_CONVERTED_ENHANCED_MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4.4"
# One image per file, or a whole series in one multi-frame object with functional groups
# (decisions/0027); de-identification walks the groups like any other sequence.
IMPORTED_SOP_CLASSES = frozenset(
    {MR_IMAGE_STORAGE, ENHANCED_MR_IMAGE_STORAGE, LEGACY_CONVERTED_ENHANCED_MR_IMAGE_STORAGE}
)
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
DICOM_STANDARD_UID_ROOT = "1.2.840.10008."


def _tag(keyword: str) -> BaseTag:
    return BaseTag(tag_for_keyword(keyword))


# Tags we read or write by name; looked up once, since keyword access costs a dictionary search.
ACCESSION_NUMBER = _tag("AccessionNumber")
BURNED_IN_ANNOTATION = _tag("BurnedInAnnotation")
CODE_MEANING = _tag("CodeMeaning")
CODE_VALUE = _tag("CodeValue")
CODING_SCHEME_DESIGNATOR = _tag("CodingSchemeDesignator")
DEIDENTIFICATION_METHOD_CODE_SEQUENCE = _tag("DeidentificationMethodCodeSequence")
DEIDENTIFICATION_METHOD_TAG = _tag("DeidentificationMethod")
IMAGE_TYPE = _tag("ImageType")
IMPLEMENTATION_CLASS_UID_TAG = _tag("ImplementationClassUID")
IMPLEMENTATION_VERSION_NAME_TAG = _tag("ImplementationVersionName")
LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED = _tag("LongitudinalTemporalInformationModified")
MEDIA_STORAGE_SOP_CLASS_UID = _tag("MediaStorageSOPClassUID")
MEDIA_STORAGE_SOP_INSTANCE_UID = _tag("MediaStorageSOPInstanceUID")
MODALITY = _tag("Modality")
PATIENT_ID = _tag("PatientID")
PATIENT_IDENTITY_REMOVED = _tag("PatientIdentityRemoved")
PATIENT_NAME = _tag("PatientName")
PIXEL_DATA = _tag("PixelData")
SERIES_INSTANCE_UID = _tag("SeriesInstanceUID")
SOP_CLASS_UID = _tag("SOPClassUID")
SOP_INSTANCE_UID = _tag("SOPInstanceUID")
STUDY_ID = _tag("StudyID")
STUDY_INSTANCE_UID = _tag("StudyInstanceUID")
_CODE_ATTRIBUTE_TAGS = tuple(BaseTag(tag) for tag in CODE_ATTRIBUTES)

# Our own implementation identity, written into the file meta instead of the scanner's.
IMPLEMENTATION_CLASS_UID = "2.25.33240152270069826645167682186882449565"
IMPLEMENTATION_VERSION_NAME = "CMR_READER_1"

# LO, at most 64 characters; the codes below say the same in machine-readable form.
DEIDENTIFICATION_METHOD = "PS3.15 E Basic Profile; RtnPatChars; ModifDates; CleanDesc"

# CID 7050 De-identification Method, in the order the options are listed in PS3.15 E.3.
METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113105", "Clean Descriptors Option"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    ("113108", "Retain Patient Characteristics Option"),
)

# Placeholder Patient IDs left by earlier, partial anonymisation. Taken at face value they would
# merge every such patient into one pseudonym and one date shift, so each study stands alone.
PLACEHOLDER_PATIENT_IDS = frozenset(
    {"", "0", "-", "ANON", "ANONYMOUS", "ANONYMIZED", "ANONYMISED", "UNKNOWN", "NONE", "NULL"}
)

# File meta elements that carry no identity; the rest (source/sending AE titles, private
# information) are dropped, and the instance UID and implementation are rewritten.
_KEPT_FILE_META = frozenset({0x00020001, 0x00020002, 0x00020010})
_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
DUMMY_TEXT = "ANONYMIZED"


class RejectedFile(Exception):
    """A file we will not import; ``reason`` is translated, ``code`` is stable for counting."""

    def __init__(self, reason: str, *, code: str = "rejected"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class DeidentifiedIdentity:
    case_id: str
    patient_pseudonym: str
    date_shift_days: int
    accession_hash: str  # "" when the file had no Accession Number
    original_study_uid_hash: str


def identity_from_originals(
    *, study_uid: str, patient_id: str, accession: str, pseudonymizer: Pseudonymizer
) -> DeidentifiedIdentity:
    """The pseudonymous identity of a file, from its original identifiers (before replacement).

    A placeholder Patient ID ("ANON", "UNKNOWN", ...) would give every such patient one pseudonym
    and one date shift, so the study stands in for the patient then.
    """
    patient_id = patient_id.strip()
    if patient_id.upper() in PLACEHOLDER_PATIENT_IDS:
        patient_id = study_uid
    accession = accession.strip()
    return DeidentifiedIdentity(
        case_id=pseudonymizer.case_id(study_uid),
        patient_pseudonym=pseudonymizer.patient_pseudonym(patient_id),
        date_shift_days=pseudonymizer.date_shift_days(patient_id),
        accession_hash=pseudonymizer.hash_identifier(accession) if accession else "",
        original_study_uid_hash=pseudonymizer.hash_identifier(study_uid),
    )


def check_acceptable(ds: pydicom.Dataset) -> None:
    """Raise ``RejectedFile`` unless ``ds`` is an MR image we can show and clean.

    MR Image Storage (one frame per file) and Enhanced MR / Legacy Converted Enhanced MR Image
    Storage (a series' frames in one object, described in functional groups) are imported.

    Secondary captures and secondary or burned-in images are refused because pixel data may
    show identifying text that no attribute action can remove (PS3.15 E.1.1 and the Clean Pixel
    Data option, which we do not claim).
    """
    sop_class = _ascii_text(ds, SOP_CLASS_UID)
    file_meta = getattr(ds, "file_meta", None)
    if not sop_class and file_meta is not None:
        sop_class = _ascii_text(file_meta, MEDIA_STORAGE_SOP_CLASS_UID)
    if sop_class == SECONDARY_CAPTURE_PREFIX or sop_class.startswith(SECONDARY_CAPTURE_PREFIX + "."):
        raise RejectedFile(
            gettext(
                "This is a secondary capture (a screenshot); it is not imported because "
                "it may show identifying text burned into the pixels."
            ),
            code="secondary_capture",
        )
    modality = _ascii_text(ds, MODALITY)
    if modality != "MR":
        raise RejectedFile(
            gettext("Not an MR image (modality %(modality)s); only MR series are imported.")
            % {"modality": modality or "?"},
            code="not_mr",
        )
    if sop_class not in IMPORTED_SOP_CLASSES:
        raise RejectedFile(
            gettext(
                "Unsupported DICOM object (SOP class %(sop_class)s); only MR Image Storage "
                "and Enhanced MR Image Storage are imported."
            )
            % {"sop_class": sop_class or "?"},
            code="unsupported_sop_class",
        )
    if PIXEL_DATA not in ds:
        raise RejectedFile(gettext("The file has no pixel data."), code="no_pixel_data")
    if not ds.get("Rows") or not ds.get("Columns"):
        raise RejectedFile(
            gettext("The file does not give the image size (Rows, Columns)."),
            code="missing_dimensions",
        )
    for keyword, tag in (
        ("StudyInstanceUID", STUDY_INSTANCE_UID),
        ("SeriesInstanceUID", SERIES_INSTANCE_UID),
        ("SOPInstanceUID", SOP_INSTANCE_UID),
    ):
        if not _ascii_text(ds, tag):
            raise RejectedFile(
                gettext("The file has no %(attribute)s.") % {"attribute": keyword},
                code="missing_uid",
            )
    if _ascii_text(ds, BURNED_IN_ANNOTATION).upper() == "YES":
        raise RejectedFile(
            gettext("The image declares burned-in annotation, which may identify the patient."),
            code="burned_in_annotation",
        )
    image_type = [value.strip().upper() for value in _ascii_text(ds, IMAGE_TYPE).split("\\")]
    if "SECONDARY" in image_type:
        raise RejectedFile(
            gettext(
                "The image is a secondary image (Image Type %(image_type)s), which may carry burned-in text."
            )
            % {"image_type": "\\".join(image_type)},
            code="secondary_image",
        )


def deidentify(ds: pydicom.Dataset, *, pseudonymizer: Pseudonymizer) -> DeidentifiedIdentity:
    """De-identify ``ds`` and its ``file_meta`` in place; return the pseudonymous identity.

    PS3.15 Annex E, Basic Application Level Confidentiality Profile with the Retain Patient
    Characteristics, Retain Longitudinal Temporal Information with Modified Dates, and Clean
    Descriptors options (actions in ``deid_actions``). Every non-standard UID, at any depth, is
    replaced by ``pseudonymizer.uid``, so references between instances still resolve.
    """
    original_study_uid = _ascii_text(ds, STUDY_INSTANCE_UID)
    if not original_study_uid:
        raise RejectedFile(
            gettext("The file has no %(attribute)s.") % {"attribute": "StudyInstanceUID"},
            code="missing_uid",
        )
    identity = identity_from_originals(
        study_uid=original_study_uid,
        patient_id=str(ds.get("PatientID", "") or ""),
        accession=str(ds.get("AccessionNumber", "") or ""),
        pseudonymizer=pseudonymizer,
    )

    _fill_in_patient_age(ds)
    _walk(ds, _Context(pseudonymizer=pseudonymizer, shift_days=identity.date_shift_days))

    _replace(ds, PATIENT_NAME, "PN", identity.patient_pseudonym)
    _replace(ds, PATIENT_ID, "LO", identity.patient_pseudonym)
    _replace(ds, STUDY_ID, "SH", identity.case_id)
    _replace(ds, ACCESSION_NUMBER, "SH", "")
    _replace(ds, PATIENT_IDENTITY_REMOVED, "CS", "YES")
    _replace(ds, DEIDENTIFICATION_METHOD_TAG, "LO", DEIDENTIFICATION_METHOD)
    ds[DEIDENTIFICATION_METHOD_CODE_SEQUENCE] = _element(
        DEIDENTIFICATION_METHOD_CODE_SEQUENCE, "SQ", _method_code_sequence()
    )
    _replace(ds, LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, "CS", "MODIFIED")
    _rewrite_file_meta(ds)
    return identity


@dataclass(frozen=True)
class _Context:
    pseudonymizer: Pseudonymizer
    shift_days: int


def _walk(ds: Dataset, context: _Context) -> None:
    """Apply each element's action; one pass, recursing into kept sequences."""
    in_local_code = _holds_local_code(ds)
    for tag, elem in list(ds.items()):
        # int(): BaseTag compares in Python, which made the dict lookup the hot spot.
        action = action_for_tag(int(tag))
        if action is Action.KEEP:
            if in_local_code or elem.VR in VRS_CHECKED_WHEN_KEPT:
                action = action_for_kept_element(int(tag), elem.VR, in_local_code=in_local_code)
            if action is Action.KEEP:
                continue
        _HANDLERS[action](ds, tag, elem, context)


def _holds_local_code(ds: Dataset) -> bool:
    """Whether ``ds`` (an item, usually) holds a code whose Coding Scheme Designator is local.

    An item with code attributes and no designator counts as local: nothing vouches for it.
    """
    if not any(tag in ds._dict for tag in _CODE_ATTRIBUTE_TAGS):
        return False
    return is_local_coding_scheme(_ascii_text(ds, CODING_SCHEME_DESIGNATOR))


def _remove(ds: Dataset, tag: int, elem, context: _Context) -> None:
    del ds[tag]


def _empty(ds: Dataset, tag: int, elem, context: _Context) -> None:
    vr = _vr_of(tag, elem)
    if vr == "SQ":
        ds[tag] = _element(tag, vr, Sequence())
    else:
        _replace(ds, tag, vr, b"" if vr in _BINARY_VRS else "")


def _dummy(ds: Dataset, tag: int, elem, context: _Context) -> None:
    _replace(ds, tag, _vr_of(tag, elem), DUMMY_TEXT)


def _remap_uid(ds: Dataset, tag: int, elem, context: _Context) -> None:
    values = _ascii_values(ds, tag, elem)
    remapped = [
        value if not value or value.startswith(DICOM_STANDARD_UID_ROOT) else context.pseudonymizer.uid(value)
        for value in values
    ]
    if remapped != values:
        _replace(ds, tag, "UI", remapped if len(remapped) > 1 else remapped[0])


def _shift_dates(ds: Dataset, tag: int, elem, context: _Context) -> None:
    shifted = [shift_date(value, days=context.shift_days) for value in _ascii_values(ds, tag, elem)]
    _replace(ds, tag, "DA", shifted if len(shifted) > 1 else shifted[0])


def _shift_datetimes(ds: Dataset, tag: int, elem, context: _Context) -> None:
    values = _ascii_values(ds, tag, elem)
    shifted = [shift_datetime(value, days=context.shift_days) for value in values]
    _replace(ds, tag, "DT", shifted if len(shifted) > 1 else shifted[0])


def _clean_descriptor(ds: Dataset, tag: BaseTag, elem, context: _Context) -> None:
    raw = elem.value if isinstance(elem, RawDataElement) else None
    if isinstance(raw, bytes) and raw.isascii() and b"\x1b" not in raw:
        # Pure ASCII reads the same in every character set (ISO 2022 switches need ESC, GB18030
        # lead bytes are >= 0x80), and pydicom's charset-aware conversion costs 10x as much.
        value = raw.decode("ascii").strip(" \x00")
        vr = _vr_of(tag, elem)
    else:
        converted = ds[tag]
        value, vr = converted.value, converted.VR
    if value is None:
        return
    if isinstance(value, str):
        cleaned = "\\".join(clean_descriptor(part) for part in value.split("\\"))
    else:
        cleaned = [clean_descriptor(str(item)) for item in value]
    _replace(ds, tag, vr, cleaned)


def _recurse(ds: Dataset, tag: int, elem, context: _Context) -> None:
    sequence = ds[tag].value
    if not isinstance(sequence, Sequence):
        # Not parseable as a sequence (e.g. UN of unknown content): nothing we could vouch for.
        del ds[tag]
        return
    for item in sequence:
        _walk(item, context)


_HANDLERS = {
    Action.REMOVE: _remove,
    Action.EMPTY: _empty,
    Action.DUMMY: _dummy,
    Action.REMAP_UID: _remap_uid,
    Action.SHIFT_DATE: _shift_dates,
    Action.SHIFT_DATETIME: _shift_datetimes,
    Action.CLEAN_DESCRIPTOR: _clean_descriptor,
    Action.RECURSE: _recurse,
}


def _element(tag: int, vr: str, value) -> DataElement:
    """A new element for a value we made; ours are valid, so pydicom needn't re-validate."""
    if isinstance(value, str) and vr != "PN":
        # Already what pydicom converts such values to (PN needs PersonName, so it converts).
        if vr == "UI":
            value = UID(value)
        return DataElement(tag, vr, value, already_converted=True, validation_mode=config.IGNORE)
    return DataElement(tag, vr, value, validation_mode=config.IGNORE)


def _replace(ds: Dataset, tag: BaseTag, vr: str, value) -> None:
    """Put a new value for a public, non-sequence ``tag`` into ``ds``.

    Straight into the element dict: ``Dataset.__setitem__`` re-checks the tag, private blocks
    and pixel caches, none of which apply here, and cost a third of the walk.
    """
    ds._dict[tag] = _element(tag, vr, value)


def _vr_of(tag: int, elem) -> str:
    vr = elem.VR or dictionary_VR(tag)
    # Ambiguous dictionary VRs ("US or SS", "OB or OW") only matter for binary values here.
    return vr.split(" or ")[0]


def _ascii_text(ds: Dataset, tag: BaseTag) -> str:
    """The stripped value of an ASCII element (CS, UI, ...), from raw bytes when not converted."""
    elem = ds.get_item(tag)
    if elem is None:
        return ""
    return "\\".join(_ascii_values(ds, tag, elem)).strip()


def _ascii_values(ds: Dataset, tag: int, elem) -> list[str]:
    """The values of a UI, DA or DT element, read from raw bytes when possible (no conversion)."""
    if isinstance(elem, RawDataElement) and elem.value is not None:
        text = elem.value.decode("ascii", "replace")
    else:
        value = ds[tag].value  # converted already, or deferred and read now
        if value is None:
            return [""]
        text = value if isinstance(value, str) else "\\".join(str(item) for item in value)
    return [part.strip(" \x00") for part in text.split("\\")]


def parse_date(text: str) -> datetime.date | None:
    digits = text.replace(".", "")  # ACR-NEMA wrote dates as YYYY.MM.DD
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def shift_date(text: str, *, days: int) -> str:
    """``text`` (DA) moved by ``days``; empty if it is not a date (it can't be kept unshifted)."""
    date = parse_date(text)
    if date is None:
        return ""
    try:
        shifted = date + datetime.timedelta(days=days)
    except OverflowError:
        return ""
    return f"{shifted.year:04d}{shifted.month:02d}{shifted.day:02d}"


def shift_datetime(text: str, *, days: int) -> str:
    """``text`` (DT) with its date part moved by ``days``; time and UTC offset are kept.

    A DT may stop at the year or month (PS3.5 6.2); such a value is shifted as the first day
    of that year or month and written back at the same precision.
    """
    digits = len(text) - len(text.lstrip("0123456789"))
    precision = 8 if digits >= 8 else digits
    if precision not in (4, 6, 8):
        return ""
    padded = (text[:precision] + "0101")[:8] if precision < 8 else text[:8]
    shifted = shift_date(padded, days=days)
    if not shifted:
        return ""
    return shifted[:precision] + text[precision:]


def age_string(*, birth: datetime.date, on: datetime.date) -> str | None:
    """Patient's Age (AS, e.g. ``"033Y"``) at ``on`` for someone born on ``birth``."""
    days = (on - birth).days
    if days < 0:
        return None
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if years >= 1:
        return f"{min(years, 999):03d}Y"
    months = (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    if months >= 1:
        return f"{months:03d}M"
    return f"{days // 7:03d}W" if days >= 7 else f"{days:03d}D"


def _fill_in_patient_age(ds: Dataset) -> None:
    """Derive Patient's Age from the birth date before the birth date is removed."""
    if str(ds.get("PatientAge", "") or "").strip():
        return
    birth = parse_date(str(ds.get("PatientBirthDate", "") or "").strip())
    if birth is None:
        return
    for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
        on = parse_date(str(ds.get(keyword, "") or "").strip())
        if on is not None:
            age = age_string(birth=birth, on=on)
            if age is not None:
                ds.PatientAge = age
            return


def _method_code_sequence() -> Sequence:
    return Sequence(
        Dataset(
            {
                CODE_VALUE: _element(CODE_VALUE, "SH", value),
                CODING_SCHEME_DESIGNATOR: _element(CODING_SCHEME_DESIGNATOR, "SH", "DCM"),
                CODE_MEANING: _element(CODE_MEANING, "LO", meaning),
            }
        )
        for value, meaning in METHOD_CODES
    )


def _rewrite_file_meta(ds: Dataset) -> None:
    """Keep only identity-free file meta; point it at the new SOP Instance UID.

    Group Length (0002,0000) is dropped rather than left stale: write with
    ``enforce_file_format=True`` and pydicom recomputes it.
    """
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        meta = FileMetaDataset()
        ds.file_meta = meta
    for tag in list(meta.keys()):
        if tag not in _KEPT_FILE_META:
            del meta[tag]
    _replace(meta, MEDIA_STORAGE_SOP_CLASS_UID, "UI", _ascii_text(ds, SOP_CLASS_UID))
    _replace(meta, MEDIA_STORAGE_SOP_INSTANCE_UID, "UI", _ascii_text(ds, SOP_INSTANCE_UID))
    _replace(meta, IMPLEMENTATION_CLASS_UID_TAG, "UI", IMPLEMENTATION_CLASS_UID)
    _replace(meta, IMPLEMENTATION_VERSION_NAME_TAG, "SH", IMPLEMENTATION_VERSION_NAME)
