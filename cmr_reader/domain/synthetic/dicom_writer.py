"""Writing rendered planes as MR Image Storage files, one frame per file, as scanners do.

One dataset per series carries everything that does not change between its instances; each
instance then updates only its own elements (UID, numbers, position, timing, pixels) before it is
written. Every file is Explicit VR Little Endian, uncompressed, 16-bit MONOCHROME2 with 12 bits
stored (DICOM PS3.3 C.8.3 MR Image Module).
"""

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_file_meta_info
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, MRImageStorage

from cmr_reader.domain.synthetic.case_params import CaseParams, SeriesPlan
from cmr_reader.domain.synthetic.geometry import SLICE_SPACING_MM, SLICE_THICKNESS_MM, ImagePlane
from cmr_reader.domain.synthetic.identifiers import UID_ROOT, PlantedIdentifiers
from cmr_reader.domain.synthetic.vocabulary import LGE_SAX, sequence_facts

IMPLEMENTATION_CLASS_UID = f"{UID_ROOT}9.1"
PRIVATE_CREATORS = {
    "SIEMENS": ("SIEMENS CSA HEADER", "SIEMENS MR HEADER"),
    "GE MEDICAL SYSTEMS": ("GEMS_PATI_01", "GEMS_ACQU_01"),
    "Philips Medical Systems": ("Philips Imaging DD 001", "Philips MR Imaging DD 001"),
}


@dataclass(frozen=True, kw_only=True)
class SeriesContent:
    """What one series shows: its planes and the pixels of each (plane, phase)."""

    plan: SeriesPlan
    planes: list[ImagePlane]
    pixels: list[np.ndarray]  # one (phases, rows, columns) uint16 array per plane
    trigger_times_ms: np.ndarray  # one per phase
    series_start: dt.datetime
    referenced_sop_instance_uid: str
    window: tuple[float, float]


def write_series(
    *, directory: Path, case: CaseParams, ids: PlantedIdentifiers, content: SeriesContent
) -> list[Path]:
    """Write every instance of ``content`` into ``directory``; returns the file paths in order."""
    plan = content.plan
    encoder = InstanceEncoder(_series_dataset(case=case, ids=ids, content=content))
    phases = len(content.trigger_times_ms)
    paths = []
    for slice_index, (plane, pixels) in enumerate(zip(content.planes, content.pixels, strict=True)):
        # Each slice of a stack is its own breath-hold, a few seconds after the previous one.
        acquired = (content.series_start + dt.timedelta(seconds=14 * slice_index)).strftime("%H%M%S.%f")
        per_slice = {
            "AcquisitionNumber": slice_index + 1,
            "AcquisitionTime": acquired,
            "ContentTime": acquired,
            "ImagePositionPatient": [_ds(v) for v in plane.position],
            "SliceLocation": _ds(plane.slice_location),
        }
        for phase in range(phases):
            instance = slice_index * phases + phase + 1
            values = {
                **per_slice,
                "SOPInstanceUID": ids.sop_instance_uid(series_number=plan.number, instance_number=instance),
                "InstanceNumber": instance,
                "TriggerTime": _ds(content.trigger_times_ms[phase], decimals=2),
                "PixelData": pixels[phase].tobytes(),
            }
            if plan.kind != LGE_SAX:
                values["TemporalPositionIdentifier"] = phase + 1
            path = directory / f"IM_{plan.number:03d}_{instance:04d}.dcm"
            path.write_bytes(encoder.encode(values))
            paths.append(path)
    return paths


class InstanceEncoder:
    """Encodes the instances of one series fast: shared elements are encoded once.

    ``pydicom.dcmwrite`` re-encodes every element of every file, which made writing cost three
    times the rendering. Elements are independent in Explicit VR Little Endian, so the shared ones
    are encoded once and only the per-instance ones are encoded per file and spliced in tag order.
    ``tests/synthetic_tests`` checks the result is byte-identical to ``dcmwrite``.
    """

    def __init__(self, shared: Dataset):
        self._shared = shared
        self._chunks = [(int(elem.tag), _encode_element(elem)) for elem in shared]

    def encode(self, values: dict) -> bytes:
        instance = Dataset()
        for keyword, value in values.items():
            if keyword == "PixelData":
                instance.add(DataElement(0x7FE00010, "OW", value))
            else:
                setattr(instance, keyword, value)
        chunks = [(int(elem.tag), _encode_element(elem)) for elem in instance]
        own = {tag for tag, _ in chunks}
        chunks.extend(chunk for chunk in self._chunks if chunk[0] not in own)
        chunks.sort(key=lambda chunk: chunk[0])
        meta = copy.copy(self._shared.file_meta)
        meta.MediaStorageSOPInstanceUID = values["SOPInstanceUID"]
        header = DicomBytesIO()
        header.write(b"\x00" * 128 + b"DICM")
        write_file_meta_info(header, meta, enforce_standard=True)
        return header.getvalue() + b"".join(chunk for _, chunk in chunks)


def _encode_element(elem: DataElement) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    write_data_element(buffer, elem)
    return buffer.getvalue()


def _series_dataset(*, case: CaseParams, ids: PlantedIdentifiers, content: SeriesContent) -> Dataset:
    plan, acquisition, patient = content.plan, case.acquisition, case.patient
    facts = sequence_facts(
        manufacturer=acquisition.manufacturer, kind=plan.kind, phases=len(content.trigger_times_ms)
    )
    first = content.planes[0]
    lge = plan.kind == LGE_SAX
    study_date = ids.study_date
    series_time = content.series_start.strftime("%H%M%S.%f")

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
    meta.ImplementationVersionName = "CMR_SYNTH_1"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = list(facts.image_type)
    ds.InstanceCreationDate = study_date
    ds.InstanceCreationTime = series_time
    ds.SOPClassUID = MRImageStorage
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study_date
    ds.StudyTime = ids.study_time
    ds.SeriesTime = series_time
    ds.AccessionNumber = ids.accession_number
    ds.Modality = "MR"
    ds.Manufacturer = acquisition.manufacturer
    ds.InstitutionName = ids.institution_name
    ds.InstitutionAddress = ids.institution_address
    ds.ReferringPhysicianName = ids.referring_physician
    ds.StationName = ids.station_name
    ds.StudyDescription = f"MRI HEART {ids.patient_name_text}"
    ds.SeriesDescription = plan.description
    ds.InstitutionalDepartmentName = ids.department_name
    ds.PerformingPhysicianName = ids.performing_physician
    ds.OperatorsName = ids.operators_name
    ds.ManufacturerModelName = acquisition.model_name
    reference = Dataset()
    reference.ReferencedSOPClassUID = MRImageStorage
    reference.ReferencedSOPInstanceUID = content.referenced_sop_instance_uid
    ds.ReferencedImageSequence = Sequence([reference])
    ds.PatientName = ids.patient_name
    ds.PatientID = ids.patient_id
    ds.PatientBirthDate = ids.patient_birth_date
    ds.PatientSex = patient.sex
    ds.OtherPatientIDs = ids.other_patient_ids
    ds.PatientAge = f"{patient.age_years:03d}Y"
    ds.PatientSize = _ds(patient.height_m)
    ds.PatientWeight = _ds(patient.weight_kg)
    ds.PatientAddress = ids.patient_address
    ds.PatientTelephoneNumbers = ids.patient_telephone
    ds.ScanningSequence = facts.scanning_sequence
    ds.SequenceVariant = facts.sequence_variant
    ds.ScanOptions = facts.scan_options
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = facts.sequence_name
    ds.SliceThickness = _ds(SLICE_THICKNESS_MM)
    ds.RepetitionTime = _ds(facts.repetition_time_ms)
    ds.EchoTime = _ds(facts.echo_time_ms)
    if lge:
        ds.InversionTime = _ds(acquisition.inversion_time_ms)
    ds.NumberOfAverages = "1"
    ds.ImagingFrequency = _ds(42.577478 * acquisition.field_strength_t)
    ds.ImagedNucleus = "1H"
    ds.MagneticFieldStrength = _ds(acquisition.field_strength_t)
    if len(content.planes) > 1:
        ds.SpacingBetweenSlices = _ds(SLICE_SPACING_MM)
    ds.EchoTrainLength = 1
    ds.DeviceSerialNumber = ids.device_serial_number
    ds.SoftwareVersions = acquisition.software_version
    ds.ProtocolName = plan.description
    ds.HeartRate = acquisition.heart_rate_bpm
    ds.CardiacNumberOfImages = len(content.trigger_times_ms)
    ds.NominalInterval = int(round(acquisition.rr_interval_ms))
    ds.ReceiveCoilName = "Body18" if acquisition.manufacturer == "SIEMENS" else "CardiacArray"
    ds.FlipAngle = _ds(facts.flip_angle_deg)
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = ids.study_instance_uid
    ds.SeriesInstanceUID = ids.series_instance_uid(series_number=plan.number)
    ds.StudyID = ids.study_id
    ds.SeriesNumber = plan.number
    ds.ImageOrientationPatient = [_ds(v) for v in first.orientation]
    ds.FrameOfReferenceUID = ids.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    if not lge:
        ds.NumberOfTemporalPositions = len(content.trigger_times_ms)
    ds.ImageComments = f"Scanned for {ids.patient_name_text}; see {ids.accession_number}"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = first.rows
    ds.Columns = first.columns
    ds.PixelSpacing = [_ds(first.pixel_spacing_mm), _ds(first.pixel_spacing_mm)]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = _ds(content.window[0])
    ds.WindowWidth = _ds(content.window[1])
    request = Dataset()
    request.RequestedProcedureID = ids.requested_procedure_id
    request.ScheduledProcedureStepID = ids.scheduled_procedure_step_id
    request.RequestedProcedureDescription = "MR HEART WITH CONTRAST"
    ds.RequestAttributesSequence = Sequence([request])
    ds.PerformedProcedureStepStartDate = study_date
    _add_private_blocks(ds, manufacturer=acquisition.manufacturer, ids=ids)
    return ds


def _add_private_blocks(ds: Dataset, *, manufacturer: str, ids: PlantedIdentifiers) -> None:
    """Vendor-style private elements that, like real ones, repeat identifying text."""
    header_creator, acquisition_creator = PRIVATE_CREATORS[manufacturer]
    header = ds.private_block(0x0029, header_creator, create=True)
    csa = f"SV10\x04\x03\x02\x01PatientName={ids.patient_name};StationName={ids.station_name};".encode(
        "ascii"
    )
    header.add_new(0x10, "OB", csa + b"\x00" * (len(csa) % 2))
    header.add_new(0x08, "CS", "IMAGE NUM 4")
    acquisition = ds.private_block(0x0051, acquisition_creator, create=True)
    acquisition.add_new(0x08, "CS", "IMAGE NUM 4")
    acquisition.add_new(0x11, "LO", f"{ids.patient_id} {ids.patient_name}")
    acquisition.add_new(0x19, "LO", "A1/PFP")


def _ds(value: float, *, decimals: int = 6) -> str:
    """A decimal string of at most 16 characters (DICOM DS), without noise digits."""
    text = f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
