"""End to end on a real Siemens cine series: import it, then read it back over DICOMweb."""

import email.parser
import email.policy

import pydicom
import pytest
from django.conf import settings
from django.core.management import call_command

from cmr_reader.imaging.models import Instance


@pytest.fixture
def imported_cine(db, real_cine_dir) -> list[Instance]:
    call_command("import_dicom", str(real_cine_dir))
    instances = list(Instance.objects.select_related("series__case").order_by("instance_number"))
    assert len(instances) == 25
    return instances


def test_real_cine_frames_equal_the_stored_pixels_and_metadata_loads(imported_cine, coordinator_client):
    first, last = imported_cine[0], imported_cine[-1]
    series = first.series
    base = f"/dicomweb/studies/{series.case.study_instance_uid}/series/{series.series_instance_uid}"

    metadata = coordinator_client.get(base + "/metadata").json()
    assert len(metadata) == 25
    datasets = [pydicom.Dataset.from_json(item, bulk_data_uri_handler=lambda *args: b"") for item in metadata]
    assert {ds.SOPInstanceUID for ds in datasets} == {i.sop_instance_uid for i in imported_cine}
    assert all("BulkDataURI" in item["7FE00010"] for item in metadata)

    for instance in (first, last):
        response = coordinator_client.get(
            f"{base}/instances/{instance.sop_instance_uid}/frames/1",
            HTTP_ACCEPT="multipart/related; type=application/octet-stream; transfer-syntax=*",
        )
        raw = b"Content-Type: " + response["Content-Type"].encode() + b"\r\n\r\n" + response.content
        [part] = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw).iter_parts()
        stored = pydicom.dcmread(settings.DICOM_STORAGE_ROOT / instance.file_path)
        assert (
            part.get_payload(decode=True)
            == stored.pixel_array.astype(stored.pixel_array.dtype.newbyteorder("<")).tobytes()
        )
        assert len(part.get_payload(decode=True)) == instance.rows * instance.columns * 2
