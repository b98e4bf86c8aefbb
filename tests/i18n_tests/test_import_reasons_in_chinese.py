"""An import's rejection reasons are stored as the worker wrote them (English) and shown in the
reader's language on the job page and in the API; an unknown reason is shown as stored."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cmr_reader.imaging.import_jobs import create_paths_job, run_import_job
from cmr_reader.imaging.models import ImportJob
from cmr_reader.imaging.rejection_reasons import REASONS, reason_text
from tests.i18n_tests.test_pages_in_chinese import chinese_client, page

pytestmark = pytest.mark.django_db

# Modules whose every translated string is a rejection reason or an error that ends a job.
REASON_MODULES = ("deidentify.py", "prepare.py", "sources.py", "ingest.py", "pacs_import.py")
# Strings of those modules that name a source rather than give a reason.
SOURCE_NAMES = {
    "pacs study %(position)d",
    "requested study %(position)d",
    "%(study)s, %(count)d remaining instances",
    "%(study)s, series %(series)d, instance %(instance)d",
}


@pytest.fixture
def malformed_import(tmp_path, settings):
    settings.INGEST_WORKERS = 1
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "broken.dcm").write_bytes(b"this is not DICOM at all")
    job = create_paths_job(paths=[folder])
    run_import_job(job=job)
    job.refresh_from_db()
    return job


def test_the_worker_stores_the_reason_in_english(malformed_import):
    assert [item["reason"] for item in malformed_import.rejected] == ["not a DICOM file"]


def test_an_import_run_while_chinese_is_active_still_stores_english(tmp_path, settings):
    settings.INGEST_WORKERS = 1
    (tmp_path / "broken.dcm").write_bytes(b"not DICOM")
    job = create_paths_job(paths=[tmp_path])

    with translation.override("zh-hans"):  # a task run at once inside a Chinese request
        run_import_job(job=job)

    job.refresh_from_db()
    assert [item["reason"] for item in job.rejected] == ["not a DICOM file"]


def test_the_job_page_shows_a_malformed_files_reason_in_chinese(malformed_import, coordinator):
    body = page(chinese_client(coordinator), reverse("imaging:import_job", args=[malformed_import.pk]))

    assert ".dcm</code>: 不是DICOM文件" in body
    assert "not a DICOM file" not in body


def test_the_api_gives_the_reason_in_the_callers_language(malformed_import, coordinator):
    url = reverse("import-job-detail", args=[malformed_import.pk])
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(coordinator)

    in_english = english.get(url, HTTP_ACCEPT="application/json").json()
    chinese = chinese_client(coordinator).get(url, HTTP_ACCEPT="application/json").json()

    assert [item["reason"] for item in chinese["rejected"]] == ["不是DICOM文件"]
    assert [item["reason"] for item in chinese["summary"]["rejected"]] == ["不是DICOM文件"]
    assert [item["reason"] for item in in_english["rejected"]] == ["not a DICOM file"]


def test_a_reason_with_values_is_translated_around_them_and_an_unknown_one_is_kept(coordinator):
    job = ImportJob.objects.create(
        source=ImportJob.Source.PATHS,
        state=ImportJob.State.DONE,
        rejected=[
            {"file": "#1 ct.dcm", "reason": "Not an MR image (modality CT); only MR series are imported."},
            {
                "file": "#2 big.zip",
                "reason": "compressed 250 to 1, more than any DICOM file (a zip bomb?): not unpacked",
            },
            {"file": "#3 old.dcm", "reason": "a reason written by an older version"},
            {
                "file": "#4 pacs",
                "reason": "not retrieved after repeated failures: the PACS stopped answering (Timeout)",
            },
        ],
        error="The PACS refused the user name or password (HTTP 401).",
    )

    body = page(chinese_client(coordinator), reverse("imaging:import_job", args=[job.pk]))

    assert "不是MR图像（模态 CT）；仅导入MR序列。" in body
    assert "压缩比为 250 比 1" in body
    assert "a reason written by an older version" in body
    with translation.override("zh-hans"):
        nested = reason_text(job.rejected[3]["reason"])
        assert nested == translation.gettext("not retrieved after repeated failures: %(error)s") % {
            "error": translation.gettext("the PACS stopped answering (%(error)s)") % {"error": "Timeout"}
        }
        assert "the PACS" not in nested
        assert (
            translation.gettext("The PACS refused the user name or password (HTTP %(status)d).")
            % {"status": 401}
            in body
        )


def test_every_reason_the_import_modules_write_is_known():
    written = set()
    for name in REASON_MODULES:
        tree = ast.parse((Path(settings.BASE_DIR) / "cmr_reader" / "imaging" / name).read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("_", "gettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                written.add(node.args[0].value)

    assert written - SOURCE_NAMES - set(REASONS) == set()
    assert len(written) > 30
