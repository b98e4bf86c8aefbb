"""Backup and restore of the whole site: the database and the media files, in one tar archive.

The archive holds ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``; SQLite: a
consistent copy made with SQLite's online backup API, safe while the site runs), ``media/``
(DICOM storage, analysis bundles: everything under MEDIA_ROOT, or in the bucket with
MEDIA_STORAGE=s3, see media_files.py) and ``manifest.json`` (when, which
code version, which database vendor, and the SHA-256 of every member). Restore checks every
checksum before it changes anything, refuses a non-empty database unless forced, and then
replaces the database and the media folder.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

from cmr_reader.imaging.models import Case
from cmr_reader.operations.media_files import MediaFile, media_files, open_media, replace_bucket_media
from cmr_reader.studies.models import ReaderStudy
from cmr_reader.versions import code_version

FORMAT = 1
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    vendor: str
    files: int
    bytes: int


def backup_site(output: Path) -> BackupSummary:
    """Write the archive to ``output`` (through a temporary file: no half-written archive is left).

    Media stream from where MEDIA_STORAGE keeps them (disk or bucket) into the archive, each
    hashed as it passes; the manifest is written last, once every checksum is known.
    """
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="cmr-backup-") as folder:
        dump = Path(folder) / "database.dump"
        _dump_database(dump)
        checksums: dict[str, str] = {}
        size = 0
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            items = [MediaFile("database.dump", dump.stat().st_size, dump), *media_files()]
            for item in items:
                info = tarfile.TarInfo(item.name)
                info.size = item.size
                info.mtime = int(datetime.now(UTC).timestamp())
                with open_media(item) as handle:
                    reader = _HashingReader(handle)
                    archive.addfile(info, fileobj=reader)
                checksums[item.name] = reader.digest.hexdigest()
                size += item.size
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(),
                "code_version": code_version(),
                "vendor": connection.vendor,
                "media_storage": settings.MEDIA_STORAGE,
                "sha256": checksums,
            }
            info = tarfile.TarInfo("manifest.json")
            data = json.dumps(manifest, indent=2).encode()
            info.size = len(data)
            archive.addfile(info, fileobj=io.BytesIO(data))
        os.replace(partial, output)
    return BackupSummary(output, connection.vendor, len(checksums) - 1, size)


class _HashingReader:
    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def restore_site(archive_path: Path, *, force: bool = False) -> BackupSummary:
    """Replace the database and the media files with the archive's."""
    archive_path = Path(archive_path)
    with tempfile.TemporaryDirectory(prefix="cmr-restore-") as folder:
        root = Path(folder)
        with tarfile.open(archive_path, "r") as archive:
            archive.extractall(root, filter="data")  # refuses absolute paths, .. and links outside
        manifest = json.loads((root / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        if manifest["vendor"] != connection.vendor:
            raise BackupError(
                f"the backup is of a {manifest['vendor']} database; this site uses {connection.vendor}"
            )
        for name, digest in manifest["sha256"].items():
            if not (root / name).is_file() or _sha256(root / name) != digest:
                raise BackupError(f"{name} is missing or damaged in the archive; nothing was changed")
        if not force and _has_data():
            raise BackupError("the database already holds data; restore into an empty site, or pass --force")
        _restore_database(root / "database.dump")
        if settings.MEDIA_STORAGE == "s3":
            replace_bucket_media(root)
        else:
            _replace_local_media(root / "media")
        files = [name for name in manifest["sha256"] if name.startswith("media/")]
        return BackupSummary(archive_path, manifest["vendor"], len(files), 0)


def _replace_local_media(extracted: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    if media.exists():
        shutil.rmtree(media)
    if extracted.is_dir():
        shutil.copytree(extracted, media)
    else:
        media.mkdir(parents=True)


def _dump_database(target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        return
    if connection.vendor != "postgresql":
        raise BackupError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *_pg_connection()])


def _restore_database(dump: Path) -> None:
    if connection.vendor == "sqlite":
        connection.close()
        source = sqlite3.connect(dump)
        destination = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            source.backup(destination)
        finally:
            source.close()
            destination.close()
        return
    connection.close()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *_pg_connection(dbname_flag=True),
            str(dump),
        ]
    )


def _pg_connection(*, dbname_flag: bool = False) -> list[str]:
    db = settings.DATABASES["default"]
    args = [
        "--host",
        db.get("HOST") or "localhost",
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        db.get("USER") or "postgres",
    ]
    return [*args, "--dbname", db["NAME"]] if dbname_flag else [*args, db["NAME"]]


def _run(command: list[str]) -> None:
    environment = {**os.environ}
    password = settings.DATABASES["default"].get("PASSWORD")
    if password:
        environment["PGPASSWORD"] = password
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=3600)
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        ) from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _has_data() -> bool:
    try:
        return Case.objects.exists() or ReaderStudy.objects.exists()
    except Exception:  # noqa: BLE001 - an empty, unmigrated database holds no data
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
