"""The site's media files as a backup sees them, wherever MEDIA_STORAGE keeps them.

Archive names are the same for both stores (``media/dicom/...`` for DICOM, ``media/...`` for
the rest, as the folders lie under MEDIA_ROOT on local disk), so a backup of a site on local
disk restores into a bucket and back.
"""

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files.storage import storages

# Archive prefix -> storage alias, for MEDIA_STORAGE=s3 (settings.STORAGES).
BUCKET_TREES = (("media/dicom/", "dicom"), ("media/", "default"))


@dataclass(frozen=True)
class MediaFile:
    name: str  # in the archive
    size: int
    source: Path | tuple[str, str]  # a local file, or (storage alias, key)


def media_files() -> Iterator[MediaFile]:
    if settings.MEDIA_STORAGE == "s3":
        for prefix, alias in BUCKET_TREES:
            yield from _bucket_files(prefix, alias)
        return
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir():
        for path in sorted(p for p in media.rglob("*") if p.is_file()):
            yield MediaFile(f"media/{path.relative_to(media).as_posix()}", path.stat().st_size, path)


def open_media(item: MediaFile) -> BinaryIO:
    if isinstance(item.source, Path):
        return item.source.open("rb")
    alias, key = item.source
    storage = storages[alias]
    body = storage.connection.meta.client.get_object(Bucket=storage.bucket_name, Key=key)["Body"]
    return closing(body)  # read() streams; closing() gives it the with-statement it lacks


def _bucket_files(prefix: str, alias: str) -> Iterator[MediaFile]:
    storage = storages[alias]
    key_prefix = f"{storage.location}/" if storage.location else ""
    pages = storage.connection.meta.client.get_paginator("list_objects_v2").paginate(
        Bucket=storage.bucket_name, Prefix=key_prefix
    )
    for page in pages:
        for item in page.get("Contents", []):
            yield MediaFile(prefix + item["Key"][len(key_prefix) :], item["Size"], (alias, item["Key"]))


def replace_bucket_media(extracted: Path) -> None:
    """Empty both storages' prefixes, then upload the archive's ``media/`` tree into them."""
    for _prefix, alias in BUCKET_TREES:
        storage = storages[alias]
        client = storage.connection.meta.client
        keys = [item.source[1] for item in _bucket_files("", alias)]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            client.delete_objects(Bucket=storage.bucket_name, Delete={"Objects": batch, "Quiet": True})
    media = extracted / "media"
    if not media.is_dir():
        return
    for path in sorted(p for p in media.rglob("*") if p.is_file()):
        name = path.relative_to(extracted).as_posix()
        prefix, alias = next((prefix, alias) for prefix, alias in BUCKET_TREES if name.startswith(prefix))
        storage = storages[alias]
        key = storage._normalize_name(name[len(prefix) :])  # under the storage's location, safely joined
        storage.connection.meta.client.upload_file(str(path), storage.bucket_name, key)
