"""Stored instances in an S3-compatible bucket, through django-storages' ``S3Storage``.

The storage (``STORAGES["dicom"]``) supplies the bucket, the key prefix (its ``location``), the
credentials and the boto3 client; the reads and writes here use that client directly because
the storage's own file object does not fit the frame path: ``S3File`` downloads the whole object
on its first read (django-storages 1.14), while a frame is ~100 kB of a file that may hold 250
of them. So a frame is one ranged GET, never a download of the instance.

Staging keeps the local store's promises (``storage.stage_parts``): a PUT is atomic, so the
final key is written directly when it is free (``If-None-Match: *``, S3's O_EXCL), and an
existing key (a duplicate, or an object whose row a killed import never wrote) gets its new
bytes under a temporary key that ``commit`` copies into place or ``discard`` deletes.
"""

import logging
import uuid
from collections.abc import Iterator
from posixpath import dirname

from botocore.exceptions import ClientError

from cmr_reader.imaging.storage import StagedFile
from cmr_reader.imaging.stored_bytes import CHUNK_SIZE

logger = logging.getLogger(__name__)

# 412: the key exists (If-None-Match: *). 409: another conditional write to it is in flight.
KEY_TAKEN = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


class S3InstanceStore:
    def __init__(self, storage):
        # Picklable (S3Storage drops its per-thread connections when pickled), so it crosses
        # into ingest's worker processes, where each opens its own connection.
        self.storage = storage

    @property
    def _client(self):
        return self.storage.connection.meta.client

    def key(self, relative: str) -> str:
        # safe_join under the storage's location: a relative path that climbs out is refused.
        return self.storage._normalize_name(relative)

    def _put(self, relative: str, body: bytes, **conditions) -> None:
        extra = dict(self.storage.object_parameters)
        if self.storage.default_acl:
            extra["ACL"] = self.storage.default_acl
        self._client.put_object(
            Bucket=self.storage.bucket_name,
            Key=self.key(relative),
            Body=body,
            ContentType="application/dicom",
            **extra,
            **conditions,
        )

    def stage(self, parts: list[bytes | memoryview], *, relative: str) -> StagedFile:
        body = b"".join(parts)
        try:
            self._put(relative, body, IfNoneMatch="*")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in KEY_TAKEN:
                raise
        else:
            return StagedFile(temp_path=None, relative_path=relative, size=len(body))
        temp = f"{dirname(relative)}/.incoming-{uuid.uuid4().hex}.part"
        self._put(temp, body)
        return StagedFile(temp_path=temp, relative_path=relative, size=len(body))

    def commit(self, staged: StagedFile) -> None:
        if staged.temp_path is None:
            return
        bucket = self.storage.bucket_name
        # A server-side copy: the bytes never come back through this machine.
        self._client.copy_object(
            Bucket=bucket,
            Key=self.key(staged.relative_path),
            CopySource={"Bucket": bucket, "Key": self.key(staged.temp_path)},
            ContentType="application/dicom",
            MetadataDirective="REPLACE",
        )
        self._client.delete_object(Bucket=bucket, Key=self.key(staged.temp_path))

    def discard(self, staged: StagedFile) -> None:
        if staged.temp_path is not None:
            self._client.delete_object(Bucket=self.storage.bucket_name, Key=self.key(staged.temp_path))

    def _get_range(self, relative: str, start: int, end: int | None = None) -> bytes:
        """Bytes ``start``..``end`` (inclusive; None: to the end of the object)."""
        response = self._client.get_object(
            Bucket=self.storage.bucket_name,
            Key=self.key(relative),
            Range=f"bytes={start}-{'' if end is None else end}",
        )
        return _read_all(response)

    def read_frames(
        self, relative: str, *, pixel_data_offset: int, frame_length: int, frame_numbers: list[int]
    ) -> list[bytes]:
        """One ranged GET per run of consecutive frames (one per frame for the viewer's requests)."""
        frames: dict[int, bytes] = {}
        for run in _consecutive_runs(sorted(set(frame_numbers))):
            start = pixel_data_offset + (run[0] - 1) * frame_length
            data = self._get_range(relative, start, start + len(run) * frame_length - 1)
            if len(data) != len(run) * frame_length:
                raise OSError(f"{relative}: frames {run[0]}-{run[-1]} are truncated ({len(data)} bytes)")
            for index, number in enumerate(run):
                frames[number] = data[index * frame_length : (index + 1) * frame_length]
        return [frames[number] for number in frame_numbers]

    def read_pixel_data(self, relative: str, *, pixel_data_offset: int) -> bytes:
        return self._get_range(relative, pixel_data_offset)

    def iter_file(self, relative: str) -> Iterator[bytes]:
        response = self._client.get_object(Bucket=self.storage.bucket_name, Key=self.key(relative))
        body = response["Body"]  # a StreamingBody's own ``with`` yields the raw stream
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()

    def read_file(self, relative: str) -> bytes:
        response = self._client.get_object(Bucket=self.storage.bucket_name, Key=self.key(relative))
        return _read_all(response)

    def writable(self) -> bool:
        """Writes and deletes a small object: only a write finds missing rights or a full quota."""
        probe = f".health-{uuid.uuid4().hex}"
        try:
            self._put(probe, b"ok")
            self._client.delete_object(Bucket=self.storage.bucket_name, Key=self.key(probe))
            return True
        except Exception:
            logger.exception("health check: DICOM object storage not writable")
            return False


def _consecutive_runs(numbers: list[int]) -> Iterator[list[int]]:
    run: list[int] = []
    for number in numbers:
        if run and number != run[-1] + 1:
            yield run
            run = []
        run.append(number)
    if run:
        yield run


def _read_all(response) -> bytes:
    body = response["Body"]
    try:
        return body.read()
    finally:
        body.close()
