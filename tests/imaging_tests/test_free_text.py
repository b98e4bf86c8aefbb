"""Free text that Annex E does not list is removed at any depth, by both ingest paths alike.

Names are planted where the table does not look (Text Value in content items, a local code's
meaning, Device ID, Acquisition Protocol Name, a LO two sequences down, a public LT the
dictionary does not know); the pydicom path and the raw-bytes fast path must both drop every one
of them, store the same thing, and keep every allow-listed attribute (``decisions/0016``).
"""

import io

import pydicom
import pytest
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian

from cmr_reader.imaging.deid_actions import ANNEX_E_ACTIONS, Action, action_for_tag
from cmr_reader.imaging.deidentify import deidentify
from cmr_reader.imaging.free_text import ALLOWED_FREE_TEXT, CODE_ATTRIBUTES, FREE_TEXT_VRS
from tests.imaging_tests.datasets import item
from tests.imaging_tests.test_deidentify import PLANTED, planted_dataset, to_bytes
from tests.imaging_tests.test_fast_deidentify import assert_same_as_pydicom_path, pydicom_path

# Every free-text value planted below; none may survive either path.
PLANTED_FREE_TEXT = [
    "PATIENT ZHANG WEI",  # Text Value in a Content Sequence item
    "Zhang Wei note",  # the local concept name of that item
    "WARD 7 ZHANG WEI",  # Text Value two sequences down, in a sequence Annex E does not list
    "Protocol of Dr Zhang Wei",  # a local code's meaning
    "99ROYALPLANTED",  # its coding scheme, which names the hospital
    "ZWPROT",  # its code value
    "Zhang Wei coil",  # a local code's meaning inside Device Sequence
    "DEVICE ZW 0042",  # Device ID
    "DEVICE ZW 0043",  # Device ID inside Device Sequence
    "ZHANG WEI MEDICAL",  # Software Versions inside Device Sequence
    "Zhang Wei research protocol",  # Acquisition Protocol Name
    "ZHANG WEI TWO DEEP",  # a LO two sequences down
    "ZWSIDE",  # a code with no coding scheme at all, two sequences down
    "Zhang Wei side",  # its meaning
    "UNKNOWN LT ZHANG WEI",  # a public LT the dictionary does not know
    "CONTEXT ZHANG WEI",  # Acquisition Context Description (ST)
    "https://pacs.royal-planted.example/zhangwei",  # Retrieve URL (UR)
]


def _code(value: str, scheme: str | None, meaning: str) -> Dataset:
    code = item(CodeValue=value, CodeMeaning=meaning)
    if scheme is not None:
        code.CodingSchemeDesignator = scheme
    return code


def free_text_dataset() -> Dataset:
    """``planted_dataset`` with names in free text that Annex E's table does not list."""
    ds = planted_dataset()
    ds.ContentSequence = Sequence(
        [
            item(
                ValueType="TEXT",
                ConceptNameCodeSequence=Sequence([_code("ZWNOTE", "99ROYALPLANTED", "Zhang Wei note")]),
                TextValue="PATIENT ZHANG WEI",
            )
        ]
    )
    protocol = _code("ZWPROT", "99ROYALPLANTED", "Protocol of Dr Zhang Wei")
    protocol.ProtocolContextSequence = Sequence(
        [
            item(
                ValueType="TEXT",
                ConceptNameCodeSequence=Sequence([_code("121106", "DCM", "Comment")]),
                TextValue="WARD 7 ZHANG WEI",
            )
        ]
    )
    ds.PerformedProtocolCodeSequence = Sequence([protocol])
    coil = _code("COIL7", "99ROYALPLANTED", "Zhang Wei coil")
    coil.DeviceID = "DEVICE ZW 0043"
    coil.SoftwareVersions = "ZHANG WEI MEDICAL"
    ds.DeviceSequence = Sequence([coil])
    ds.DeviceID = "DEVICE ZW 0042"
    ds.AcquisitionProtocolName = "Zhang Wei research protocol"
    ds.AcquisitionContextDescription = "CONTEXT ZHANG WEI"
    ds.RetrieveURL = "https://pacs.royal-planted.example/zhangwei"
    ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence[0].ContentDescription = "ZHANG WEI TWO DEEP"
    ds.AnatomicRegionSequence[0].AnatomicRegionModifierSequence = Sequence(
        [_code("ZWSIDE", None, "Zhang Wei side"), _code("7771000", "SCT", "Left")]
    )
    ds.add_new(0x00331020, "LT", "UNKNOWN LT ZHANG WEI")  # public group, unknown to the dictionary
    return ds


def _stored_bytes(result) -> bytes:
    return result.header + result.pixel_element + bytes(result.pixel_data)


def test_no_planted_free_text_survives_either_path(pseudonymizer):
    raw = to_bytes(free_text_dataset())
    assert all(value.encode() in raw for value in PLANTED_FREE_TEXT)  # the search can see them

    result = assert_same_as_pydicom_path(raw, pseudonymizer)  # the fast path took it, and agrees
    reference_file, reference_json, _ = pydicom_path(raw, pseudonymizer)

    for stored, stored_json in ((_stored_bytes(result), result.dicom_json), (reference_file, reference_json)):
        assert [value for value in PLANTED_FREE_TEXT + PLANTED if value.encode() in stored] == []
        assert [value for value in PLANTED_FREE_TEXT + PLANTED if value in repr(stored_json)] == []
        assert b"zhang" not in stored.lower()


def test_a_local_code_loses_value_meaning_and_scheme_but_a_standard_one_inside_it_stays(pseudonymizer):
    result = assert_same_as_pydicom_path(to_bytes(free_text_dataset()), pseudonymizer)

    protocol = result.dicom_json["00400260"]["Value"][0]  # Performed Protocol Code Sequence
    assert not {"00080100", "00080102", "00080104"} & protocol.keys()
    context = protocol["00400440"]["Value"][0]  # Protocol Context Sequence
    assert "0040A160" not in context  # Text Value
    assert context["0040A040"]["Value"] == ["TEXT"]  # Value Type is coded: kept
    concept = context["0040A043"]["Value"][0]  # Concept Name Code Sequence: DCM, a standard code
    assert (concept["00080100"]["Value"], concept["00080102"]["Value"], concept["00080104"]["Value"]) == (
        ["121106"],
        ["DCM"],
        ["Comment"],
    )
    modifiers = result.dicom_json["00082218"]["Value"][0]["00082220"]["Value"]
    assert [sorted(item) for item in modifiers][0] == []  # the code with no scheme: nothing left
    assert modifiers[1]["00080104"]["Value"] == ["Left"]


def test_content_sequence_is_emptied_as_annex_e_says(pseudonymizer):
    result = assert_same_as_pydicom_path(to_bytes(free_text_dataset()), pseudonymizer)

    assert result.dicom_json["0040A730"] == {"vr": "SQ", "Value": []}


def allow_listed_dataset() -> Dataset:
    """``planted_dataset`` with a value in every allow-listed attribute and Annex E's kept text."""
    ds = planted_dataset()
    for tag in ALLOWED_FREE_TEXT:
        ds.add_new(tag, dictionary_VR(tag), f"KEPT{tag:08X}")
    ds.EthnicGroup = "KEPTETHNIC"  # K under Retain Patient Characteristics
    region = ds.AnatomicRegionSequence[0]  # SCT: a standard code
    region.CodingSchemeVersion = "KEPTVERSION"
    region.LongCodeValue = "KEPTLONGCODEVALUE"
    region.URNCodeValue = "urn:oid:2.16.840.1.113883.6.96"
    return ds


def test_every_allow_listed_attribute_survives_both_paths(pseudonymizer):
    result = assert_same_as_pydicom_path(to_bytes(allow_listed_dataset()), pseudonymizer)

    for tag in ALLOWED_FREE_TEXT:
        assert result.dicom_json[f"{tag:08X}"]["Value"] == [f"KEPT{tag:08X}"], keyword_for_tag(tag)
    assert result.dicom_json["00102160"]["Value"] == ["KEPTETHNIC"]
    region = result.dicom_json["00082218"]["Value"][0]
    assert {f"{tag:08X}" for tag in CODE_ATTRIBUTES} <= region.keys()
    assert region["00080104"]["Value"] == ["Heart"]
    # Annex E's Clean Descriptors action, not removal, for the descriptors classification reads.
    assert result.fields["SeriesDescription"] == "cine_tf2d12_retro_SAX"
    assert result.dicom_json["00181030"]["Value"] == ["cine_tf2d12_retro_SAX"]


def test_an_implicit_vr_file_loses_the_same_free_text_on_the_pydicom_path(pseudonymizer):
    # Implicit VR never takes the fast path; its elements carry no VR until pydicom reads them.
    explicit = pydicom.dcmread(io.BytesIO(to_bytes(free_text_dataset())))
    deidentify(explicit, pseudonymizer=pseudonymizer)
    ds = free_text_dataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    implicit = pydicom.dcmread(io.BytesIO(to_bytes(ds)))

    deidentify(implicit, pseudonymizer=pseudonymizer)

    written = to_bytes(implicit)
    assert [value for value in PLANTED_FREE_TEXT + PLANTED if value.encode() in written] == []
    assert b"zhang" not in written.lower()
    assert {int(e.tag) for e in implicit.iterall()} == {int(e.tag) for e in explicit.iterall()}


@pytest.mark.parametrize(
    "keyword",
    [
        "TextValue",
        "DeviceID",
        "AcquisitionProtocolName",
        "ContentDescription",
        "SoftwareVersions",
        "RetrieveURL",
    ],
)
def test_free_text_the_table_does_not_list_is_removed_by_its_tag(keyword):
    tag = pydicom.datadict.tag_for_keyword(keyword)

    assert action_for_tag(tag) is Action.REMOVE


@pytest.mark.parametrize("keyword", ["ImageType", "ScanningSequence", "BodyPartExamined", "ValueType"])
def test_coded_strings_are_kept(keyword):
    assert action_for_tag(pydicom.datadict.tag_for_keyword(keyword)) is Action.KEEP


def test_every_allow_list_entry_is_unlisted_free_text_with_a_reason():
    for tag, reason in {**ALLOWED_FREE_TEXT, **CODE_ATTRIBUTES}.items():
        assert tag not in ANNEX_E_ACTIONS, reason
        assert dictionary_VR(tag) in FREE_TEXT_VRS, reason
        assert reason.startswith(f"{keyword_for_tag(tag)} ({dictionary_VR(tag)})"), reason
