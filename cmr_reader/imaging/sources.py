"""Turn what a coordinator points at (folders, single files, .zip archives) into DICOM sources.

A source is a name shown in rejection reasons plus a way to read its bytes; ingest never cares
where the bytes came from (disk, zip member, PACS response).
"""

import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from cmr_reader.imaging.display_names import safe_display_name

SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "DICOMDIR"}
# No CMR image comes near this; a file or zip member past it (a zip bomb, a mislabelled video)
# is refused after reading at most this much, so memory stays bounded whatever is declared.
MAX_FILE_BYTES = 512 * 1024 * 1024


class SourceTooLarge(OSError):
    pass


def read_file(path: Path, *, max_bytes: int | None = None) -> bytes:
    """A file's bytes, refusing files larger than ``max_bytes`` (default MAX_FILE_BYTES)."""
    with Path(path).open("rb") as handle:
        return _read_at_most(handle, max_bytes)


def _read_member(zf: zipfile.ZipFile, member: str) -> bytes:
    # Read through the decompressor with a cap: the size a zip declares can lie.
    with zf.open(member) as handle:
        return _read_at_most(handle, None)


def _read_at_most(handle, max_bytes: int | None) -> bytes:
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise SourceTooLarge(f"larger than {limit // (1024 * 1024)} MiB")
    return data


@dataclass(frozen=True)
class DicomSource:
    # Shown to the coordinator and kept with rejections: never a raw path or original UID
    # (see display_names.safe_display_name).
    name: str
    read: Callable[[], bytes]
    # Set for plain files: worker processes then read the file themselves.
    path: Path | None = None


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name in SKIPPED_NAMES


def iter_path_sources(paths: Iterable[Path]) -> Iterator[DicomSource]:
    """Expand folders recursively and zip archives member by member, in a stable order."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not _is_hidden(p))
            yield from iter_path_sources(files)
        elif path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
            yield from _iter_zip(path)
        else:
            yield DicomSource(name=safe_display_name(str(path)), read=partial(read_file, path), path=path)


def _iter_zip(archive: Path) -> Iterator[DicomSource]:
    # The archive stays open while its members are consumed one by one (ingest reads each
    # source before asking for the next), so a 5,000-member zip is opened once, not 5,000 times.
    with zipfile.ZipFile(archive) as zf:
        members = sorted(
            info.filename
            for info in zf.infolist()
            if not info.is_dir() and not _is_hidden(Path(info.filename))
        )
        for member in members:
            yield DicomSource(
                name=safe_display_name(f"{archive.name}:{member}"), read=partial(_read_member, zf, member)
            )

