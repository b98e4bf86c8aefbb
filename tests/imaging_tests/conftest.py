"""Fixtures for the imaging tests: the local S3 stand-in for MEDIA_STORAGE=s3, and the
de-identification tests' pseudonymizer (a module may define its own with another key)."""

import pytest

from cmr_reader.imaging.pseudonyms import Pseudonymizer
from tests.support.s3_server import moto_endpoint, s3_bucket, s3_media  # noqa: F401 (fixtures)


@pytest.fixture
def pseudonymizer():
    return Pseudonymizer("test-pseudonym-key")
