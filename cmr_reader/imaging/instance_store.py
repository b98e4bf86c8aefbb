"""Where stored instances live: a folder on local disk (the default) or an S3-compatible bucket.

Ingest and every read path (WADO-RS frames, bulk data, whole instances, WADO-URI) go through
``dicom_store()``, which ``MEDIA_STORAGE`` chooses (docs/decisions/0012-media-storage.md). Both
stores keep the same promises: a file appears under its real name only once complete, a
duplicate never replaces the held file, and a frame is one positioned read of
``frame_length`` bytes (see ``storage.py`` for the layout that makes that possible).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings

from cmr_reader.imaging import storage, stored_bytes
from cmr_reader.imaging.storage import StagedFile

MEDIA_STORAGES = ("local", "s3")


class InstanceStore(Protocol):
    """What ingest and DICOMweb need from the place stored instances live (paths are relative)."""

    def stage(self, parts: list[bytes | memoryview], *, relative: str) -> StagedFile: ...

    def commit(self, staged: StagedFile) -> None: ...

    def discard(self, staged: StagedFile) -> None: ...

    def read_frames(
        self, relative: str, *, pixel_data_offset: int, frame_length: int, frame_numbers: list[int]
    ) -> list[bytes]: ...

    def read_pixel_data(self, relative: str, *, pixel_data_offset: int) -> bytes: ...

    def iter_file(self, relative: str) -> Iterator[bytes]: ...

    def read_file(self, relative: str) -> bytes: ...

    def writable(self) -> bool: ...


@dataclass(frozen=True)
class LocalInstanceStore:
    """A folder on this machine's disk: staged with O_EXCL, renamed into place, read with pread."""

    root: Path

    def stage(self, parts: list[bytes | memoryview], *, relative: str) -> StagedFile:
        return storage.stage_parts(parts, relative=relative, root=self.root)

    def commit(self, staged: StagedFile) -> None:
        storage.commit_staged(staged, root=self.root)

    def discard(self, staged: StagedFile) -> None:
        storage.discard_staged(staged)

    def path(self, relative: str) -> Path:
        return storage.absolute_path(relative, root=self.root)

    def read_frames(
        self, relative: str, *, pixel_data_offset: int, frame_length: int, frame_numbers: list[int]
    ) -> list[bytes]:
        return stored_bytes.read_frames(
            self.path(relative),
            pixel_data_offset=pixel_data_offset,
            frame_length=frame_length,
            frame_numbers=frame_numbers,
        )

    def read_pixel_data(self, relative: str, *, pixel_data_offset: int) -> bytes:
        return stored_bytes.read_pixel_data(self.path(relative), pixel_data_offset=pixel_data_offset)

    def iter_file(self, relative: str) -> Iterator[bytes]:
        return stored_bytes.iter_file(self.path(relative))

    def read_file(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()

    def writable(self) -> bool:
        return storage.probe_writable(self.root)


def dicom_store() -> InstanceStore:
    """The store ``MEDIA_STORAGE`` names; the local one follows ``DICOM_STORAGE_ROOT``."""
    if settings.MEDIA_STORAGE == "s3":
        from django.core.files.storage import storages

        from cmr_reader.imaging.s3_instance_store import S3InstanceStore

        return S3InstanceStore(storages["dicom"])
    return LocalInstanceStore(Path(settings.DICOM_STORAGE_ROOT))
