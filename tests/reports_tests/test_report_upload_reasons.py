"""A browser import's reasons are stored in English and shown in the reader's language."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cmr_reader.reports.import_reasons import REASONS, reason_text
from cmr_reader.reports.models import ReportImportJob
from tests.reports_tests.upload_support import REFERENCE_HEADER, csv_bytes, uploaded_job

REASON_MODULES = ("report_import.py", "ai_report_import.py", "report_files.py", "report_import_jobs.py")


def messages_of(module: str) -> list[str]:
    tree = ast.parse((Path(settings.BASE_DIR) / "cmr_reader" / "reports" / module).read_text())
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_every_reason_the_imports_give_is_a_stored_message():
    found = [message for module in REASON_MODULES for message in messages_of(module)]
    # Messages with a %r value are left out: StoredMessages matches %s, %d and %f placeholders.
    missing = [message for message in found if message not in REASONS and ")r" not in message]

    assert found and missing == []


@pytest.fixture(autouse=True)
def english_afterwards():
    """A request leaves its language active in the thread; the next test must not inherit it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def chinese_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_preview_made_in_chinese_stores_english_and_shows_chinese(coordinator, linked_cases):
    client = chinese_client(coordinator)
    data = csv_bytes(REFERENCE_HEADER, [["ACC-UNKNOWN", "", "", "", "", "LVEF 60%."]])

    job = uploaded_job(client, "reports.csv", data)
    body = client.get(reverse("reports:import_preview", kwargs={"job_id": job.pk})).content.decode()

    assert job.preview["rejected"][0]["reason"] == (
        "no imported study matches this row's accession_number or study_instance_uid"
    )
    assert "没有已导入的检查与该行的 accession_number 或 study_instance_uid 匹配" in body
    assert "no imported study matches" not in body


@pytest.mark.django_db
def test_the_job_page_shows_each_reason_in_the_readers_language(coordinator):
    job = ReportImportJob.objects.create(
        kind="ai",
        file_format="csv",
        file_name="….csv",
        sha256="0" * 64,
        committed_at=timezone.now(),
        state="done",
        summary={
            "imported": 0,
            "duplicates": 0,
            "rejected": [
                {"line": 2, "reason": "no case CMR-X1 on this site"},
                {"line": 3, "reason": "a reason no message makes"},
            ],
            "rejected_count": 2,
        },
    )

    body = (
        chinese_client(coordinator)
        .get(reverse("reports:import_job", kwargs={"job_id": job.pk}))
        .content.decode()
    )

    assert "本站没有病例 CMR-X1" in body
    assert "a reason no message makes" in body
    with translation.override("zh-hans"):
        assert reason_text("report_text is empty") == "report_text 为空"
