"""Files and uploads for the browser import's tests (the cases they link to: conftest.py)."""

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cmr_reader.reports.models import ReportImportJob

REFERENCE_HEADER = [
    "accession_number",
    "study_instance_uid",
    "patient_name",
    "language",
    "author",
    "report_text",
]
AI_HEADER = ["case_id", "accession_number", "model_name", "model_version", "provenance", "text"]
CHINESE_REPORT = "左心室大小及功能正常，左心室射血分数62%。未见延迟强化。"


def accession(n: int) -> str:
    return f"ACC2025011700{n}"


def study_uid(n: int) -> str:
    return f"1.2.826.0.1.3680043.2.1125.1.{4240 + n}"


def csv_bytes(header: list[str], rows: list[list], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list | None]) -> bytes:
    """A workbook whose first sheet holds the rows (None: a blank row); a string starting with
    "=" is written as a formula, as Excel stores one."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row if row is not None else [])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client: Client, name: str, data: bytes, *, kind: str = "reference"):
    return client.post(
        reverse("reports:import_upload"), {"kind": kind, "file": SimpleUploadedFile(name, data)}
    )


def uploaded_job(client: Client, name: str, data: bytes, *, kind: str = "reference") -> ReportImportJob:
    response = upload(client, name, data, kind=kind)
    job = ReportImportJob.objects.latest("created_at")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("reports:import_preview", kwargs={"job_id": job.pk})
    return job


def reference_row(n: int, text: str, *, patient_name: str = "", language: str = "", author: str = "") -> list:
    return [accession(n), "", patient_name, language, author, text]
