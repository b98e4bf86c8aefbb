"""Stored instances for DICOMweb tests, written by the real storage code without ingest.

Each instance is a small de-identified-looking MR image (random 16-bit pixels) written with
``storage.write_instance`` and recorded the way ingest records it, so the DICOMweb side is
tested against genuine stored files independently of the import pipeline.
"""

from datetime import date
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cmr_reader.imaging.models import Case, Instance, Series
from cmr_reader.imaging.storage import write_instance

MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4.1"


def make_case(*, case_id: str, study_date: date = date(2021, 3, 4), description: str = "CMR HCM") -> Case:
    return Case.objects.create(
        case_id=case_id,
        patient_pseudonym="P-" + case_id[-10:],
        study_instance_uid=generate_uid(),
        study_date=study_date,
        study_description=description,
        patient_sex="F",
        patient_age="054Y",
    )


def make_series(*, case: Case, number: int, description: str, modality: str = "MR") -> Series:
    return Series.objects.create(
        case=case,
        series_instance_uid=generate_uid(),
        series_number=number,
        description=description,
        modality=modality,
    )


def store_instance(
    *,
    series: Series,
    number: int,
    root: Path,
    frames: int = 1,
    rows: int = 24,
    columns: int = 20,
    seed: int = 0,
) -> Instance:
    """Write one instance under ``root`` and record it; pixel values depend on ``seed``."""
    case = series.case
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ENHANCED_MR_IMAGE if frames > 1 else MR_IMAGE
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = case.study_instance_uid
    ds.SeriesInstanceUID = series.series_instance_uid
    ds.PatientName = case.patient_pseudonym
    ds.PatientID = case.patient_pseudonym
    ds.StudyID = case.case_id
    ds.StudyDate = case.study_date.strftime("%Y%m%d")
    ds.StudyTime = "101500"
    ds.AccessionNumber = ""
    ds.Modality = series.modality
    ds.SeriesNumber = series.series_number
    ds.SeriesDescription = series.description
    ds.InstanceNumber = number
    ds.Rows, ds.Columns = rows, columns
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    pixels = np.random.default_rng(seed).integers(0, 4096, size=(frames, rows, columns), dtype=np.uint16)
    ds.PixelData = pixels.tobytes()
    stored = write_instance(ds, root=root)
    return Instance.objects.create(
        series=series,
        sop_instance_uid=str(ds.SOPInstanceUID),
        sop_class_uid=str(ds.SOPClassUID),
        instance_number=number,
        file_path=stored.relative_path,
        file_size=stored.size,
        transfer_syntax_uid=ExplicitVRLittleEndian,
        rows=rows,
        columns=columns,
        number_of_frames=stored.number_of_frames,
        pixel_data_offset=stored.pixel_data_offset,
        frame_length=stored.frame_length,
        dicom_json=ds.to_json_dict(),
    )
