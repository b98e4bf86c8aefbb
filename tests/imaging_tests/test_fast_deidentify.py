"""The raw-bytes fast path must store exactly what the pydicom path stores.

The pydicom path (dcmread, check_acceptable, deidentify, storage.encode_instance, to_json_dict,
as ingest runs them) is the oracle: for every input both paths run, and the stored file, its
file meta, its DICOM JSON, the identity and the pixel bytes must agree.
"""

import io
import struct
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import SecondaryCaptureImageStorage

from cmr_reader.imaging.deidentify import RejectedFile, check_acceptable, deidentify
from cmr_reader.imaging.fast_deidentify import NotEligible, deidentify_part10
from cmr_reader.imaging.prepared import INSTANCE_FIELDS
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.storage import encode_instance
from tests.imaging_tests.test_deidentify import PLANTED, planted_dataset, to_bytes
from tests.support.dicom_factory import make_mr


def pydicom_path(raw: bytes, pseudonymizer: Pseudonymizer):
    """What ingest does today: the stored bytes, the stored JSON and the identity."""
    ds = pydicom.dcmread(io.BytesIO(raw))
    check_acceptable(ds)
    str(ds.SOPInstanceUID)  # ingest reads it (to look for duplicates) before de-identifying
    identity = deidentify(ds, pseudonymizer=pseudonymizer)
    header, pixel_element, pixel_data = encode_instance(ds)
    return header + pixel_element + pixel_data, ds.to_json_dict(), identity


def meta_values(ds: pydicom.Dataset) -> dict:
    return {int(element.tag): (element.VR, element.value) for element in ds.file_meta}


def assert_same_as_pydicom_path(raw: bytes, pseudonymizer: Pseudonymizer):
    expected_file, expected_json, expected_identity = pydicom_path(raw, pseudonymizer)

    result = deidentify_part10(raw, pseudonymizer=pseudonymizer)

    stored = result.header + result.pixel_element + bytes(result.pixel_data)
    expected, actual = pydicom.dcmread(io.BytesIO(expected_file)), pydicom.dcmread(io.BytesIO(stored))
    assert actual.to_json_dict() == expected.to_json_dict()
    assert meta_values(actual) == meta_values(expected)
    assert result.dicom_json == expected_json
    assert result.identity == expected_identity
    assert actual.PixelData == expected.PixelData
    # Pixel Data is last, right after its 12-byte element header, as storage promises.
    assert result.pixel_element == expected_file[len(expected_file) - len(expected.PixelData) - 12 :][:12]
    assert stored[len(result.header) + 12 :] == expected.PixelData
    for keyword in INSTANCE_FIELDS:
        value = expected.get(keyword)
        expected_field = None if value in (None, "") else value
        if isinstance(expected_field, pydicom.multival.MultiValue):
            expected_field = list(expected_field)
        assert result.fields[keyword] == expected_field, keyword
    return result


def as_file(ds: Dataset) -> bytes:
    return to_bytes(ds)


_MARKER = b"SPLICE_MARKER_01"
_LONG_LENGTH_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


def with_raw_element(ds: Dataset, tag: int, vr: str, value: bytes) -> bytes:
    """``ds`` as a file holding exactly these bytes for ``tag`` (pydicom would re-encode them)."""
    ds.add_new(tag, "LO", _MARKER.decode())
    raw = as_file(ds)
    group, element = tag >> 16, tag & 0xFFFF
    placeholder = struct.pack("<HH2sH", group, element, b"LO", len(_MARKER)) + _MARKER
    assert raw.count(placeholder) == 1
    if vr in _LONG_LENGTH_VRS:
        header = struct.pack("<HH2sHI", group, element, vr.encode(), 0, len(value))
    else:
        header = struct.pack("<HH2sH", group, element, vr.encode(), len(value))
    return raw.replace(placeholder, header + value)


# --- Equivalence on real, synthetic and hand-built inputs --------------------------------------


def test_the_real_siemens_cine_is_stored_as_the_pydicom_path_stores_it(real_cine_dir, pseudonymizer):
    paths = sorted(real_cine_dir.glob("*.dcm"))
    assert len(paths) == 25

    for path in paths:
        assert_same_as_pydicom_path(path.read_bytes(), pseudonymizer)


def test_a_memoryview_is_read_like_bytes(real_cine_dir, pseudonymizer):
    raw = sorted(real_cine_dir.glob("*.dcm"))[0].read_bytes()

    from_view = deidentify_part10(memoryview(raw), pseudonymizer=pseudonymizer)
    from_bytes = deidentify_part10(raw, pseudonymizer=pseudonymizer)

    assert (from_view.header, from_view.dicom_json) == (from_bytes.header, from_bytes.dicom_json)


def test_the_planted_dataset_is_stored_as_the_pydicom_path_stores_it(pseudonymizer):
    result = assert_same_as_pydicom_path(as_file(planted_dataset()), pseudonymizer)

    assert result.fields["SeriesDescription"] == "cine_tf2d12_retro_SAX"
    assert result.fields["PatientAge"] == "044Y"  # derived from the birth date


def test_no_planted_identifier_survives_in_the_fast_output(pseudonymizer):
    raw = as_file(planted_dataset())
    assert all(value.encode() in raw for value in PLANTED)  # the search can see them

    result = deidentify_part10(raw, pseudonymizer=pseudonymizer)

    stored = result.header + result.pixel_element + bytes(result.pixel_data)
    assert [value for value in PLANTED if value.encode() in stored] == []
    stored_json = repr(result.dicom_json)
    assert [value for value in PLANTED if value in stored_json] == []


def test_explicit_length_sequences_are_read_as_well_as_undefined_ones(pseudonymizer):
    # pydicom writes undefined lengths; our own output has defined lengths throughout.
    rewritten = deidentify_part10(as_file(planted_dataset()), pseudonymizer=pseudonymizer)
    raw = rewritten.header + rewritten.pixel_element + bytes(rewritten.pixel_data)
    assert b"\xfe\xff\xdd\xe0" not in rewritten.header  # no sequence delimiter left

    assert_same_as_pydicom_path(raw, Pseudonymizer("another-key"))


def test_a_recorded_patient_age_is_kept_as_the_pydicom_path_keeps_it(pseudonymizer):
    ds = planted_dataset()
    ds.PatientAge = "033Y"

    assert assert_same_as_pydicom_path(as_file(ds), pseudonymizer).fields["PatientAge"] == "033Y"


def test_an_age_is_not_derived_without_a_usable_date(pseudonymizer):
    ds = planted_dataset()
    for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
        if keyword in ds:
            delattr(ds, keyword)

    assert assert_same_as_pydicom_path(as_file(ds), pseudonymizer).fields["PatientAge"] is None


@pytest.mark.parametrize("placeholder", ["", "ANON", "anonymous"])
def test_a_placeholder_patient_id_gives_the_identity_of_the_pydicom_path(pseudonymizer, placeholder):
    result = assert_same_as_pydicom_path(as_file(planted_dataset(patient_id=placeholder)), pseudonymizer)

    assert result.identity.patient_pseudonym == pseudonymizer.patient_pseudonym(
        planted_dataset().StudyInstanceUID
    )


def test_a_missing_accession_number_gives_the_identity_of_the_pydicom_path(pseudonymizer):
    ds = planted_dataset()
    del ds.AccessionNumber

    assert assert_same_as_pydicom_path(as_file(ds), pseudonymizer).identity.accession_hash == ""


def test_a_non_ascii_descriptor_is_cleaned_through_its_character_set(pseudonymizer):
    ds = planted_dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SeriesDescription = "Zhāngwěi 张伟 cine SAX"
    ds.StudyDescription = ["CMR 张伟", "cine Müller"]  # multi-valued: cleaned value by value
    ds.ImageComments = "张伟"
    ds.RescaleType = "西门子"  # kept (allow-listed), read as UTF-8

    result = assert_same_as_pydicom_path(as_file(ds), pseudonymizer)

    assert result.fields["SeriesDescription"] == "cine SAX"
    assert "张伟".encode() not in result.header


def test_kept_latin_1_text_is_read_in_its_character_set(pseudonymizer):
    ds = planted_dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.RescaleType = "µT"  # kept LO (allow-listed)
    ds.AnatomicRegionSequence[0].CodeMeaning = "Herz (Größe) "  # kept LO: a standard code's meaning
    ds.ReferencedSeriesSequence[0].OperatorsName = "Müller^Jürgen"  # a nested PN, emptied
    raw = as_file(ds)
    assert "Müller".encode("latin-1") in raw

    result = assert_same_as_pydicom_path(raw, pseudonymizer)

    assert result.dicom_json["00281054"]["Value"] == ["µT"]
    assert result.dicom_json["00082218"]["Value"][0]["00080104"]["Value"] == ["Herz (Größe)"]
    assert "Jürgen".encode("latin-1") not in result.header


def test_a_descriptor_with_several_ascii_values_matches_the_pydicom_path(pseudonymizer):
    # deidentify keeps an ASCII descriptor as one string, backslashes included, in its JSON.
    ds = planted_dataset()
    ds.ProtocolName = "cine SAX\\Zhangwei retro"

    result = assert_same_as_pydicom_path(as_file(ds), pseudonymizer)

    assert result.dicom_json["00181030"]["Value"] == ["cine SAX\\retro"]


def test_multi_valued_dates_and_uids_are_shifted_and_remapped_value_by_value(pseudonymizer):
    ds = planted_dataset()
    ds.DateOfLastCalibration = ["20240101", "", "notadate"]
    ds.add_new(0x0040A124, "UI", ["1.2.3.4", "1.2.840.10008.1.2", ""])  # UID, a standard one, empty
    ds.add_new(0x00080015, "DT", "2024")  # InstanceCoercionDateTime, year only

    result = assert_same_as_pydicom_path(as_file(ds), pseudonymizer)

    assert result.dicom_json["0040A124"]["Value"][1:] == ["1.2.840.10008.1.2", ""]
    assert len(result.dicom_json["00181200"]["Value"]) == 3


def test_dummy_and_emptied_values_match_the_pydicom_path(pseudonymizer):
    ds = planted_dataset()
    ds.ClinicalTrialSponsorName = "Planted Sponsor"  # D -> dummy
    ds.VerifyingObserverName = "Observer^Planted"  # D on a PN
    ds.InstitutionCodeSequence = Sequence([Dataset()])  # X/Z/D on a sequence -> empty sequence
    ds.InstitutionCodeSequence[0].CodeValue = "HOSP"

    result = assert_same_as_pydicom_path(as_file(ds), pseudonymizer)

    assert result.dicom_json["00120010"] == {"vr": "LO", "Value": ["ANONYMIZED"]}
    assert result.dicom_json["00080082"] == {"vr": "SQ", "Value": []}


# One item of a sequence stored under a tag the dictionary gives another VR: nothing would walk
# its items, so both paths remove it (free text could hide in it, as this CodeValue does).
_KEPT_ITEM_BODY = (
    struct.pack("<HH2sH", 0x0008, 0x0100, b"SH", 6)
    + b"CODE01"
    + struct.pack("<HH2sH", 0x0018, 0x0050, b"DS", 4)
    + b"1.5 "
)
_KEPT_ITEM = struct.pack("<HHI", 0xFFFE, 0xE000, len(_KEPT_ITEM_BODY)) + _KEPT_ITEM_BODY

AWKWARD_VALUES = [
    (0x00181060, "DS", b"  "),  # Trigger Time: blank, so empty
    (0x00181060, "DS", b" 1.5 \\2 "),
    (0x00181060, "DS", b"1e3 "),
    (0x00281052, "DS", b"-1024"),
    (0x00200013, "IS", b"1.0 "),  # Instance Number: an integral float string
    (0x00200013, "IS", b" +5"),
    (0x00200012, "IS", b"1.5 "),  # pydicom keeps an ISfloat; DICOM JSON truncates it
    (0x00080060, "CS", b"MR\x00\x00"),
    (0x00080008, "CS", b"ORIGINAL \\PRIMARY\\M "),  # inner padding is kept by pydicom
    (0x00189004, "CS", b""),
    (0x00189004, "CS", b" RESEARCH "),  # pydicom keeps leading spaces of CS
    (0x00101010, "AS", b"045Y"),
    (0x00181030, "LO", b""),  # an empty descriptor
    (0x00180010, "LO", b"Gadovist \\ 7 ml"),  # Contrast/Bolus Agent: a descriptor, cleaned
    # Free text kept by the allow-list (Rescale Type, in every text VR a writer might give it).
    (0x00281054, "LO", b" SIEMENS \\ GE\x00"),
    (0x00281054, "SH", b"*tfi2d1_12"),
    (0x00281054, "UC", b"code one\\code two "),
    (0x00281054, "LT", b" text \\ with backslash \x00"),  # LT is never split; leading spaces stay
    (0x00281054, "ST", b" a scheme "),
    (0x00281054, "UT", b"kept UT "),
    (0x00281054, "UR", b"http://example.org/a b "),
    (0x00281054, "AE", b" AE1 \\ x"),
    (0x00102160, "SH", b"kept by Annex E "),  # Ethnic Group: K under Retain Patient Characteristics
    # Free text Annex E does not list: removed.
    (0x00080070, "LO", b" SIEMENS \\ GE\x00"),
    (0x00281055, "LO", b"Algo1\\Algo2 "),
    (0x00180024, "SH", b"*tfi2d1_12"),
    (0x00080119, "UC", b"code one\\code two "),  # a code value with no coding scheme: local
    (0x00080108, "LT", b" text \\ with backslash \x00"),
    (0x00080115, "ST", b" a scheme "),
    (0x0008030E, "UT", b"removed UT "),
    (0x0008010E, "UR", b"http://example.org/a b "),
    (0x00080008, "LO", b"ORIGINAL\\PRIMARY"),  # a CS attribute written as LO
    (0x00204000, "LT", b"removed anyway"),
    (0x00080054, "AE", b" AE1 \\ x"),  # removed (X)
    (0x00080090, "PN", b"Doe^John=\xe5\xb1\xb1\xe7\x94\xb0 "),  # emptied by Annex E
    (0x00321032, "PN", b"Doctor^Planted=Ideo^Graphic=Pho^Netic"),  # removed
    (0x00189073, "FD", b"\x00\x00\x00\x00\x00\x00\xf0\x3f"),
    (0x00189089, "FD", b"\x00\x00\x00\x00\x00\x00\xf0\x3f" * 3),
    (0x00189087, "FD", b""),
    (0x00089459, "FL", b"\x00\x00\x80\x3f"),
    (0x00189219, "SS", b"\xff\xff\x02\x00"),
    (0x00186020, "SL", b"\xff\xff\xff\xff"),
    (0x00041200, "UL", b"\x07\x00\x00\x00"),
    (0x0008040C, "UV", b"\x07\x00\x00\x00\x00\x00\x00\x80"),
    (0x00720082, "SV", b"\xf9\xff\xff\xff\xff\xff\xff\xff"),
    (0x00280106, "US", b""),
    (0x00209165, "AT", b"\x20\x00\x32\x00\x18\x00\x60\x10"),
    (0x00280009, "AT", b"\x18\x00\x63\x10"),
    (0x0008041B, "OB", b"\x01\x02"),
    (0x00181638, "OF", b"\x00\x00\x80\x3f"),
    (0x00281201, "OW", b"\x01\x00\x02\x00"),
    (0x00660040, "OL", b""),
    (0x00281054, "PN", b"Skyra=Ideo^X=Ph "),  # a kept LO stored as PN is read as a PN
    (0x00281054, "PN", b"A\\B=C\x00"),
    (0x00082218, "SQ", b""),  # an empty walked sequence
    (0x00189219, "SQ", _KEPT_ITEM),  # a sequence where the dictionary has SS: kept as it is
    (0x00189219, "SQ", b""),
    (0x00189314, "SS", b"\x01\x00"),  # CT Reconstruction Sequence stored as SS: deleted as deidentify does
]


@pytest.mark.parametrize(
    "tag, vr, value", AWKWARD_VALUES, ids=[f"{tag:08X}-{vr}" for tag, vr, _ in AWKWARD_VALUES]
)
def test_values_pydicom_reads_with_care_are_read_the_same_way(pseudonymizer, tag, vr, value):
    raw = with_raw_element(make_mr(rows=4, columns=4), tag, vr, value)

    result = assert_same_as_pydicom_path(raw, pseudonymizer)

    assert result.fields["Rows"] == 4


def test_make_mr_is_stored_as_the_pydicom_path_stores_it(pseudonymizer):
    result = assert_same_as_pydicom_path(as_file(make_mr(instance_number=7)), pseudonymizer)

    assert (result.fields["InstanceNumber"], result.fields["SeriesNumber"], result.fields["Rows"]) == (
        7,
        5,
        16,
    )
    assert result.fields["NumberOfFrames"] is None


def test_pydicoms_explicit_little_endian_sample_is_stored_as_the_pydicom_path_stores_it(pseudonymizer):
    sample = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    sample.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]  # it says DERIVED\SECONDARY, which we refuse
    raw = as_file(sample)
    assert b"\xfc\xff\xfc\xffOB" in raw[raw.index(b"\xe0\x7f\x10\x00") :]  # padding after Pixel Data

    result = assert_same_as_pydicom_path(raw, pseudonymizer)

    assert b"\xfc\xff\xfc\xff" not in result.header


def test_pydicoms_secondary_sample_is_rejected_as_the_pydicom_path_rejects_it(pseudonymizer):
    raw = Path(get_testdata_file("MR_small.dcm")).read_bytes()
    with pytest.raises(RejectedFile) as expected:
        pydicom_path(raw, pseudonymizer)

    with pytest.raises(RejectedFile) as caught:
        deidentify_part10(raw, pseudonymizer=pseudonymizer)

    assert (caught.value.code, caught.value.reason) == (expected.value.code, expected.value.reason)


def test_an_odd_length_pixel_data_is_padded_as_storage_pads_it(pseudonymizer):
    ds = make_mr(rows=3, columns=3)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    del ds.PixelData
    raw = with_raw_element(ds, 0x7FE00010, "OB", bytes(range(9)))  # dcmwrite would pad it

    result = assert_same_as_pydicom_path(raw, pseudonymizer)

    assert bytes(result.pixel_data) == bytes(range(9)) + b"\x00"
    assert result.pixel_element[4:6] == b"OB"


def test_synthetic_cases_are_stored_as_the_pydicom_path_stores_them(tmp_path, pseudonymizer):
    synthetic = pytest.importorskip("cmr_reader.domain.synthetic")
    folders = synthetic.write_cases(tmp_path, cases=2, seed=5, matrix=24, phases=2)
    paths = sorted(path for folder in folders for path in folder.glob("*.dcm"))
    assert paths

    for path in paths:
        assert_same_as_pydicom_path(path.read_bytes(), pseudonymizer)


# --- Rejections: the same reason and code as check_acceptable ---------------------------------


def rejection_by_pydicom_path(ds: Dataset) -> RejectedFile:
    with pytest.raises(RejectedFile) as caught:
        check_acceptable(pydicom.dcmread(io.BytesIO(as_file(ds))))
    return caught.value


def _secondary_capture(ds: Dataset) -> None:
    ds.SOPClassUID = SecondaryCaptureImageStorage


def _burned_in(ds: Dataset) -> None:
    ds.BurnedInAnnotation = "YES"


def _not_mr(ds: Dataset) -> None:
    ds.Modality = "CT"


def _derived_secondary(ds: Dataset) -> None:
    ds.ImageType = ["DERIVED", "SECONDARY"]


def _other_sop_class(ds: Dataset) -> None:
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.1"  # VL Endoscopic (enhanced MR is imported)


def _no_rows(ds: Dataset) -> None:
    ds.Rows = 0


def _no_series_uid(ds: Dataset) -> None:
    del ds.SeriesInstanceUID


def _no_pixel_data(ds: Dataset) -> None:
    del ds.PixelData


@pytest.mark.parametrize(
    "spoil, code",
    [
        (_secondary_capture, "secondary_capture"),
        (_burned_in, "burned_in_annotation"),
        (_not_mr, "not_mr"),
        (_derived_secondary, "secondary_image"),
        (_other_sop_class, "unsupported_sop_class"),
        (_no_rows, "missing_dimensions"),
        (_no_series_uid, "missing_uid"),
        (_no_pixel_data, "no_pixel_data"),
    ],
)
def test_an_unacceptable_file_is_rejected_with_the_reason_of_check_acceptable(pseudonymizer, spoil, code):
    ds = planted_dataset()
    spoil(ds)
    expected = rejection_by_pydicom_path(ds)

    with pytest.raises(RejectedFile) as caught:
        deidentify_part10(as_file(ds), pseudonymizer=pseudonymizer)

    assert (
        (caught.value.code, caught.value.reason)
        == (expected.code, expected.reason)
        == (code, expected.reason)
    )


# --- Inputs for the general path ------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample",
    [
        "MR_small_implicit.dcm",  # Implicit VR Little Endian
        "MR_small_expb.dcm",  # Explicit VR Big Endian
        "MR_small_bigendian.dcm",
        "MR_small_RLE.dcm",  # compressed, encapsulated
        "MR_small_jpeg_ls_lossless.dcm",
        "image_dfl.dcm",  # deflated
        "MR_truncated.dcm",  # Pixel Data runs past the end of the file
    ],
)
def test_other_transfer_syntaxes_and_odd_files_are_not_eligible(pseudonymizer, sample):
    raw = Path(get_testdata_file(sample)).read_bytes()

    with pytest.raises(NotEligible):
        deidentify_part10(raw, pseudonymizer=pseudonymizer)


def test_a_file_without_preamble_is_not_eligible(pseudonymizer):
    ds = make_mr()
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=False)
    raw = buffer.getvalue()
    assert pydicom.dcmread(io.BytesIO(raw), force=True).Modality == "MR"  # a file the general path reads

    with pytest.raises(NotEligible):
        deidentify_part10(raw, pseudonymizer=pseudonymizer)


def test_a_file_cut_inside_its_header_is_not_eligible(pseudonymizer):
    raw = as_file(planted_dataset())
    cut = raw.index(b"Royal Planted Hospital") + 4

    with pytest.raises(NotEligible):
        deidentify_part10(raw[:cut], pseudonymizer=pseudonymizer)


def test_bytes_after_pixel_data_that_are_not_elements_are_not_eligible(pseudonymizer):
    raw = as_file(make_mr())

    with pytest.raises(NotEligible):
        deidentify_part10(raw + b"\x01\x02\x03\x04", pseudonymizer=pseudonymizer)


def test_a_repeated_element_is_not_eligible(pseudonymizer):
    raw = as_file(make_mr())
    modality = b"\x08\x00\x60\x00CS\x02\x00MR"
    assert raw.count(modality) == 1

    with pytest.raises(NotEligible):
        deidentify_part10(raw.replace(modality, modality * 2), pseudonymizer=pseudonymizer)


def test_elements_out_of_order_are_not_eligible(pseudonymizer):
    raw = as_file(make_mr())
    modality = b"\x08\x00\x60\x00CS\x02\x00MR"
    sex = b"\x10\x00\x40\x00CS\x02\x00F "
    swapped = raw.replace(modality, b"@@@@").replace(sex, modality).replace(b"@@@@", sex)

    with pytest.raises(NotEligible):
        deidentify_part10(swapped, pseudonymizer=pseudonymizer)


def test_a_character_set_inside_a_sequence_item_is_not_eligible(pseudonymizer):
    # pydicom decodes the item's text in the item's own character set (PS3.5 7.5.3).
    ds = planted_dataset()
    ds.ReferencedSeriesSequence[0].SpecificCharacterSet = "ISO_IR 144"

    with pytest.raises(NotEligible):
        deidentify_part10(as_file(ds), pseudonymizer=pseudonymizer)


@pytest.mark.parametrize("character_set", ["ISO_IR 144", "ISO 2022 IR 87", "\\ISO 2022 IR 100", "GB18030"])
def test_a_character_set_we_do_not_decode_is_not_eligible(pseudonymizer, character_set):
    ds = planted_dataset()
    ds.SpecificCharacterSet = character_set

    with pytest.raises(NotEligible):
        deidentify_part10(as_file(ds), pseudonymizer=pseudonymizer)


@pytest.mark.parametrize(
    "tag, vr, value",
    [
        (0x00180020, "UN", b"GR\\IR"),  # a kept public element stored as UN
        (0x00181060, "DS", b"1\\\\2"),  # pydicom fails on the empty value
        (0x00200012, "IS", b"one"),
        (0x00180084, "DS", b"1\x1b(B"),  # an escape sequence
        (0x00280106, "US", b"\x00\x00\x00"),  # a length that is not a whole number of values
    ],
)
def test_values_pydicom_cannot_read_plainly_are_left_to_the_general_path(pseudonymizer, tag, vr, value):
    raw = with_raw_element(make_mr(), tag, vr, value)

    with pytest.raises(NotEligible):
        deidentify_part10(raw, pseudonymizer=pseudonymizer)


def test_a_private_un_element_is_removed_without_falling_back(pseudonymizer):
    raw = with_raw_element(make_mr(), 0x00291010, "UN", b"SECR")

    result = assert_same_as_pydicom_path(raw, pseudonymizer)

    assert b"SECR" not in result.header
