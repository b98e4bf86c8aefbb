"""Small hand-built MR datasets for tests that need one precise defect, not a whole study."""

import io

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
ORIGINAL_ROOT = "1.2.826.0.1.3680043.8.498."


def make_mr(
    *,
    study_uid: str | None = None,
    series_uid: str | None = None,
    patient_id: str = "PID-424242",
    patient_name: str = "Testperson^Alice",
    rows: int = 16,
    columns: int = 16,
    instance_number: int = 1,
    sop_class: str = MR_IMAGE_STORAGE,
    modality: str = "MR",
) -> pydicom.Dataset:
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid(prefix=ORIGINAL_ROOT)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SOPClassUID = sop_class
    ds.StudyInstanceUID = study_uid or generate_uid(prefix=ORIGINAL_ROOT)
    ds.SeriesInstanceUID = series_uid or generate_uid(prefix=ORIGINAL_ROOT)
    ds.FrameOfReferenceUID = generate_uid(prefix=ORIGINAL_ROOT)
    ds.Modality = modality
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientSex = "F"
    ds.PatientAge = "052Y"
    ds.AccessionNumber = "ACC7700123"
    ds.StudyDate = "20240315"
    ds.SeriesDate = "20240315"
    ds.StudyTime = "101500"
    ds.SeriesDescription = "cine_tf2d12_retro_SAX"
    ds.SeriesNumber = 5
    ds.InstanceNumber = instance_number
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NORM"]
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelSpacing = [1.5, 1.5]
    ds.ImagePositionPatient = [0.0, 0.0, float(instance_number)]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    pixels = (np.arange(rows * columns, dtype=np.uint16).reshape(rows, columns) * 7 + instance_number) % 4096
    ds.PixelData = pixels.astype("<u2").tobytes()
    return ds


def to_bytes(ds: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()
