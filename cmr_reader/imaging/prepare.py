"""Turn one file's bytes into everything ingest stores: the work that needs no database.

``prepare_instance`` is pure (bytes in, a ``PreparedInstance`` out or ``RejectedFile``), so ingest
can run it in worker processes. Plain Explicit VR Little Endian files, nearly all of what a CMR
scanner sends, take the byte-level fast path; everything else (compressed, implicit VR, odd
character sets) takes the general pydicom path. Both apply the same rules; the fast path is tested
against the general one.
"""

import io

import pydicom
from django.utils.translation import gettext as _
from pydicom.errors import InvalidDicomError
from pydicom.uid import ExplicitVRBigEndian

from cmr_reader.imaging.deidentify import RejectedFile, check_acceptable, deidentify
from cmr_reader.imaging.fast_deidentify import NotEligible, deidentify_part10
from cmr_reader.imaging.prepared import INSTANCE_FIELDS, PreparedInstance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.storage import encode_instance, frame_length_of


def prepare_instance(raw: bytes, *, pseudonymizer: Pseudonymizer) -> PreparedInstance:
    """Check, de-identify and encode one file. Raises RejectedFile with a reason."""
    try:
        return _prepare(raw, pseudonymizer=pseudonymizer)
    except RecursionError:
        # Sequences nested thousands deep (found by tests/fault_tests/test_fuzz_inputs.py): both
        # parsers recurse per level; the file is refused instead of failing the whole import.
        raise RejectedFile(_("sequences nested too deeply to read")) from None


def _prepare(raw: bytes, *, pseudonymizer: Pseudonymizer) -> PreparedInstance:
    try:
        prepared = deidentify_part10(raw, pseudonymizer=pseudonymizer)
    except NotEligible:
        prepared = _prepare_with_pydicom(raw, pseudonymizer=pseudonymizer)
    _check_pixel_length(prepared)
    return prepared


def read_dataset(raw: bytes) -> pydicom.Dataset:
    """Parse bytes as DICOM, turning every way that can fail into a RejectedFile with a reason."""
    try:
        ds = pydicom.dcmread(io.BytesIO(raw))
    except InvalidDicomError:
        # Some archives hold Part 10 files without the 128-byte preamble: accept those only if
        # a forced parse finds a real image object in them.
        try:
            ds = pydicom.dcmread(io.BytesIO(raw), force=True)
            if "SOPClassUID" not in ds or "PixelData" not in ds:
                raise InvalidDicomError
        except Exception:
            raise RejectedFile(_("not a DICOM file")) from None
    except Exception as error:  # pydicom raises many kinds on truncated or garbled input
        raise RejectedFile(_("unreadable DICOM (%(error)s)") % {"error": short_error(error)}) from None
    return ds


def decode_pixels(ds: pydicom.Dataset) -> None:
    """Make Pixel Data native little endian; compressed syntaxes go through the pylibjpeg plugins."""
    transfer_syntax = ds.file_meta.get("TransferSyntaxUID")
    if transfer_syntax == ExplicitVRBigEndian:
        raise RejectedFile(_("retired Explicit VR Big Endian transfer syntax is not supported"))
    if transfer_syntax is not None and transfer_syntax.is_compressed:
        try:
            ds.decompress()
        except Exception as error:
            raise RejectedFile(
                _("compressed pixel data (%(syntax)s) could not be decoded: %(error)s")
                % {"syntax": transfer_syntax.name, "error": short_error(error)}
            ) from None


def _prepare_with_pydicom(raw: bytes, *, pseudonymizer: Pseudonymizer) -> PreparedInstance:
    ds = read_dataset(raw)
    try:
        check_acceptable(ds)
        decode_pixels(ds)
        _check_dataset_pixel_length(ds)
        identity = deidentify(ds, pseudonymizer=pseudonymizer)
        fields = {keyword: _plain(ds.get(keyword)) for keyword in INSTANCE_FIELDS}
        header, pixel_element, pixel_data = encode_instance(ds)
        dicom_json = ds.to_json_dict()
    except RejectedFile:
        raise
    except Exception as error:
        # pydicom parses element values lazily, so a garbled header can surface only here.
        raise RejectedFile(_("corrupt DICOM header (%(error)s)") % {"error": short_error(error)}) from None
    return PreparedInstance(
        header=header,
        pixel_element=pixel_element,
        pixel_data=pixel_data,
        dicom_json=dicom_json,
        identity=identity,
        fields=fields,
    )


def _check_dataset_pixel_length(ds: pydicom.Dataset) -> None:
    expected = frame_length_of(ds) * int(getattr(ds, "NumberOfFrames", 1) or 1)
    _raise_if_short(actual=len(ds.PixelData), expected=expected)


def _check_pixel_length(prepared: PreparedInstance) -> None:
    _raise_if_short(
        actual=len(prepared.pixel_data), expected=prepared.frame_length * prepared.number_of_frames
    )


def _raise_if_short(*, actual: int, expected: int) -> None:
    if actual < expected:
        raise RejectedFile(
            _("pixel data is truncated: %(actual)d bytes where %(expected)d are needed")
            % {"actual": actual, "expected": expected}
        )


def _plain(value):
    """pydicom's value types (UID, PersonName, DSfloat, IS, MultiValue) as plain Python."""
    if value is None or value == "":
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        return [_plain(v) for v in value]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def short_error(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
