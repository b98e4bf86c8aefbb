"""MEDIA_STORAGE=s3: DICOM imported into an S3-compatible bucket reads back exactly as from disk.

The bucket is moto's S3 server on 127.0.0.1 (tests/support/s3_server.py), reached over HTTP
through django-storages and botocore as a real one would be.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.instance_store import LocalInstanceStore, dicom_store
from cmr_reader.imaging.models import Case, Instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.s3_instance_store import S3InstanceStore
from cmr_reader.imaging.sources import DicomSource, iter_path_sources
from cmr_reader.imaging.storage import absolute_path
from tests.dicomweb_tests.conftest import client_for, instance_path
from tests.dicomweb_tests.test_frames import parse_multipart
from tests.support.dicom_factory import make_mr, to_bytes

pytestmark = pytest.mark.django_db
OCTET = "application/octet-stream"
OCTET_MULTIPART = 'multipart/related; type="application/octet-stream"'
DICOM_MULTIPART = 'multipart/related; type="application/dicom"'


def multiframe_source(frames: int = 5) -> DicomSource:
    """One 5-frame instance with different pixels in every frame (ranged reads must not mix them)."""
    root = "1.2.826.0.1.3680043.8.498.4242."
    ds = make_mr(rows=16, columns=16, study_uid=root + "1", series_uid=root + "2")
    # Fixed UIDs: imported twice, it must map to the same stored file both times.
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = root + "3"
    ds.FrameOfReferenceUID = root + "4"
    ds.NumberOfFrames = frames
    ds.PixelData = b"".join(bytes([n * 17 % 256, n]) * (16 * 16) for n in range(frames))
    data = to_bytes(ds)
    return DicomSource(name="multiframe.dcm", read=lambda: data)


def sources(case_dir: Path) -> list[DicomSource]:
    return [*iter_path_sources(sorted(case_dir.glob("*.dcm"))), multiframe_source()]


def import_case(case_dir: Path, **where) -> dict:
    summary = import_sources(sources(case_dir), pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY), **where)
    return summary.as_dict()


class Streamed(dict):
    """A streamed response read to its end, shaped as parse_multipart reads responses."""

    def __init__(self, response):
        super().__init__({"Content-Type": response["Content-Type"]})
        self.content = b"".join(response.streaming_content)


def read_everything_back(client) -> dict:
    """What a viewer and a DICOMweb client get: metadata, every frame, bulk data, whole files."""
    seen = {}
    for case in Case.objects.all():
        study = f"/dicomweb/studies/{case.study_instance_uid}"
        response = client.get(study + "/metadata", HTTP_ACCEPT="application/dicom+json")
        assert response.status_code == 200
        seen[study + "/metadata"] = response.json()
    for instance in Instance.objects.select_related("series__case").order_by("sop_instance_uid"):
        path = instance_path(instance)
        for frame in range(1, instance.number_of_frames + 1):
            response = client.get(f"{path}/frames/{frame}", HTTP_ACCEPT=OCTET)
            assert response.status_code == 200, response.content
            seen[f"{path}/frames/{frame}"] = response.content
        if instance.number_of_frames > 2:
            # Out of order, with a gap: two ranged GETs (frames 1-2 and 4), answered in asked order.
            response = client.get(f"{path}/frames/4,1,2", HTTP_ACCEPT=OCTET_MULTIPART)
            seen[f"{path}/frames/4,1,2"] = [body for _type, body in parse_multipart(response)]
        seen[f"{path}/bulk"] = client.get(f"{path}/bulk/7FE00010", HTTP_ACCEPT=OCTET).content
        response = client.get(path, HTTP_ACCEPT=DICOM_MULTIPART)
        seen[path] = [body for _type, body in parse_multipart(Streamed(response))]
        response = client.get(
            "/dicomweb/wado",
            {
                "requestType": "WADO",
                "studyUID": instance.series.case.study_instance_uid,
                "seriesUID": instance.series.series_instance_uid,
                "objectUID": instance.sop_instance_uid,
            },
        )
        seen[f"wado {instance.sop_instance_uid}"] = b"".join(response.streaming_content)
    return seen


def test_an_import_into_the_bucket_reads_back_byte_identical_to_local_storage(
    settings, synthetic_case_dir, private_storage, s3_media, coordinator
):
    client = client_for(coordinator)
    settings.MEDIA_STORAGE = "local"
    local_summary = import_case(synthetic_case_dir, store=dicom_store())
    local_files = {
        row.file_path: absolute_path(row.file_path, root=private_storage).read_bytes()
        for row in Instance.objects.all()
    }
    from_disk = read_everything_back(client)
    Case.objects.all().delete()

    settings.MEDIA_STORAGE = "s3"
    for path in private_storage.rglob("*"):
        if path.is_file():
            path.unlink()
    s3_summary = import_case(synthetic_case_dir, store=dicom_store())
    from_bucket = read_everything_back(client)

    assert s3_summary == local_summary and s3_summary["instances_imported"] == len(local_files) > 10
    assert s3_summary["rejected"] == []
    assert from_bucket == from_disk
    assert any(key.endswith("/frames/4,1,2") for key in from_bucket)
    # The bucket holds exactly the files the disk held, byte for byte, and the disk nothing.
    assert s3_media.keys() == sorted(f"dicom/{relative}" for relative in local_files)
    assert all(s3_media.read(f"dicom/{relative}") == data for relative, data in local_files.items())
    assert not [path for path in private_storage.rglob("*") if path.is_file()]


def test_the_fast_lane_reads_its_frame_from_the_bucket(synthetic_case_dir, s3_media, coordinator):
    from cmr_reader.imaging.frame_fast_lane import FrameFastLane

    import_case(synthetic_case_dir, store=dicom_store())
    instance = Instance.objects.select_related("series__case").get(number_of_frames=5)
    client = client_for(coordinator)
    through_django = client.get(instance_path(instance) + "/frames/3", HTTP_ACCEPT=OCTET)
    lane = FrameFastLane(app=lambda environ, start_response: pytest.fail("fell back to Django"))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    answered = []
    body = lane(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": instance_path(instance) + "/frames/3",
            "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}",
            "HTTP_ACCEPT": OCTET,
        },
        lambda status, headers: answered.append(status),
    )
    assert isinstance(lane.store, S3InstanceStore)
    assert answered == ["200 OK"] and b"".join(body) == through_django.content
    assert len(through_django.content) == 16 * 16 * 2


def test_a_reimport_skips_duplicates_and_leaves_no_temporary_objects(synthetic_case_dir, s3_media):
    first = import_case(synthetic_case_dir, store=dicom_store())
    keys = s3_media.keys()
    second = import_case(synthetic_case_dir, store=dicom_store())

    assert second["instances_imported"] == 0
    assert second["duplicates_skipped"] == first["instances_imported"]
    assert s3_media.keys() == keys
    assert not [key for key in keys if ".incoming-" in key]


def test_an_object_whose_row_a_killed_import_never_wrote_is_replaced_with_the_right_bytes(
    synthetic_case_dir, s3_media
):
    import_case(synthetic_case_dir, store=dicom_store())
    good = {key: s3_media.read(key) for key in s3_media.keys()}
    Case.objects.all().delete()  # the rows are gone; the objects stay, as after a crash
    victim = sorted(good)[0]
    s3_media.client.put_object(Bucket=s3_media.name, Key=victim, Body=b"half-written by a killed import")

    summary = import_case(synthetic_case_dir, store=dicom_store())

    assert summary["instances_imported"] == len(good)
    assert {key: s3_media.read(key) for key in s3_media.keys()} == good


def test_prepare_workers_write_to_the_bucket_through_their_own_connections(synthetic_case_dir, s3_media):
    summary = import_case(synthetic_case_dir, store=dicom_store(), workers=2)

    assert summary["instances_imported"] == Instance.objects.count() > 10
    assert len(s3_media.keys("dicom/")) == summary["instances_imported"]


def test_a_relative_path_that_climbs_out_of_the_prefix_is_refused(s3_media):
    store = dicom_store()
    with pytest.raises(SuspiciousOperation, match="denied"):
        store.read_file("../media/secret")


def test_analysis_bundles_and_other_files_go_to_the_bucket_under_media(s3_media):
    name = default_storage.save("analysis/study-1/run/bundle.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18))

    assert s3_media.keys("media/") == [f"media/{name}"]
    with default_storage.open(name, "rb") as handle:
        assert handle.read().startswith(b"PK")


def test_health_checks_that_the_bucket_can_be_written(client, s3_media, settings):
    assert client.get("/health/").json()["storage_writable"] is True
    assert s3_media.keys() == []  # the probe object is deleted again

    settings.STORAGES = {
        **settings.STORAGES,
        "dicom": {
            **settings.STORAGES["dicom"],
            "OPTIONS": {**settings.STORAGES["dicom"]["OPTIONS"], "bucket_name": "no-such-bucket"},
        },
    }
    assert client.get("/health/").json()["storage_writable"] is False


def test_local_disk_stays_the_default():
    assert settings.MEDIA_STORAGE == "local"
    assert isinstance(dicom_store(), LocalInstanceStore)


def _settings_in_a_fresh_process(environment: dict) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup();"
        "from django.core.files.storage import storages;"
        "s = storages['dicom']; print(type(s).__name__, s.bucket_name, s.location, s.endpoint_url)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cmr_reader.settings", **environment}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_the_environment_switches_media_to_the_bucket(tmp_path):
    result = _settings_in_a_fresh_process(
        {
            "DATA_DIR": str(tmp_path),
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "cmr-media",
            "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "AWS_S3_REGION_NAME": "eu-west-1",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "cmr-media", "dicom", "http://127.0.0.1:9000"]


def test_a_bucket_setting_without_a_bucket_name_stops_the_site_with_the_reason(tmp_path):
    result = _settings_in_a_fresh_process(
        {"DATA_DIR": str(tmp_path), "MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": ""}
    )
    assert result.returncode != 0
    assert "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr


@pytest.mark.django_db(transaction=True)  # the dump reads the database file: the data must be committed
def test_a_site_on_a_bucket_comes_back_from_its_backup(synthetic_case_dir, s3_media, tmp_path, coordinator):
    from django.core.management import call_command

    import_case(synthetic_case_dir, store=dicom_store())
    default_storage.save("analysis/study-1/run/bundle.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18))
    objects = {key: s3_media.read(key) for key in s3_media.keys()}
    instances = Instance.objects.count()
    archive = tmp_path / "backup.tar"

    call_command("backup_site", str(archive))
    call_command("flush", "--no-input")
    for key in objects:
        s3_media.client.delete_object(Bucket=s3_media.name, Key=key)
    s3_media.client.put_object(Bucket=s3_media.name, Key="dicom/stray.dcm", Body=b"not in the backup")
    call_command("restore_site", str(archive))

    assert {key: s3_media.read(key) for key in s3_media.keys()} == objects
    assert Instance.objects.count() == instances
    assert len([key for key in objects if key.startswith("media/")]) == 1
    # Read back through the site by the restored coordinator: frame 2 of the 5-frame instance.
    instance = Instance.objects.select_related("series__case").get(number_of_frames=5)
    client = client_for(type(coordinator).objects.get(username=coordinator.username))
    response = client.get(instance_path(instance) + "/frames/2", HTTP_ACCEPT=OCTET)
    assert response.status_code == 200 and response.content == bytes([17, 1]) * 256
