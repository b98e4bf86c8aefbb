"""Where Orthanc is missing, the PACS tests skip on a workstation and fail on CI."""

import pytest

from tests.pacs_tests.conftest import require_orthanc
from tests.support.orthanc_server import OrthancUnavailable


def orthanc_is_missing() -> tuple[str, str]:
    raise OrthancUnavailable("Orthanc is not usable here: missing the Orthanc binary")


def test_missing_orthanc_fails_the_run_on_ci():
    with pytest.raises(pytest.fail.Exception, match="CI must run the PACS tests"):
        require_orthanc(environ={"CI": "true"}, find=orthanc_is_missing)


def test_missing_orthanc_skips_with_the_reason_elsewhere():
    with pytest.raises(pytest.skip.Exception, match="missing the Orthanc binary"):
        require_orthanc(environ={}, find=orthanc_is_missing)


def test_ci_set_to_false_counts_as_not_ci():
    with pytest.raises(pytest.skip.Exception):
        require_orthanc(environ={"CI": "false"}, find=orthanc_is_missing)


def test_installed_orthanc_neither_skips_nor_fails():
    require_orthanc(environ={"CI": "1"}, find=lambda: ("/usr/sbin/Orthanc", "/plugin.so"))
