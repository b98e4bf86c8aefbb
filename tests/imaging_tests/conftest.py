"""Fixtures for the imaging tests: the local S3 stand-in for MEDIA_STORAGE=s3."""

from tests.support.s3_server import moto_endpoint, s3_bucket, s3_media  # noqa: F401 (fixtures)
