"""Turn what a coordinator points at (folders, single files, .zip archives) into DICOM sources.

A source is a name shown in rejection reasons plus a way to read its bytes; ingest never cares
where the bytes came from (disk, zip member, PACS response).
"""

import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath, PureWindowsPath

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cmr_reader.imaging.display_names import error_without_names, safe_display_name

SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "DICOMDIR"}
# No CMR image comes near this; a file or zip member past it (a zip bomb, a mislabelled video)
# is refused after reading at most this much, so memory stays bounded whatever is declared.
MAX_FILE_BYTES = 512 * 1024 * 1024
# Archive limits, checked on what the archive declares before anything is decompressed (Python's
# zipfile never inflates a member past its declared size: a member that lies fails its CRC).
# An examination is a few thousand files; a folder upload allows 20,000.
MAX_ARCHIVE_MEMBERS = 50_000
MAX_ARCHIVE_BYTES = 64 * 1024**3
# Uncompressed DICOM deflates 2-10x (more where the background is black); a member of zeros, the
# usual bomb, ~1000x. Small members cannot be bombs whatever their ratio.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
ARCHIVE_SUFFIXES = {".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz"}
ZIP_MAGIC = b"PK\x03\x04"


class SourceTooLarge(OSError):
    pass


class RefusedSource(OSError):
    """A file refused before it is parsed; the message is the reason a coordinator reads."""


def read_file(path: Path, *, max_bytes: int | None = None) -> bytes:
    """A file's bytes, refusing files larger than ``max_bytes`` (default MAX_FILE_BYTES)."""
    try:
        with Path(path).open("rb") as handle:
            return _read_at_most(handle, max_bytes)
    except SourceTooLarge:
        raise
    except OSError as error:
        # The error's text holds the raw path ("No such file or directory: '/data/DOE_JOHN/…'").
        raise RefusedSource(_unreadable(error)) from None


def _read_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    # Read through the decompressor with a cap: the size a zip declares can lie.
    try:
        with zf.open(member) as handle:
            data = _read_at_most(handle, None)
    except SourceTooLarge:
        raise
    except Exception as error:
        # zipfile names the member in its errors ("Bad CRC-32 for file 'DOE_JOHN/IM1.dcm'",
        # "File 'x' is encrypted"); the reason keeps only what went wrong.
        raise RefusedSource(_unreadable(error)) from None
    # A zip inside the zip, whatever its name.
    if looks_like_zip(data):
        raise RefusedSource(_nested_archive())
    return data


def looks_like_zip(head: bytes) -> bool:
    """Whether a file whose first bytes are ``head`` (132 or more, or the whole file) is a zip
    archive. A DICOM file may begin with anything in its 128-byte preamble, so one with "DICM"
    after the preamble is DICOM."""
    return head.startswith(ZIP_MAGIC) and head[128:132] != b"DICM"


def _refuse(reason: str) -> bytes:
    raise RefusedSource(reason)


def _unreadable(error: Exception) -> str:
    return _("could not be read (%(error)s)") % {"error": error_without_names(error)}


def _damaged_archive() -> str:
    return _("the archive is damaged or incomplete: re-export it")


def _nested_archive() -> str:
    return _("an archive inside an archive is not opened: unpack it and upload its files")


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
        elif path.suffix.lower() == ".zip" and path.is_file():
            yield from _iter_zip(path)
        else:
            yield DicomSource(name=safe_display_name(str(path)), read=partial(read_file, path), path=path)


def _iter_zip(archive: Path) -> Iterator[DicomSource]:
    """Members one by one; a member that is unsafe is refused with its reason, unread, and an
    archive over the limits, or one that cannot be opened, is refused whole, as one source,
    before any member is inflated."""
    whole = safe_display_name(archive.name)
    entries = _declared_entries(archive)
    if entries is not None and entries > MAX_ARCHIVE_MEMBERS:
        yield _refused(whole, _too_many_entries(entries))
        return
    try:
        zf = zipfile.ZipFile(archive)
    except Exception:
        # A truncated download has lost its central directory (at the end); its errors say
        # nothing useful to a coordinator, and an OSError's would quote the path.
        yield _refused(whole, _damaged_archive())
        return
    # The archive stays open while its members are consumed one by one (ingest reads each
    # source before asking for the next), so a 5,000-member zip is opened once, not 5,000 times.
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            yield _refused(whole, _too_many_entries(len(infos)))
            return
        declared = sum(info.file_size for info in infos)
        if declared > MAX_ARCHIVE_BYTES:
            yield _refused(
                whole,
                _("the archive would unpack to %(size)s, more than the %(limit)s allowed")
                % {"size": filesizeformat(declared), "limit": filesizeformat(MAX_ARCHIVE_BYTES)},
            )
            return
        members = sorted(
            (info for info in infos if not info.is_dir() and not _is_hidden(PurePosixPath(info.filename))),
            key=lambda info: info.filename,
        )
        for info in members:
            name = safe_display_name(f"{archive.name}:{info.filename}")
            reason = member_refusal(info)
            if reason is not None:
                yield _refused(name, reason)
            else:
                yield DicomSource(name=name, read=partial(_read_member, zf, info))


def member_refusal(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member is refused before it is read, or None. Member names are never used as
    paths here, but a name that climbs out or is absolute only comes from a crafted archive."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive or ".." in parts:
        return _("unsafe path in the archive (absolute, or climbing out with ..): not read")
    if stat.S_ISLNK(info.external_attr >> 16):
        return _("a symbolic link inside an archive is not followed")
    if PurePosixPath(name).suffix.lower() in ARCHIVE_SUFFIXES:
        return _nested_archive()
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= RATIO_CHECKED_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
        return _("compressed %(ratio).0f to 1, more than any DICOM file (a zip bomb?): not unpacked") % {
            "ratio": ratio
        }
    return None


def _declared_entries(archive: Path) -> int | None:
    """The entry count the end-of-central-directory record declares, read before zipfile builds
    an object per entry (a crafted directory of millions of empty entries costs gigabytes)."""
    try:
        with archive.open("rb") as handle:
            record = zipfile._EndRecData(handle)  # private, but stable since Python 2
    except (AttributeError, OSError):
        return None
    return None if record is None else int(record[zipfile._ECD_ENTRIES_TOTAL])


def _too_many_entries(count: int) -> str:
    return _("the archive holds %(count)d entries, more than the %(limit)d allowed") % {
        "count": count,
        "limit": MAX_ARCHIVE_MEMBERS,
    }


def _refused(name: str, reason: str) -> DicomSource:
    return DicomSource(name=name, read=partial(_refuse, reason))
