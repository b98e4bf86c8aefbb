"""Reading stored instances back: frames and Pixel Data by offset, whole files in chunks.

``storage.write_instance`` writes Pixel Data last and records where it starts, so frame *n*
(1-based) is the ``frame_length`` bytes at ``pixel_data_offset + (n - 1) * frame_length``: one
positioned read per frame, no DICOM parse (the WADO-RS frame endpoint is the hot path).
"""

import os
from collections.abc import Iterator
from pathlib import Path

CHUNK_SIZE = 1024 * 1024


def read_frames(
    path: Path, *, pixel_data_offset: int, frame_length: int, frame_numbers: list[int]
) -> list[bytes]:
    """The bytes of each requested frame (1-based, already checked against the frame count)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        frames = []
        for number in frame_numbers:
            data = os.pread(fd, frame_length, pixel_data_offset + (number - 1) * frame_length)
            if len(data) != frame_length:
                raise OSError(f"{path}: frame {number} is truncated ({len(data)} of {frame_length} bytes)")
            frames.append(data)
        return frames
    finally:
        os.close(fd)


def read_pixel_data(path: Path, *, pixel_data_offset: int) -> bytes:
    """The whole Pixel Data value (all frames, with its even-length padding byte if any)."""
    with path.open("rb") as handle:
        handle.seek(pixel_data_offset)
        return handle.read()


def iter_file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk
