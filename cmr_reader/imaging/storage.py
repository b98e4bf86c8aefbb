"""Where de-identified instances live on disk, and how they are written.

Every stored file is Explicit VR Little Endian with native (uncompressed) pixel data, and its
Pixel Data element is written last by hand, so the byte offset of frame *n* is known at write
time. WADO-RS then serves frames with a seek and a read (see ``dicomweb_frames``), never a parse.
"""

import io
import logging
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.uid import ExplicitVRLittleEndian

logger = logging.getLogger(__name__)

PIXEL_DATA_TAG = 0x7FE00010


@dataclass(frozen=True)
class StoredFile:
    relative_path: str
    size: int
    pixel_data_offset: int
    frame_length: int
    number_of_frames: int


def relative_path_for(ds: pydicom.Dataset) -> str:
    """A stable path from the (already de-identified) UIDs, so a re-import overwrites, never forks."""
    return f"{ds.StudyInstanceUID}/{ds.SeriesInstanceUID}/{ds.SOPInstanceUID}.dcm"


def frame_length_of(ds: pydicom.Dataset) -> int:
    samples = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    return int(ds.Rows) * int(ds.Columns) * samples * int(ds.BitsAllocated) // 8


def encode_instance(ds: pydicom.Dataset) -> tuple[bytes, bytes, int]:
    """Return (header bytes, pixel element header, pixel bytes) for a native-pixel dataset."""
    pixel_bytes = ds.PixelData
    # Nothing after Pixel Data is kept (trailing padding, digital signatures of the original).
    for tag in [tag for tag in ds.keys() if tag >= PIXEL_DATA_TAG]:
        del ds[tag]
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    # The source's 128-byte preamble may hold anything (a TIFF header, a vendor's text): zeros.
    ds.preamble = None
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    header = buffer.getvalue()
    if len(pixel_bytes) % 2:
        pixel_bytes += b"\x00"
    vr = b"OW" if int(ds.BitsAllocated) > 8 else b"OB"
    element = struct.pack("<HH2sHI", 0x7FE0, 0x0010, vr, 0, len(pixel_bytes))
    return header, element, pixel_bytes


def write_instance(ds: pydicom.Dataset, *, root: Path) -> StoredFile:
    """Write a de-identified, native-pixel dataset; ``ds`` is consumed (Pixel Data is detached)."""
    relative = relative_path_for(ds)
    frame_length = frame_length_of(ds)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    header, element, pixel_bytes = encode_instance(ds)
    size = write_parts([header, element, pixel_bytes], relative=relative, root=root)
    return StoredFile(
        relative_path=relative,
        size=size,
        pixel_data_offset=len(header) + len(element),
        frame_length=frame_length,
        number_of_frames=frames,
    )


def write_parts(parts: list[bytes | memoryview], *, relative: str, root: Path) -> int:
    """Write a file under ``relative`` (replacing what is there); return its size."""
    staged = stage_parts(parts, relative=relative, root=root)
    commit_staged(staged, root=root)
    return staged.size


@dataclass(frozen=True)
class StagedFile:
    """A complete file written by an import, waiting for the indexer's decision.

    Usually it is already under its real name (``temp_path`` is None): nothing was there, and a
    file without an index row is invisible to every reader. Where a file of that name existed
    (a duplicate, or a file whose row a killed import never wrote), it waits under a temp name
    and the indexer either renames it into place or discards it.
    """

    temp_path: str | None
    relative_path: str
    size: int


def stage_parts(parts: list[bytes | memoryview], *, relative: str, root: Path) -> StagedFile:
    """Write ``parts`` to the final name if it is free, else to a temp file beside it."""
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    size = sum(len(part) for part in parts)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".part")
    else:
        temp_name = None
    written_to = temp_name or str(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part)
    except BaseException:
        Path(written_to).unlink(missing_ok=True)
        raise
    return StagedFile(temp_path=temp_name, relative_path=relative, size=size)


def commit_staged(staged: StagedFile, *, root: Path) -> None:
    """Give a staged file its real name (an atomic rename on one file system)."""
    if staged.temp_path is not None:
        os.replace(staged.temp_path, root / staged.relative_path)


def discard_staged(staged: StagedFile) -> None:
    """Drop a staged duplicate. A file written under its real name stays: it was missing."""
    if staged.temp_path is not None:
        Path(staged.temp_path).unlink(missing_ok=True)


def absolute_path(relative: str, *, root: Path) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError("path escapes the storage root")
    return path


def probe_writable(root: Path) -> bool:
    """Writes and removes a small file: only a write finds a full disk or a read-only mount."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".health-") as probe:
            probe.write(b"ok")
            probe.flush()
        return True
    except OSError:
        logger.exception("health check: DICOM storage not writable")
        return False
