"""Fixtures shared by every test package: personas and a private storage area per test."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import translation

from cmr_reader.accounts.roles import Role

# Whole test packages that need more than Python and SQLite, or take seconds per test: the markers
# let `make check` run the fast rest (-m "not browser and not orthanc and not postgres and not
# slow"); CI runs everything.
PACKAGE_MARKS = {
    "browser_tests": ("browser", "slow", "serial"),
    "pacs_tests": ("orthanc", "slow", "serial"),
    "fault_tests": ("slow", "serial"),
    "inference_tests": ("slow",),
    "demo_tests": ("slow",),
}


# Modules elsewhere whose tests take seconds each (subprocesses, a local S3 server, whole-study
# analyses, model fits, synthetic series): measured with --durations on the fast set.
SLOW_MODULES = {
    "test_s3_media_storage",
    "test_study_analysis",
    "test_dashboard_in_chinese",
    "test_mixed_models",
    "test_comparison_table",
    "test_production_settings",
    "test_security_headers",
    "test_blinding_audit",
    "test_spreadsheet_safe_exports",
    "test_planted_identifiers",
    "test_synthetic_cases",
    "test_synthetic_reports",
    "test_api_schemathesis",
    "test_answers_stay_whole",
}


# Tests that time real processes against each other (workers killed mid-job, leases running out,
# servers started and stopped): run alone, after the parallel part (scripts/test.sh).
SERIAL_MODULES = {"test_generation_takeover", "test_demo_server", "test_worker_queue"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        for name in PACKAGE_MARKS.get(path.parent.name, ()):
            item.add_marker(name)
        if path.stem in SLOW_MODULES:
            item.add_marker("slow")
        if path.stem in SERIAL_MODULES:
            item.add_marker("serial")
        fixtures = getattr(item, "fixturenames", ())
        if "browser" in fixtures:
            item.add_marker("browser")
        if "browser" in fixtures or "live_server" in fixtures:
            item.add_marker("slow")
            item.add_marker("serial")


SHARED_REAL_CINE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-cmr-cine-rvla"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, test in a file (WAL, IMMEDIATE transactions, as deployed) rather than Django's
    in-memory default: there the live server's threads all share the test's one connection, so
    the browser's concurrent requests (frames, autosaves) trample each other's transactions."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            Path(tempfile.gettempdir()) / f"cmr-reader-test-{os.getpid()}.sqlite3"
        )


@pytest.fixture(autouse=True)
def interface_language_of_its_own():
    """Each test starts in no particular language, whatever the one before it left active: a
    request through the test client runs in this thread, and the language a Chinese page
    activated would otherwise stay for the next test's management command or form."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Every test writes DICOM, staging and demo files under its own temporary folder."""
    settings.DATA_DIR = tmp_path / "var"
    settings.DICOM_STORAGE_ROOT = tmp_path / "var" / "dicom"
    settings.UPLOAD_STAGING_ROOT = tmp_path / "var" / "staging"
    settings.PSEUDONYM_KEY = "test-pseudonym-key"
    # Tests create many users; the production hasher is slow by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.DICOM_STORAGE_ROOT


@pytest.fixture
def real_cine_dir() -> Path:
    if not SHARED_REAL_CINE.is_dir():
        pytest.skip(f"real CMR cine not available at {SHARED_REAL_CINE} (../shared/data is absent)")
    return SHARED_REAL_CINE


@pytest.fixture
def synthetic_case_dir(tmp_path, synthetic_case_template) -> Path:
    """One small synthetic CMR study (DICOM + ground_truth.json) that every machine can make: a
    private copy per test (tests may damage files), made once per session (seeded, so the same)."""
    target = tmp_path / "synthetic" / synthetic_case_template.name
    shutil.copytree(synthetic_case_template, target)
    return target


@pytest.fixture(scope="session")
def synthetic_case_template(tmp_path_factory) -> Path:
    from cmr_reader.domain.synthetic import write_cases

    (case_dir,) = write_cases(tmp_path_factory.mktemp("synthetic"), cases=1, seed=5, matrix=32, phases=6)
    return case_dir


def _user_with_role(username: str, role: Role | None):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    if role is not None:
        group, _ = Group.objects.get_or_create(name=role.value)
        user.groups.add(group)
    return user


@pytest.fixture
def coordinator(db):
    return _user_with_role("carol_coordinator", Role.COORDINATOR)


@pytest.fixture
def statistician(db):
    return _user_with_role("sam_statistician", Role.STATISTICIAN)


@pytest.fixture
def reader(db):
    return _user_with_role("rita_reader", Role.READER)


@pytest.fixture
def other_reader(db):
    return _user_with_role("otto_reader", Role.READER)


@pytest.fixture
def outsider(db):
    return _user_with_role("olga_outsider", None)
