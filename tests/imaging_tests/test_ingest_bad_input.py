"""Bad input gets a clear reason, the rest of the import goes on, and nothing stored is touched."""

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import RLELossless

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import DicomSource
from cmr_reader.imaging.storage import absolute_path
from tests.support.dicom_factory import SECONDARY_CAPTURE, make_mr, to_bytes

pytestmark = pytest.mark.django_db


def source(name: str, data: bytes) -> DicomSource:
    return DicomSource(name=name, read=lambda: data)


def run(sources, root):
    return import_sources(sources, pseudonymizer=Pseudonymizer("test-key"), storage_root=root)


def reasons_by_file(summary) -> dict[str, str]:
    """Rejections by source name, without the "#n" position ingest puts first."""
    return {r.file.split(" ", 1)[1]: r.reason for r in summary.rejected}


def test_each_kind_of_bad_file_is_rejected_with_its_reason_and_good_files_still_import(private_storage):
    study = make_mr().StudyInstanceUID
    good = [make_mr(study_uid=study, instance_number=i) for i in (1, 2)]
    truncated = to_bytes(make_mr(study_uid=study, instance_number=3))
    no_pixels = make_mr(study_uid=study, instance_number=4)
    del no_pixels.PixelData
    secondary = make_mr(study_uid=study, sop_class=SECONDARY_CAPTURE)
    ct = make_mr(study_uid=study, modality="CT")
    burned = make_mr(study_uid=study)
    burned.BurnedInAnnotation = "YES"

    summary = run(
        [
            source("good-1.dcm", to_bytes(good[0])),
            source("notes.txt", b"Reported by Dr Somebody on 2024-03-15\n"),
            source("truncated.dcm", truncated[: len(truncated) - 200]),
            source("no-pixels.dcm", to_bytes(no_pixels)),
            source("secondary.dcm", to_bytes(secondary)),
            source("ct.dcm", to_bytes(ct)),
            source("burned.dcm", to_bytes(burned)),
            source("good-2.dcm", to_bytes(good[1])),
        ],
        private_storage,
    )

    reasons = reasons_by_file(summary)
    assert summary.instances_imported == 2
    assert set(reasons) == {
        "notes.txt",
        "truncated.dcm",
        "no-pixels.dcm",
        "secondary.dcm",
        "ct.dcm",
        "burned.dcm",
    }
    assert "not a DICOM file" in reasons["notes.txt"]
    assert "truncated" in reasons["truncated.dcm"]
    assert "pixel" in reasons["no-pixels.dcm"].lower()
    assert "secondary capture" in reasons["secondary.dcm"].lower()
    assert "CT" in reasons["ct.dcm"] or "MR" in reasons["ct.dcm"]
    assert "burned" in reasons["burned.dcm"].lower()
    assert Instance.objects.count() == 2


def test_a_corrupt_copy_of_a_stored_instance_leaves_the_stored_file_untouched(private_storage):
    original = make_mr()
    data = to_bytes(original)
    run([source("a.dcm", data)], private_storage)
    stored = absolute_path(Instance.objects.get().file_path, root=private_storage)
    before = hashlib.sha256(stored.read_bytes()).hexdigest()

    summary = run([source("a-again.dcm", data[:-100]), source("a-same.dcm", data)], private_storage)

    assert hashlib.sha256(stored.read_bytes()).hexdigest() == before
    assert Instance.objects.count() == 1
    assert summary.instances_imported == 0
    assert summary.duplicates_skipped + len(summary.rejected) == 2


def test_rle_compressed_pixels_are_decoded_and_stored_natively(private_storage):
    ds = make_mr()
    expected = ds.pixel_array.copy()
    ds.compress(RLELossless)
    assert ds.file_meta.TransferSyntaxUID == RLELossless

    summary = run([source("rle.dcm", to_bytes(ds))], private_storage)

    assert summary.instances_imported == 1, summary.rejected
    instance = Instance.objects.get()
    stored = pydicom.dcmread(absolute_path(instance.file_path, root=private_storage))
    assert stored.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    np.testing.assert_array_equal(stored.pixel_array, expected)


def test_jpeg2000_lossless_pixels_are_decoded_by_the_pylibjpeg_plugin(private_storage):
    from pydicom.uid import JPEG2000Lossless

    ds = make_mr(rows=64, columns=64)  # openjpeg refuses to encode images smaller than its tiles
    expected = ds.pixel_array.copy()
    ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")

    summary = run([source("j2k.dcm", to_bytes(ds))], private_storage)

    assert summary.instances_imported == 1, summary.rejected
    stored = pydicom.dcmread(absolute_path(Instance.objects.get().file_path, root=private_storage))
    np.testing.assert_array_equal(stored.pixel_array, expected)


def test_a_compressed_syntax_without_a_decoder_is_rejected_with_the_syntax_named(private_storage):
    ds = make_mr()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2 Main Profile: no decoder here
    ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + b"\x00" * 60])
    ds["PixelData"].VR = "OB"

    summary = run([source("mpeg.dcm", to_bytes(ds))], private_storage)

    reason = reasons_by_file(summary)["mpeg.dcm"]
    assert "could not be decoded" in reason
    assert "MPEG2" in reason
    assert Instance.objects.count() == 0


def test_a_series_uid_reused_by_another_study_is_rejected_as_inconsistent(private_storage):
    first = make_mr()
    intruder = make_mr(series_uid=first.SeriesInstanceUID, patient_id="PID-999")

    summary = run(
        [source("first.dcm", to_bytes(first)), source("intruder.dcm", to_bytes(intruder))], private_storage
    )

    assert summary.instances_imported == 1
    assert "inconsistent series" in reasons_by_file(summary)["intruder.dcm"]


PYDICOM_TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


@pytest.mark.parametrize(
    "name",
    [
        "MR_small_RLE.dcm",
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "MR_small_implicit.dcm",
    ],
)
def test_encoded_variants_of_one_mr_image_all_store_the_same_native_pixels(name, private_storage):
    reference = pydicom.dcmread(PYDICOM_TEST_FILES / "MR_small.dcm").pixel_array
    ds = pydicom.dcmread(PYDICOM_TEST_FILES / name)
    # pydicom's sample says DERIVED\SECONDARY, which ingest rejects (possible burned-in text).
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]

    summary = run([source(name, to_bytes(ds))], private_storage)

    assert summary.instances_imported == 1, summary.rejected
    stored = pydicom.dcmread(absolute_path(Instance.objects.get().file_path, root=private_storage))
    assert stored.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    np.testing.assert_array_equal(stored.pixel_array, reference)


@pytest.mark.parametrize(
    ("name", "syntax", "lossy"),
    [
        ("SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50", True),  # JPEG baseline
        ("SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.4.70", False),  # JPEG lossless, first-order prediction
    ],
)
def test_jpeg_images_are_decoded_and_a_lossy_one_keeps_its_lossy_flag(name, syntax, lossy, private_storage):
    ds = pydicom.dcmread(PYDICOM_TEST_FILES / name)
    assert ds.file_meta.TransferSyntaxUID == syntax
    ds.Modality = (
        "MR"  # the shipped JPEG samples are secondary captures; relabel them to exercise the decoder
    )
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.BurnedInAnnotation = "NO"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    expected = ds.pixel_array.copy()

    summary = run([source("jpeg.dcm", to_bytes(ds))], private_storage)

    assert summary.instances_imported == 1, summary.rejected
    stored = pydicom.dcmread(absolute_path(Instance.objects.get().file_path, root=private_storage))
    np.testing.assert_array_equal(stored.pixel_array, expected)
    if lossy:
        assert stored.LossyImageCompression == "01"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_zip_bomb_member_and_an_oversized_file_are_refused_without_reading_them_whole(
    workers, tmp_path, private_storage, monkeypatch
):
    from cmr_reader.imaging import sources

    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1024 * 1024)
    # The read cap is under test here; the ratio check, which refuses this member unread, in
    # tests/security_tests/test_upload_archives.py.
    monkeypatch.setattr(sources, "MAX_COMPRESSION_RATIO", 10**9)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("IM_0001.dcm", b"\x00" * (50 * 1024 * 1024))  # 50 MiB of zeros, ~50 kB packed
        zf.writestr("IM_0002.dcm", to_bytes(make_mr()))
    big = tmp_path / "IM_0003.dcm"
    big.write_bytes(b"\x00" * (2 * 1024 * 1024))

    summary = import_sources(
        sources.iter_path_sources([archive, big]),
        pseudonymizer=Pseudonymizer("test-key"),
        storage_root=private_storage,
        workers=workers,
    )

    assert summary.instances_imported == 1
    reasons = reasons_by_file(summary)
    assert set(reasons) == {"….zip:IM_0001.dcm", "IM_0003.dcm"}  # "bomb" is not a technical word
    assert all("larger than 1 MiB" in reason for reason in reasons.values())
