"""Hostile uploads: zip bombs, climbing and absolute paths, links, nested archives, oversize posts.

The import's policy (ingest.py): a refused file gets its reason and the import goes on with the
rest, so good members beside a bad one are imported; an archive over the archive-wide limits
(entries, unpacked size) is refused whole, as one line, before any member is inflated. Nothing
refused is ever stored. The single-member size cap is tested in
tests/imaging_tests/test_ingest_bad_input.py and upload-name traversal in test_upload.py.
"""

import io
import stat
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cmr_reader.imaging import sources
from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import ImportJob, Instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from tests.support.dicom_factory import make_mr, to_bytes

pytestmark = pytest.mark.django_db


def dicom() -> bytes:
    return to_bytes(make_mr())


def write_zip(
    path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]], *, deflate: bool = True
) -> Path:
    with zipfile.ZipFile(
        path, "w", compression=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    ) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def import_paths(*paths: Path, storage: Path, workers: int = 1) -> dict:
    summary = import_sources(
        sources.iter_path_sources(paths),
        pseudonymizer=Pseudonymizer("test-key"),
        storage_root=storage,
        workers=workers,
    )
    return summary.as_dict()


def reasons(summary: dict) -> dict[str, str]:
    return {r["file"].split(" ", 1)[1]: r["reason"] for r in summary["rejected"]}


def stored_files(storage: Path) -> list[Path]:
    return [p for p in storage.rglob("*") if p.is_file()] if storage.exists() else []


def assert_only_imported_instances_are_stored(storage: Path, count: int) -> None:
    assert Instance.objects.count() == count
    assert len(stored_files(storage)) == count


@pytest.mark.parametrize("workers", [1, 2])
def test_a_member_that_would_inflate_a_thousandfold_is_refused_unread_beside_a_good_one(
    workers, tmp_path, private_storage
):
    archive = write_zip(
        tmp_path / "export.zip",
        [("IM_0001.dcm", b"\x00" * (64 * 1024 * 1024)), ("IM_0002.dcm", dicom())],  # 64 MiB -> ~64 kB
    )

    summary = import_paths(archive, storage=private_storage, workers=workers)

    assert summary["instances_imported"] == 1
    ((name, reason),) = reasons(summary).items()
    assert name == "export.zip:IM_0001.dcm"
    assert reason.startswith("compressed 1") and "zip bomb" in reason and reason.endswith("not unpacked")
    assert_only_imported_instances_are_stored(private_storage, 1)


def test_an_archive_declaring_more_than_the_unpacked_limit_is_refused_whole(
    tmp_path, private_storage, monkeypatch
):
    monkeypatch.setattr(sources, "MAX_ARCHIVE_BYTES", 3 * 1024 * 1024)
    # Each member is ordinary (incompressible, 1 MiB); together they pass the limit.
    members = [(f"IM_{n:04d}.dcm", bytes(range(256)) * 4096) for n in range(4)] + [("IM_0009.dcm", dicom())]
    archive = write_zip(tmp_path / "big.zip", members, deflate=False)
    beside = tmp_path / "IM_0100.dcm"
    beside.write_bytes(dicom())

    summary = import_paths(archive, beside, storage=private_storage)

    (reason,) = reasons(summary).values()
    assert list(reasons(summary)) == ["….zip"]
    assert reason.startswith("the archive would unpack to 4.0\xa0MB, more than the 3.0\xa0MB allowed")
    assert summary["instances_imported"] == 1  # the file beside the archive, not the archive's good member
    assert_only_imported_instances_are_stored(private_storage, 1)


def test_a_member_that_lies_about_its_size_is_never_inflated_past_what_it_declares(tmp_path, private_storage):
    archive = write_zip(
        tmp_path / "liar.zip", [("IM_0001.dcm", b"\x00" * (32 * 1024 * 1024)), ("IM_0002.dcm", dicom())]
    )
    declare_size(archive, "IM_0001.dcm", 4096)

    summary = import_paths(archive, storage=private_storage)

    (reason,) = reasons(summary).values()
    assert "could not be read" in reason and "CRC" in reason
    assert summary["instances_imported"] == 1
    assert_only_imported_instances_are_stored(private_storage, 1)


def declare_size(archive: Path, member: str, size: int) -> None:
    """Rewrite the member's uncompressed size in its local header and central directory entry."""
    data = bytearray(archive.read_bytes())
    encoded = member.encode()
    local = data.index(b"PK\x03\x04")
    while data[local + 30 : local + 30 + len(encoded)] != encoded:
        local = data.index(b"PK\x03\x04", local + 4)
    struct.pack_into("<I", data, local + 22, size)
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(encoded)] != encoded:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, size)
    archive.write_bytes(bytes(data))


def test_an_archive_of_too_many_entries_is_refused_before_its_directory_is_read(
    tmp_path, private_storage, monkeypatch
):
    monkeypatch.setattr(sources, "MAX_ARCHIVE_MEMBERS", 10)
    archive = write_zip(tmp_path / "many.zip", [(f"IM_{n:04d}.dcm", dicom()) for n in range(11)])

    def never(*args, **kwargs):
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(sources.zipfile, "ZipFile", never)
    summary = import_paths(archive, storage=private_storage)

    assert reasons(summary) == {"….zip": "the archive holds 11 entries, more than the 10 allowed"}
    assert_only_imported_instances_are_stored(private_storage, 0)


def test_climbing_absolute_and_drive_paths_are_refused_even_when_they_hold_dicom(tmp_path, private_storage):
    archive = write_zip(
        tmp_path / "paths.zip",
        [
            ("../../etc/IM_0001.dcm", dicom()),
            ("/var/lib/IM_0002.dcm", dicom()),
            ("C:\\Windows\\IM_0003.dcm", dicom()),
            ("series/../../IM_0004.dcm", dicom()),
            ("series/IM_0005.dcm", dicom()),
        ],
    )

    summary = import_paths(archive, storage=private_storage)

    assert len(summary["rejected"]) == 4
    assert all(r["reason"].startswith("unsafe path in the archive") for r in summary["rejected"])
    assert summary["instances_imported"] == 1
    assert_only_imported_instances_are_stored(private_storage, 1)
    assert not (tmp_path / "etc").exists() and not (private_storage.parent / "etc").exists()


def test_a_symbolic_link_entry_is_not_followed(tmp_path, private_storage):
    link = zipfile.ZipInfo("IM_0001.dcm")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    target = tmp_path / "outside.dcm"
    target.write_bytes(dicom())  # where the link points: a readable DICOM file, never read
    archive = write_zip(tmp_path / "links.zip", [(link, str(target).encode()), ("IM_0002.dcm", dicom())])

    summary = import_paths(archive, storage=private_storage)

    assert reasons(summary) == {"….zip:IM_0001.dcm": "a symbolic link inside an archive is not followed"}
    assert summary["instances_imported"] == 1
    assert_only_imported_instances_are_stored(private_storage, 1)


def test_an_archive_inside_the_archive_is_not_opened_by_name_or_by_content(tmp_path, private_storage):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("IM_0001.dcm", dicom())
    archive = write_zip(
        tmp_path / "outer.zip",
        [("inner.zip", inner.getvalue()), ("IM_0002.dcm", inner.getvalue()), ("IM_0003.dcm", dicom())],
    )

    summary = import_paths(archive, storage=private_storage)

    assert set(reasons(summary)) == {"….zip:….zip", "….zip:IM_0002.dcm"}  # "inner" and "outer" hidden
    assert all(reason.startswith("an archive inside an archive") for reason in reasons(summary).values())
    assert summary["instances_imported"] == 1
    assert_only_imported_instances_are_stored(private_storage, 1)


def test_a_file_that_is_not_dicom_inside_an_archive_is_refused_and_the_rest_imported(
    tmp_path, private_storage
):
    archive = write_zip(
        tmp_path / "mixed.zip",
        [("report.pdf", b"%PDF-1.7 not an image"), ("IM_0001.dcm", dicom()), ("IM_0002.dcm", dicom())],
    )

    summary = import_paths(archive, storage=private_storage)

    assert reasons(summary) == {"….zip:….pdf": "not a DICOM file"}
    assert summary["instances_imported"] == 2
    assert_only_imported_instances_are_stored(private_storage, 2)


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(client, coordinator, settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    client.force_login(coordinator)

    response = client.post(
        reverse("imaging:upload"), {"files": [SimpleUploadedFile("IM_0001.dcm", b"\x00" * 100_000)]}
    )

    assert response.status_code == 413
    page = response.content.decode()
    assert "one upload may be at most 64.0" in page and "Upload the files in parts." in page
    assert ImportJob.objects.count() == 0
    assert not Path(settings.UPLOAD_STAGING_ROOT).exists() or not any(
        Path(settings.UPLOAD_STAGING_ROOT).iterdir()
    )


def test_an_upload_under_the_limit_still_needs_its_csrf_token(coordinator, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)

    response = client.post(reverse("imaging:upload"), {"files": [SimpleUploadedFile("IM_0001.dcm", dicom())]})

    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_hostile_archive_uploaded_on_the_web_imports_only_its_good_member(
    client, coordinator, tmp_path, settings
):
    link = zipfile.ZipInfo("IM_0003.dcm")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = write_zip(
        tmp_path / "export.zip",
        [
            ("IM_0001.dcm", b"\x00" * (16 * 1024 * 1024)),
            ("../IM_0002.dcm", dicom()),
            (link, b"/etc/passwd"),
            ("IM_0004.dcm", dicom()),
        ],
    )
    client.force_login(coordinator)

    client.post(
        reverse("imaging:upload"), {"files": [SimpleUploadedFile("export.zip", archive.read_bytes())]}
    )
    call_command(
        "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0
    )

    job = ImportJob.objects.get()
    assert (job.state, job.instances_imported, len(job.rejected)) == (ImportJob.State.DONE, 1, 3)
    page = client.get(reverse("imaging:import_job", kwargs={"job_id": job.pk})).content.decode()
    for reason in ("zip bomb", "unsafe path in the archive", "symbolic link"):
        assert reason in page
    assert len(stored_files(Path(settings.DICOM_STORAGE_ROOT))) == Instance.objects.count() == 1
