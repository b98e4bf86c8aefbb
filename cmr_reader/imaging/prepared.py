"""What preparing one file gives ingest, whichever de-identification path made it.

``prepare.prepare_instance`` returns a ``PreparedInstance`` from the byte-level fast path
(``fast_deidentify``) or the general pydicom path; both read the same ``INSTANCE_FIELDS`` from
the de-identified data set, so this is the one description of what ingest indexes.
"""

from dataclasses import dataclass

from cmr_reader.imaging.deidentify import DeidentifiedIdentity

# The plain values ingest indexes, read from the de-identified data set: keyword -> tag as the
# DICOM JSON key.
INSTANCE_FIELDS = {
    "StudyInstanceUID": "0020000D",
    "SeriesInstanceUID": "0020000E",
    "SOPInstanceUID": "00080018",
    "SOPClassUID": "00080016",
    "Modality": "00080060",
    "InstanceNumber": "00200013",
    "SeriesNumber": "00200011",
    "SeriesDescription": "0008103E",
    "StudyDescription": "00081030",
    "StudyDate": "00080020",
    "Rows": "00280010",
    "Columns": "00280011",
    "NumberOfFrames": "00280008",
    "BitsAllocated": "00280100",
    "SamplesPerPixel": "00280002",
    "SliceLocation": "00201041",
    "TriggerTime": "00181060",
    "PatientSex": "00100040",
    "PatientAge": "00101010",
    "PatientSize": "00101020",
    "PatientWeight": "00101030",
}


@dataclass(frozen=True)
class PreparedInstance:
    header: bytes  # Part 10 bytes up to the Pixel Data element
    pixel_element: bytes  # the Pixel Data element's 12-byte header
    pixel_data: bytes | memoryview  # bytes only when padded to even length
    dicom_json: dict  # the de-identified header as DICOM JSON (PS3.18 F.2), without Pixel Data
    identity: DeidentifiedIdentity
    fields: dict  # INSTANCE_FIELDS keywords -> one value, a list when multi-valued, None when absent

    @property
    def frame_length(self) -> int:
        samples = int(self.fields.get("SamplesPerPixel") or 1)
        return (
            int(self.fields["Rows"])
            * int(self.fields["Columns"])
            * samples
            * int(self.fields["BitsAllocated"])
            // 8
        )

    @property
    def number_of_frames(self) -> int:
        return int(self.fields.get("NumberOfFrames") or 1)
