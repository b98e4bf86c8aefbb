import copy
import datetime
import io

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, SecondaryCaptureImageStorage

from cmr_reader.imaging.deidentify import (
    DEIDENTIFICATION_METHOD,
    IMPLEMENTATION_VERSION_NAME,
    RejectedFile,
    check_acceptable,
    clean_descriptor,
    deidentify,
)
from tests.imaging_tests.datasets import item

STUDY_UID = "1.2.826.0.1.3680043.9.7777.1"
SERIES_UID = "1.2.826.0.1.3680043.9.7777.1.2"
SOP_UID = "1.2.826.0.1.3680043.9.7777.1.2.3"
LOCALIZER_UID = "1.2.826.0.1.3680043.9.7777.1.9.1"
FRAME_OF_REFERENCE_UID = "1.2.826.0.1.3680043.9.7777.4"
ICON_SOP_UID = "1.2.826.0.1.3680043.9.7777.5"

# Every identifying value planted below; none may appear in the written file.
PLANTED = [
    "Zhangwei",
    "MRN9876543",
    "19800115",
    "20240315",
    "ACC5551234",
    "ST4242",
    "Royal Planted Hospital",
    "12 Secret Street",
    "MRSTATION7",
    "SN998877",
    "Whoever",
    "Plantedname",
    "said hello",
    "PrivateSecret",
    "PLANTED CREATOR",
    "OverlaySecret",
    "CurveSecret",
    "IconSecret",
    "NestedDoctor",
    "Plantedtwo",
    "UnknownSecret",
    "HOSPITAL_AE",
    "SCANNER_V1",
    "MR20240315",
    STUDY_UID,
    SERIES_UID,
    SOP_UID,
    LOCALIZER_UID,
    FRAME_OF_REFERENCE_UID,
    ICON_SOP_UID,
]


def planted_dataset(
    *,
    patient_id: str = "MRN9876543",
    study_uid: str = STUDY_UID,
    sop_uid: str = SOP_UID,
    study_date: str = "20240315",
) -> Dataset:
    """An MR image with identifiers planted in standard, nested, private and overlay elements."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = MRImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationVersionName = "SCANNER_V1"
    ds.file_meta.SourceApplicationEntityTitle = "HOSPITAL_AE"

    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M"]
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = SERIES_UID
    ds.FrameOfReferenceUID = FRAME_OF_REFERENCE_UID
    ds.Modality = "MR"
    ds.StudyDate = study_date
    ds.SeriesDate = study_date
    ds.InstanceCreationDate = study_date
    ds.AcquisitionDateTime = study_date + "093012.500000+0100"
    ds.StudyTime = "093000"
    ds.AccessionNumber = "ACC5551234"
    ds.StudyID = "ST4242"
    ds.InstitutionName = "Royal Planted Hospital"
    ds.InstitutionAddress = "12 Secret Street, Springfield"
    ds.StationName = "MRSTATION7"
    ds.DeviceSerialNumber = "SN998877"
    ds.ReferringPhysicianName = "Doctor^Whoever"
    ds.OperatorsName = "Tech^Plantedname"
    ds.PerformedProcedureStepID = "MR20240315"
    ds.ImageComments = "Zhangwei said hello"
    ds.SeriesDescription = "Zhangwei cine_tf2d12_retro_SAX 20240315"
    ds.ProtocolName = "cine_tf2d12_retro_SAX"
    ds.StudyDescription = "CMR Royal Planted Hospital"
    ds.PatientName = "Zhangwei^Li"
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19800115"
    ds.PatientSex = "F"
    ds.PatientSize = "1.62"
    ds.PatientWeight = "58"
    ds.Rows = 2
    ds.Columns = 2
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = b"\x01\x00\x02\x00\x03\x00\x04\x00"

    icon = item(
        Rows=1,
        Columns=2,
        SamplesPerPixel=1,
        PhotometricInterpretation="MONOCHROME2",
        BitsAllocated=8,
        BitsStored=8,
        HighBit=7,
        PixelRepresentation=0,
        ImageComments="IconSecret",
        PixelData=b"\x00\x00",
    )
    ds.IconImageSequence = Sequence([icon])
    ds.ReferencedImageSequence = Sequence(
        [
            item(
                ReferencedSOPClassUID=MRImageStorage,
                ReferencedSOPInstanceUID=LOCALIZER_UID,
                IconImageSequence=Sequence([copy.deepcopy(icon)]),
            )
        ]
    )
    # A sequence Annex E doesn't list: walked, so its dates shift and its names go.
    ds.ReferencedSeriesSequence = Sequence(
        [
            item(
                SeriesInstanceUID=SERIES_UID,
                InstanceCreationDate=study_date,
                PerformingPhysicianName="NestedDoctor^Bob",
                EvaluatorName="Evaluator^Plantedtwo",  # a person name Annex E doesn't list
                ReferencedInstanceSequence=Sequence(
                    [item(ReferencedSOPClassUID=MRImageStorage, ReferencedSOPInstanceUID=ICON_SOP_UID)]
                ),
            )
        ]
    )
    ds.AnatomicRegionSequence = Sequence(
        [
            item(
                CodeValue="80891009",
                CodingSchemeDesignator="SCT",
                CodeMeaning="Heart",
                CodingSchemeUID="2.16.840.1.113883.6.96",
            )
        ]
    )
    block = ds.private_block(0x0029, "PLANTED CREATOR", create=True)
    block.add_new(0x10, "LO", "PrivateSecret")
    ds.add_new(0x60000010, "US", 2)  # Overlay Rows
    ds.add_new(0x60003000, "OW", b"OverlaySecret\x00\x00\x00")
    ds.add_new(0x60004000, "LT", "OverlaySecret")
    ds.add_new(0x50002500, "LO", "CurveSecret")
    ds.add_new(0x00331001, "LO", "UnknownSecret")  # public group, unknown to the dictionary
    return ds


def to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def as_read_from_file(ds: Dataset) -> Dataset:
    """``ds`` as ingest sees it: read back from bytes, elements still raw."""
    return pydicom.dcmread(io.BytesIO(to_bytes(ds)))


def test_no_planted_identifier_survives_anywhere_in_the_written_file(pseudonymizer):
    ds = as_read_from_file(planted_dataset())
    written = to_bytes(ds)
    assert all(value.encode() in written for value in PLANTED)  # the check can see them

    deidentify(ds, pseudonymizer=pseudonymizer)

    written = to_bytes(ds)
    assert [value for value in PLANTED if value.encode() in written] == []


def test_an_in_memory_dataset_is_deidentified_the_same_way(pseudonymizer):
    from_file = as_read_from_file(planted_dataset())
    in_memory = planted_dataset()

    deidentify(from_file, pseudonymizer=pseudonymizer)
    deidentify(in_memory, pseudonymizer=pseudonymizer)

    assert to_bytes(in_memory) == to_bytes(from_file)


def test_patient_characteristics_are_retained_and_age_derived_from_birth_date(pseudonymizer):
    ds = as_read_from_file(planted_dataset())

    deidentify(ds, pseudonymizer=pseudonymizer)

    assert (ds.PatientSex, ds.PatientSize, ds.PatientWeight) == ("F", 1.62, 58)
    assert ds.PatientAge == "044Y"
    assert ds.PatientBirthDate == ""


def test_a_recorded_patient_age_is_kept(pseudonymizer):
    original = planted_dataset()
    original.PatientAge = "033Y"
    ds = as_read_from_file(original)

    deidentify(ds, pseudonymizer=pseudonymizer)

    assert ds.PatientAge == "033Y"


def _date(value: str) -> datetime.date:
    return datetime.datetime.strptime(value[:8], "%Y%m%d").date()


def test_dates_of_one_patient_shift_by_the_same_days_and_times_stay(pseudonymizer):
    first = as_read_from_file(planted_dataset(study_date="20240315"))
    second = as_read_from_file(
        planted_dataset(study_date="20250102", study_uid="1.2.826.0.1.3680043.9.7777.2", sop_uid="1.2.3.99")
    )

    identity = deidentify(first, pseudonymizer=pseudonymizer)
    deidentify(second, pseudonymizer=pseudonymizer)

    shift = datetime.timedelta(days=identity.date_shift_days)
    assert identity.date_shift_days == pseudonymizer.date_shift_days("MRN9876543")
    assert _date(first.StudyDate) == datetime.date(2024, 3, 15) + shift
    assert _date(second.StudyDate) == datetime.date(2025, 1, 2) + shift
    assert first.SeriesDate == first.InstanceCreationDate == first.StudyDate
    assert first.ReferencedSeriesSequence[0].InstanceCreationDate == first.StudyDate
    assert first.AcquisitionDateTime == first.StudyDate + "093012.500000+0100"
    assert first.StudyTime == "093000"


def test_dates_of_different_patients_shift_differently(pseudonymizer):
    alice = as_read_from_file(planted_dataset(patient_id="MRN-ALICE"))
    bob = as_read_from_file(planted_dataset(patient_id="MRN-BOB", study_uid="1.2.3.4.5"))

    alice_identity = deidentify(alice, pseudonymizer=pseudonymizer)
    bob_identity = deidentify(bob, pseudonymizer=pseudonymizer)

    assert alice_identity.date_shift_days != bob_identity.date_shift_days
    assert alice.StudyDate != bob.StudyDate
    assert alice.PatientID != bob.PatientID


def test_uids_map_consistently_across_files_and_inside_sequences(pseudonymizer):
    localizer = as_read_from_file(planted_dataset(sop_uid=LOCALIZER_UID))
    cine = as_read_from_file(planted_dataset())

    deidentify(localizer, pseudonymizer=pseudonymizer)
    deidentify(cine, pseudonymizer=pseudonymizer)

    assert cine.ReferencedImageSequence[0].ReferencedSOPInstanceUID == localizer.SOPInstanceUID
    assert cine.StudyInstanceUID == localizer.StudyInstanceUID == pseudonymizer.uid(STUDY_UID)
    assert cine.ReferencedSeriesSequence[0].SeriesInstanceUID == cine.SeriesInstanceUID
    assert cine.SOPInstanceUID != localizer.SOPInstanceUID
    assert cine.file_meta.MediaStorageSOPInstanceUID == cine.SOPInstanceUID
    assert cine.SOPInstanceUID.startswith("2.25.")


def test_standard_and_coding_uids_are_untouched(pseudonymizer):
    ds = as_read_from_file(planted_dataset())

    deidentify(ds, pseudonymizer=pseudonymizer)

    assert ds.SOPClassUID == MRImageStorage
    assert ds.file_meta.MediaStorageSOPClassUID == MRImageStorage
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.ReferencedImageSequence[0].ReferencedSOPClassUID == MRImageStorage
    assert ds.AnatomicRegionSequence[0].CodingSchemeUID == "2.16.840.1.113883.6.96"


def test_private_overlay_curve_icon_and_unknown_elements_are_removed(pseudonymizer):
    ds = as_read_from_file(planted_dataset())

    deidentify(ds, pseudonymizer=pseudonymizer)

    tags = {element.tag for element in ds.iterall()}
    assert not any(tag.is_private for tag in tags)
    assert not any(tag.group & 0xFF00 in (0x5000, 0x6000) for tag in tags)
    assert 0x00331001 not in tags
    assert "IconImageSequence" not in ds
    assert "IconImageSequence" not in ds.ReferencedImageSequence[0]
    assert "PerformingPhysicianName" not in ds.ReferencedSeriesSequence[0]
    assert "EvaluatorName" not in ds.ReferencedSeriesSequence[0]
    assert "ImageComments" not in ds
    assert ds.PixelData == b"\x01\x00\x02\x00\x03\x00\x04\x00"


def test_identity_is_computed_from_the_originals(pseudonymizer):
    ds = as_read_from_file(planted_dataset())

    identity = deidentify(ds, pseudonymizer=pseudonymizer)

    assert identity.case_id == pseudonymizer.case_id(STUDY_UID)
    assert identity.patient_pseudonym == pseudonymizer.patient_pseudonym("MRN9876543")
    assert identity.accession_hash == pseudonymizer.hash_identifier("ACC5551234")
    assert identity.original_study_uid_hash == pseudonymizer.hash_identifier(STUDY_UID)
    assert (ds.PatientName, ds.PatientID) == (identity.patient_pseudonym, identity.patient_pseudonym)
    assert ds.StudyID == identity.case_id
    assert ds.AccessionNumber == ""


def test_a_missing_accession_number_gives_an_empty_hash(pseudonymizer):
    original = planted_dataset()
    del original.AccessionNumber

    identity = deidentify(as_read_from_file(original), pseudonymizer=pseudonymizer)

    assert identity.accession_hash == ""


@pytest.mark.parametrize("placeholder", ["", "ANON", "anonymous"])
def test_a_placeholder_patient_id_falls_back_to_the_study(pseudonymizer, placeholder):
    ds = as_read_from_file(planted_dataset(patient_id=placeholder))

    identity = deidentify(ds, pseudonymizer=pseudonymizer)

    assert identity.patient_pseudonym == pseudonymizer.patient_pseudonym(STUDY_UID)
    assert identity.date_shift_days == pseudonymizer.date_shift_days(STUDY_UID)


def test_the_deidentification_is_declared(pseudonymizer):
    ds = as_read_from_file(planted_dataset())

    deidentify(ds, pseudonymizer=pseudonymizer)

    assert ds.PatientIdentityRemoved == "YES"
    assert ds.DeidentificationMethod == DEIDENTIFICATION_METHOD
    assert len(DEIDENTIFICATION_METHOD) <= 64  # LO
    codes = {(item.CodingSchemeDesignator, item.CodeValue) for item in ds.DeidentificationMethodCodeSequence}
    assert codes == {("DCM", "113100"), ("DCM", "113105"), ("DCM", "113107"), ("DCM", "113108")}
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"


def test_file_meta_names_us_and_no_source(pseudonymizer):
    ds = as_read_from_file(planted_dataset())

    deidentify(ds, pseudonymizer=pseudonymizer)

    assert ds.file_meta.ImplementationVersionName == IMPLEMENTATION_VERSION_NAME
    assert "SourceApplicationEntityTitle" not in ds.file_meta


def test_series_descriptors_keep_their_technical_words(pseudonymizer):
    ds = as_read_from_file(planted_dataset())

    deidentify(ds, pseudonymizer=pseudonymizer)

    assert ds.SeriesDescription == "cine_tf2d12_retro_SAX"
    assert ds.ProtocolName == "cine_tf2d12_retro_SAX"
    assert ds.StudyDescription == "CMR"


def test_a_non_ascii_descriptor_is_cleaned_through_its_character_set(pseudonymizer):
    original = planted_dataset()
    original.SpecificCharacterSet = "ISO_IR 192"
    original.SeriesDescription = "Zhāngwěi 张伟 cine SAX"
    ds = as_read_from_file(original)

    deidentify(ds, pseudonymizer=pseudonymizer)

    assert ds.SeriesDescription == "cine SAX"
    assert "张伟".encode() not in to_bytes(ds)


@pytest.mark.parametrize(
    "text, cleaned",
    [
        ("cine_tf2d12_retro_SAX", "cine_tf2d12_retro_SAX"),
        ("Zhangwei_cine_SAX_20240315", "cine_SAX"),
        ("Cine_TruFisp_RVLA", "Cine_TruFisp_RVLA"),
        ("CMR^Routine Viability", "CMR^Routine Viability"),
        ("LGE PSIR 4CH TI 300", "LGE PSIR 4CH TI 300"),
        ("T1 MOLLI map pre Li Ng", "T1 MOLLI map pre"),
        ("cine sax John1 MR20240315", "cine sax"),
        ("", ""),
    ],
)
def test_clean_descriptor_keeps_technical_tokens_only(text, cleaned):
    assert clean_descriptor(text) == cleaned


def rejection(ds: Dataset) -> RejectedFile:
    with pytest.raises(RejectedFile) as caught:
        check_acceptable(ds)
    return caught.value


def test_a_complete_mr_image_is_acceptable():
    check_acceptable(as_read_from_file(planted_dataset()))


def test_a_non_mr_image_is_rejected():
    ds = planted_dataset()
    ds.Modality = "CT"

    assert rejection(ds).code == "not_mr"
    assert "CT" in rejection(ds).reason


def test_a_secondary_capture_is_rejected():
    ds = planted_dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage

    assert rejection(ds).code == "secondary_capture"
    assert "secondary capture" in rejection(ds).reason


@pytest.mark.parametrize("sop_class", ["1.2.840.10008.5.1.4.1.1.4.1", "1.2.840.10008.5.1.4.1.1.4.4"])
def test_enhanced_and_legacy_converted_enhanced_mr_are_accepted(sop_class):
    ds = planted_dataset()
    ds.SOPClassUID = sop_class

    check_acceptable(ds)  # raises RejectedFile otherwise (decisions/0027)


def test_another_sop_class_is_rejected_as_unsupported():
    ds = planted_dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.1"  # VL Endoscopic, not a secondary capture

    assert rejection(ds).code == "unsupported_sop_class"


def test_burned_in_annotation_is_rejected():
    ds = planted_dataset()
    ds.BurnedInAnnotation = "YES"

    assert rejection(ds).code == "burned_in_annotation"


def test_a_derived_secondary_image_is_rejected():
    ds = planted_dataset()
    ds.ImageType = ["DERIVED", "SECONDARY", "OTHER"]

    assert rejection(ds).code == "secondary_image"
    assert "DERIVED\\SECONDARY" in rejection(ds).reason


def test_a_file_without_pixel_data_is_rejected():
    ds = planted_dataset()
    del ds.PixelData

    assert rejection(ds).code == "no_pixel_data"


@pytest.mark.parametrize("keyword", ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"])
def test_a_file_missing_a_uid_is_rejected(keyword):
    ds = planted_dataset()
    delattr(ds, keyword)

    assert rejection(ds).code == "missing_uid"
    assert keyword in rejection(ds).reason


@pytest.mark.parametrize("keyword", ["Rows", "Columns"])
def test_a_file_missing_its_size_is_rejected(keyword):
    ds = planted_dataset()
    delattr(ds, keyword)

    assert rejection(ds).code == "missing_dimensions"


def _original_uids(ds: Dataset) -> set[str]:
    elements = list(ds.iterall()) + list(ds.file_meta.values())
    uids = set()
    for element in elements:
        if element.VR == "UI" and element.value:
            values = element.value if isinstance(element.value, list) else [element.value]
            uids.update(str(value) for value in values if not str(value).startswith("1.2.840.10008."))
    return uids


def test_the_real_siemens_series_keeps_nothing_identifying(real_cine_dir, pseudonymizer):
    paths = sorted(real_cine_dir.glob("*.dcm"))
    assert paths

    identities = set()
    for path in paths:
        ds = pydicom.dcmread(path)
        original_uids = _original_uids(ds)
        original_dates = {str(e.value) for e in ds.iterall() if e.VR == "DA" and e.value}
        original_dates |= {d for e in ds.iterall() if e.VR == "DA" and e.VM > 1 for d in e.value}
        assert original_uids and "20140409" in original_dates  # the check can see them
        characteristics = (ds.PatientSex, ds.PatientAge, ds.PatientSize, ds.PatientWeight)

        check_acceptable(ds)
        identities.add(deidentify(ds, pseudonymizer=pseudonymizer))

        written = to_bytes(ds)
        assert [uid for uid in original_uids if uid.encode() in written] == []
        assert [date for date in original_dates if date.encode() in written] == []
        assert b"Missenden" not in written and b"AWP45557" not in written
        assert not ds.get("InstitutionAddress") and not ds.get("StationName")
        assert not ds.get("DeviceSerialNumber")
        assert (ds.PatientSex, ds.PatientAge, ds.PatientSize, ds.PatientWeight) == characteristics
        assert ds.SeriesDescription == "Cine_TruFisp_RVLA"
        assert pydicom.dcmread(io.BytesIO(written)).file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert len(identities) == 1  # one study, one patient, one shift
