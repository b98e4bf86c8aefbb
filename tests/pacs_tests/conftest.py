"""A throwaway Orthanc PACS per test module, and what happens where Orthanc is not installed."""

import os
from collections.abc import Callable, Mapping

import pytest

from tests.support.orthanc_server import OrthancUnavailable, find_orthanc, running_orthanc


def require_orthanc(
    *, environ: Mapping[str, str], find: Callable[[], tuple[str, str]] = find_orthanc
) -> None:
    """Skip when Orthanc is missing, except on CI, where a missing package fails the run.

    CI promises that the PACS path is tested; a silently skipped suite would break that promise.
    """
    try:
        find()
    except OrthancUnavailable as missing:
        if environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{missing}; CI must run the PACS tests (CI={environ['CI']!r})", pytrace=False)
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def orthanc():
    """A running Orthanc with DICOMweb and basic auth, on a free loopback port."""
    require_orthanc(environ=os.environ)
    with running_orthanc() as server:
        yield server
