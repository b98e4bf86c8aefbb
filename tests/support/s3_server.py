"""A local S3 stand-in for MEDIA_STORAGE=s3 tests: moto's server on 127.0.0.1, one bucket a test.

The site talks to it over HTTP exactly as it would to AWS or MinIO (botocore, signed requests,
ranged GETs), so nothing is mocked inside the process; nothing leaves the machine.
"""

import uuid
from dataclasses import dataclass

import boto3
import pytest

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing-key", "aws_secret_access_key": "testing-secret"}


@dataclass
class Bucket:
    name: str
    endpoint_url: str
    client: object

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


def storage_options(bucket: Bucket, *, location: str) -> dict:
    """What settings.py builds from the AWS_* environment variables for MEDIA_STORAGE=s3."""
    return {
        "bucket_name": bucket.name,
        "endpoint_url": bucket.endpoint_url,
        "region_name": REGION,
        "access_key": CREDENTIALS["aws_access_key_id"],
        "secret_key": CREDENTIALS["aws_secret_access_key"],
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": True,
        "location": location,
    }


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint) -> Bucket:
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION, **CREDENTIALS)
    name = f"cmr-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return Bucket(name=name, endpoint_url=moto_endpoint, client=client)


@pytest.fixture
def s3_media(settings, s3_bucket) -> Bucket:
    """The site switched to MEDIA_STORAGE=s3 on a fresh bucket, as settings.py would set it up."""
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": storage_options(s3_bucket, location="media"),
        },
        "dicom": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": storage_options(s3_bucket, location="dicom"),
        },
    }
    return s3_bucket
