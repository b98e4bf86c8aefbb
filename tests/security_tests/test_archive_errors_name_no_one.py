"""A damaged or hostile archive is reported without the names inside it (ADR 0005).

zipfile names the member in its errors ("Bad CRC-32 for file 'ZHANG_WEI_123456789/IM0001.dcm'"),
and an OSError carries its path. Whatever an import stores (rejections, the job's error, its label
and summary), shows (the job page, the API) or logs names a file only by its position and its
cleaned name. Imports run the way the worker and the import_dicom command run them.
"""

import json
import logging
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cmr_reader.imaging.import_jobs import create_paths_job, run_import_job
from cmr_reader.imaging.models import ImportJob, Instance
from tests.support.dicom_factory import make_mr, to_bytes

pytestmark = pytest.mark.django_db

MEMBER = "ZHANG_WEI_123456789/IM0001.dcm"
# What must never be seen: pieces of the member's and the archive's names, and the folder.
IDENTIFYING = ("ZHANG", "123456789", "IM0001", "张伟", "19900307", "incoming")


def dicom() -> bytes:
    return to_bytes(make_mr())


@pytest.fixture
def incoming(tmp_path) -> Path:
    folder = tmp_path / "incoming" / "张伟_19900307"
    folder.mkdir(parents=True)
    return folder


def write_zip(path: Path, members: list[tuple[str, bytes]], *, compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def member_data_offset(data: bytes, member: str) -> tuple[int, int]:
    """Where the member's local header and its (compressed) data start."""
    encoded = member.encode()
    local = data.index(b"PK\x03\x04")
    while data[local + 30 : local + 30 + len(encoded)] != encoded:
        local = data.index(b"PK\x03\x04", local + 4)
    name_length, extra_length = struct.unpack_from("<HH", data, local + 26)
    return local, local + 30 + name_length + extra_length


def flip_a_byte_of(archive: Path, member: str) -> None:
    data = bytearray(archive.read_bytes())
    _local, start = member_data_offset(bytes(data), member)
    data[start + 200] ^= 0xFF  # inside the data, past any header of the DICOM file itself
    archive.write_bytes(bytes(data))


def mark_encrypted(archive: Path, member: str) -> None:
    data = bytearray(archive.read_bytes())
    local, _start = member_data_offset(bytes(data), member)
    data[local + 6] |= 0x01
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(member.encode())] != member.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x01
    archive.write_bytes(bytes(data))


def import_folder(folder: Path, settings) -> ImportJob:
    settings.INGEST_WORKERS = 1
    job = create_paths_job(paths=[folder.parent])
    run_import_job(job=job)
    job.refresh_from_db()
    return job


def everything_said_about(job: ImportJob, client, caplog) -> str:
    """The job's row, its API answer, its page and the log, as one text."""
    api = client.get(reverse("import-job-detail", args=[job.pk]), HTTP_ACCEPT="application/json")
    page = client.get(reverse("imaging:import_job", args=[job.pk]))
    assert api.status_code == page.status_code == 200
    stored = [job.label, job.error, job.rejected, job.summary]
    return "\n".join(
        [
            json.dumps(stored, ensure_ascii=False),
            json.dumps(api.json(), ensure_ascii=False),
            page.content.decode(),
            caplog.text,
        ]
    )


def assert_names_no_one(text: str, tmp_path: Path) -> None:
    for piece in (*IDENTIFYING, str(tmp_path)):
        assert piece not in text


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.mark.parametrize(
    ("compression", "said"),
    [
        (zipfile.ZIP_STORED, "could not be read (Bad CRC-32 for file …)"),
        (zipfile.ZIP_DEFLATED, "could not be read ("),
    ],
    ids=["stored", "deflated"],
)
def test_a_member_failing_its_crc_is_rejected_by_position_and_cleaned_name(
    compression, said, incoming, tmp_path, settings, coordinator_client, caplog
):
    archive = write_zip(
        incoming / "ZHANG_WEI_123456789.zip",
        [(MEMBER, dicom()), ("ZHANG_WEI_123456789/IM_0002.dcm", dicom())],
        compression=compression,
    )
    flip_a_byte_of(archive, MEMBER)
    caplog.set_level(logging.DEBUG)

    job = import_folder(incoming, settings)

    assert (job.state, job.instances_imported) == (ImportJob.State.DONE, 1)
    ((rejection),) = job.rejected
    assert rejection["file"] == "#1 ….zip:….dcm"
    assert rejection["reason"].startswith(said)
    assert_names_no_one(everything_said_about(job, coordinator_client, caplog), tmp_path)


def test_an_encrypted_member_is_rejected_without_its_name(
    incoming, tmp_path, settings, coordinator_client, caplog
):
    archive = write_zip(incoming / "export.zip", [(MEMBER, dicom())])
    mark_encrypted(archive, MEMBER)
    caplog.set_level(logging.DEBUG)

    job = import_folder(incoming, settings)

    assert job.rejected == [
        {
            "file": "#1 export.zip:….dcm",
            "reason": "could not be read (File … is encrypted, password required for extraction)",
        }
    ]
    assert_names_no_one(everything_said_about(job, coordinator_client, caplog), tmp_path)


def test_an_archive_cut_short_is_refused_whole_and_the_rest_imported(
    incoming, tmp_path, settings, coordinator_client, caplog
):
    archive = write_zip(incoming / "ZHANG_WEI_123456789.zip", [(MEMBER, dicom()), ("IM_0002.dcm", dicom())])
    archive.write_bytes(archive.read_bytes()[:1000])  # a download that stopped: no central directory
    (incoming / "IM_0003.dcm").write_bytes(dicom())
    caplog.set_level(logging.DEBUG)

    job = import_folder(incoming, settings)

    assert (job.state, job.instances_imported) == (ImportJob.State.DONE, 1)
    assert job.rejected == [
        {"file": "#2 ….zip", "reason": "the archive is damaged or incomplete: re-export it"}
    ]
    assert_names_no_one(everything_said_about(job, coordinator_client, caplog), tmp_path)


def test_an_archive_missing_a_piece_rejects_the_member_it_cut_and_imports_the_others(
    incoming, tmp_path, settings, coordinator_client, caplog
):
    archive = write_zip(incoming / "export.zip", [(MEMBER, dicom()), ("IM_0002.dcm", dicom())])
    data = archive.read_bytes()
    archive.write_bytes(data[:100] + data[400:])  # the first member loses its header and 300 bytes
    caplog.set_level(logging.DEBUG)

    job = import_folder(incoming, settings)

    assert (job.state, job.instances_imported) == (ImportJob.State.DONE, 1)
    ((rejection),) = job.rejected
    assert rejection["file"] == "#2 export.zip:….dcm"
    assert rejection["reason"].startswith("could not be read (")
    assert_names_no_one(everything_said_about(job, coordinator_client, caplog), tmp_path)


def test_members_with_unsafe_paths_are_refused_by_cleaned_name(
    incoming, tmp_path, settings, coordinator_client, caplog
):
    write_zip(
        incoming / "export.zip",
        [
            ("../ZHANG_WEI_123456789/IM0001.dcm", dicom()),
            ("/data/incoming/张伟/IM0001.dcm", dicom()),
            ("C:\\incoming\\ZHANG_WEI_123456789\\IM0001.dcm", dicom()),
            ("series/IM_0004.dcm", dicom()),
        ],
    )
    caplog.set_level(logging.DEBUG)

    job = import_folder(incoming, settings)

    assert job.instances_imported == 1
    assert len(job.rejected) == 3
    assert all(r["reason"].startswith("unsafe path in the archive") for r in job.rejected)
    assert {r["file"].split(" ", 1)[1] for r in job.rejected} == {"export.zip:….dcm", "export.zip:…:….dcm"}
    assert_names_no_one(everything_said_about(job, coordinator_client, caplog), tmp_path)


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_archive_with_a_bad_member_shows_and_logs_no_name(
    coordinator_client, tmp_path, settings, caplog
):
    archive = write_zip(tmp_path / "upload.zip", [(MEMBER, dicom()), ("IM_0002.dcm", dicom())])
    flip_a_byte_of(archive, MEMBER)
    caplog.set_level(logging.DEBUG)

    coordinator_client.post(
        reverse("imaging:upload"),
        {"files": [SimpleUploadedFile("张伟_19900307_ZHANG_WEI_123456789.zip", archive.read_bytes())]},
    )
    call_command(
        "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0
    )

    job = ImportJob.objects.get()
    assert (job.state, job.instances_imported, Instance.objects.count()) == (ImportJob.State.DONE, 1, 1)
    assert job.label == "….zip"
    assert job.rejected == [{"file": "#2 ….zip:….dcm", "reason": "could not be read (Bad CRC-32 for file …)"}]
    assert_names_no_one(everything_said_about(job, coordinator_client, caplog), tmp_path)
