"""Uploading a reports file in the browser and previewing its import: nothing is written until
the coordinator commits (tests/reports_tests/test_report_import_jobs.py)."""

import json

import pytest
from django.urls import reverse

from cmr_reader.reports import import_views, report_uploads
from cmr_reader.reports.models import GenerationRun, Report, ReportImportJob
from cmr_reader.reports.report_import import import_reference_rows
from cmr_reader.reports.scrub import PLACEHOLDER
from tests.reports_tests.upload_support import (
    AI_HEADER,
    CHINESE_REPORT,
    REFERENCE_HEADER,
    accession,
    csv_bytes,
    reference_row,
    upload,
    uploaded_job,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(client, coordinator):
    client.force_login(coordinator)
    return client


def staged_files(settings) -> list:
    root = settings.UPLOAD_STAGING_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def preview_page(client, job) -> str:
    response = client.get(reverse("reports:import_preview", kwargs={"job_id": job.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_the_preview_shows_rows_as_stored_errors_by_line_and_totals_and_writes_nothing(
    carol, linked_cases, settings
):
    data = csv_bytes(
        REFERENCE_HEADER,
        [
            reference_row(
                0,
                f"Patient ZHANG WEI, accession {accession(0)}. LVEF 55%. Reported by Dr Adaeze Okonkwo",
                patient_name="ZHANG^WEI",
            ),
            ["ACC-UNKNOWN", "", "", "", "", "LVEF 60%."],
            reference_row(1, "   "),
            reference_row(2, CHINESE_REPORT),
            reference_row(0, "A different text for the first case."),
        ],
    )

    job = uploaded_job(carol, "ZHANG_WEI reports.csv", data)
    body = preview_page(carol, job)

    assert (Report.objects.count(), job.is_committed) == (0, False)
    preview = job.preview
    assert (preview["imported"], preview["duplicates"], preview["rejected_count"]) == (2, 0, 3)
    assert [
        (row["line"], row["outcome"], row["case_id"], row["language"]) for row in preview["shown_rows"]
    ] == [
        (2, "imported", linked_cases[0].case_id, "en"),
        (3, "rejected", "", ""),
        (4, "rejected", "", ""),
        (5, "imported", linked_cases[2].case_id, "zh"),
        (6, "rejected", "", ""),
    ]
    first = preview["shown_rows"][0]
    assert "LVEF 55%" in first["text"] and "ZHANG" not in first["text"] and accession(0) not in first["text"]
    assert first["removed"] == first["text"].count(PLACEHOLDER) >= 2
    assert "line 3: no imported study matches this row&#x27;s accession_number" in body
    assert "line 4: report_text is empty" in body
    assert f"line 6: case {linked_cases[0].case_id} already has a different reference report" in body
    assert CHINESE_REPORT in body and "LVEF 55%" in body
    assert '<dd id="preview-imported">2</dd>' in body and '<dd id="preview-rejected-count">3</dd>' in body
    # The file is staged for the commit under a name of its own, not the browser's.
    assert [path.name for path in staged_files(settings)] == ["upload.csv"]
    assert job.file_name == "….csv"


def test_reports_already_stored_are_previewed_as_duplicates(carol, linked_cases):
    data = csv_bytes(REFERENCE_HEADER, [reference_row(0, "LVEF 55%."), reference_row(1, "LVEF 58%.")])
    import_reference_rows(rows=[(2, dict(zip(REFERENCE_HEADER, reference_row(0, "LVEF 55%."), strict=True)))])

    job = uploaded_job(carol, "reports.csv", data)

    assert (job.preview["imported"], job.preview["duplicates"]) == (1, 1)
    assert Report.objects.count() == 1


def test_an_ai_preview_names_the_run_it_would_make_and_writes_no_run(carol, linked_cases):
    lines = [
        {
            "case_id": linked_cases[0].case_id,
            "model_name": "vendor-x",
            "model_version": "2",
            "text": "LVEF 61%.",
        },
        {
            "case_id": linked_cases[0].case_id,
            "model_name": "vendor-x",
            "model_version": "2",
            "text": "LVEF 62%.",
        },
        {"case_id": "CMR-NOWHERE", "model_name": "vendor-x", "model_version": "2", "text": "LVEF 63%."},
        "{not json",
    ]
    data = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()

    job = uploaded_job(carol, "vendor.jsonl", data, kind="ai")
    body = preview_page(carol, job)

    assert (GenerationRun.objects.count(), Report.objects.count()) == (0, 0)
    assert (job.preview["imported"], job.preview["rejected_count"]) == (1, 3)
    assert job.preview["runs"] == [
        {
            "id": None,
            "model_name": "vendor-x",
            "model_version": "2",
            "created": True,
            "imported": 1,
            "duplicates": 0,
        }
    ]
    assert "a new run" in body
    assert "line 2: case CMR-UP000000 appears again for this model and version (first on line 1)" in body
    assert "line 3: no case CMR-NOWHERE on this site" in body
    assert "line 4: not valid JSON" in body


def test_an_xlsx_file_is_read_from_its_first_sheet_with_formulas_as_plain_text(carol, linked_cases):
    data = xlsx_bytes(
        REFERENCE_HEADER,
        [
            [accession(0), None, None, "en", None, '="LVEF "&"55%"'],
            None,
            [None, None, None, None, None, None],
            [accession(1), None, None, None, None, CHINESE_REPORT],
            ["ACC-UNKNOWN", None, None, None, None, "LVEF 60%."],
        ],
    )

    job = uploaded_job(carol, "reports.xlsx", data)
    body = preview_page(carol, job)

    assert job.file_format == "xlsx"
    assert [(row["line"], row["outcome"]) for row in job.preview["shown_rows"]] == [
        (2, "imported"),
        (5, "imported"),
        (6, "rejected"),
    ]
    assert job.preview["shown_rows"][0]["text"] == '="LVEF "&"55%"'
    assert "line 6: no imported study matches" in body
    assert Report.objects.count() == 0


def test_an_xlsx_file_of_ai_reports_is_previewed(carol, linked_cases):
    data = xlsx_bytes(
        AI_HEADER, [[linked_cases[1].case_id, None, "vendor-x", 3, '{"site": "B"}', CHINESE_REPORT]]
    )

    job = uploaded_job(carol, "vendor.xlsx", data, kind="ai")

    (row,) = job.preview["shown_rows"]
    assert (row["outcome"], row["case_id"], row["model"], row["language"]) == (
        "imported",
        linked_cases[1].case_id,
        "vendor-x 3",
        "zh",
    )


@pytest.mark.parametrize("kind", ["reference", "ai"])
def test_a_gb18030_file_is_read_and_the_preview_says_so(carol, linked_cases, kind):
    if kind == "reference":
        data = csv_bytes(REFERENCE_HEADER, [reference_row(1, CHINESE_REPORT)], encoding="gb18030")
    else:
        data = csv_bytes(
            AI_HEADER, [["", accession(1), "vendor-x", "1", "", CHINESE_REPORT]], encoding="gb18030"
        )

    job = uploaded_job(carol, "报告.csv", data, kind=kind)
    body = preview_page(carol, job)

    assert job.preview["encoding"] == "gb18030"
    assert job.preview["shown_rows"][0]["text"] == CHINESE_REPORT
    assert "GB18030" in body and CHINESE_REPORT in body


def test_a_utf8_file_with_a_byte_order_mark_is_read(carol, linked_cases):
    data = b"\xef\xbb\xbf" + csv_bytes(REFERENCE_HEADER, [reference_row(0, "LVEF 55%.")])

    job = uploaded_job(carol, "reports.csv", data)

    assert (job.preview["encoding"], job.preview["imported"]) == ("utf-8-sig", 1)


def test_an_empty_file_is_refused_and_nothing_is_staged(carol, settings):
    response = upload(carol, "reports.csv", b"")

    assert response.status_code == 200
    assert "The file is empty (0 bytes): there is nothing to import." in response.content.decode()
    assert (ReportImportJob.objects.count(), staged_files(settings)) == (0, [])


def test_a_file_over_the_limit_is_refused_and_nothing_is_staged(carol, settings, monkeypatch):
    monkeypatch.setattr(report_uploads, "MAX_UPLOAD_BYTES", 1000)
    data = csv_bytes(REFERENCE_HEADER, [reference_row(0, "LVEF 55%. " * 200)])

    response = upload(carol, "reports.csv", data)

    assert response.status_code == 200
    assert "a reports file may be at most 1000" in response.content.decode()
    assert (ReportImportJob.objects.count(), staged_files(settings)) == (0, [])


def test_an_upload_declared_over_the_limit_is_refused_before_it_is_read(carol, settings, monkeypatch):
    monkeypatch.setattr(report_uploads, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(import_views, "FORM_OVERHEAD_BYTES", 0)

    response = upload(carol, "reports.csv", b"x" * 5000)

    assert response.status_code == 413
    assert "a reports file may be at most 1000" in response.content.decode()
    assert (ReportImportJob.objects.count(), staged_files(settings)) == (0, [])


@pytest.mark.parametrize(
    ("name", "data", "kind", "message"),
    [
        ("reports.csv", "report_text\n".encode("utf-16"), "reference", "UTF-16"),
        (
            "reports.csv",
            b"accession_number,report_text\n\x80\x80,x\n",
            "reference",
            "neither UTF-8 nor GB18030",
        ),
        ("reports.csv", b"case,words\nA,LVEF\n", "reference", "The header needs report_text"),
        ("reports.csv", b"case,words\nA,LVEF\n", "ai", "The file needs text, model_name"),
        ("reports.xlsx", b"PK\x03\x04 not really a workbook", "reference", "not a readable XLSX workbook"),
        ("reports.csv", xlsx_bytes(REFERENCE_HEADER, []), "reference", "save it as .xlsx or CSV"),
        ("reports.jsonl", b'{"text": "x"}\n', "reference", "Reference reports come as CSV or XLSX"),
        ("reports.xls", b"\xd0\xcf\x11\xe0", "reference", "Old Excel workbooks (.xls)"),
        ("reports.txt", b"report_text\n", "reference", "Name the file .csv, .xlsx"),
    ],
)
def test_a_file_the_import_cannot_read_is_refused_with_its_reason(carol, settings, name, data, kind, message):
    response = upload(carol, name, data, kind=kind)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert (ReportImportJob.objects.count(), staged_files(settings)) == (0, [])


def test_a_large_file_is_previewed_on_its_first_rows_and_says_so(carol, linked_cases, monkeypatch):
    monkeypatch.setattr(report_uploads, "PREVIEW_ROWS", 4)
    data = csv_bytes(REFERENCE_HEADER, [["ACC-UNKNOWN", "", "", "", "", f"LVEF {n}%."] for n in range(9)])

    job = uploaded_job(carol, "reports.csv", data)
    body = preview_page(carol, job)

    assert (job.preview["rows_previewed"], job.preview["more_rows"], job.preview["rejected_count"]) == (
        4,
        True,
        4,
    )
    assert "The file has more than 4 rows: this preview covers the first 4 only." in body


def test_discarding_an_upload_deletes_it_and_its_staged_file(
    carol, linked_cases, settings, django_capture_on_commit_callbacks
):
    job = uploaded_job(carol, "reports.csv", csv_bytes(REFERENCE_HEADER, [reference_row(0, "LVEF 55%.")]))
    assert len(staged_files(settings)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = carol.post(reverse("reports:import_discard", kwargs={"job_id": job.pk}))

    assert response.status_code == 302
    assert (ReportImportJob.objects.count(), staged_files(settings), Report.objects.count()) == (0, [], 0)


def test_a_reader_gets_403_on_every_page(client, reader, coordinator, linked_cases):
    client.force_login(coordinator)
    job = uploaded_job(client, "reports.csv", csv_bytes(REFERENCE_HEADER, [reference_row(0, "LVEF 55%.")]))
    client.force_login(reader)
    pages = [
        ("get", reverse("reports:import_upload")),
        ("post", reverse("reports:import_upload")),
        ("get", reverse("reports:import_preview", kwargs={"job_id": job.pk})),
        ("post", reverse("reports:import_commit", kwargs={"job_id": job.pk})),
        ("post", reverse("reports:import_discard", kwargs={"job_id": job.pk})),
        ("get", reverse("reports:import_job", kwargs={"job_id": job.pk})),
        ("post", reverse("reports:import_retry", kwargs={"job_id": job.pk})),
    ]

    for method, url in pages:
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert upload(client, "reports.csv", b"report_text\nx\n").status_code == 403
    job.refresh_from_db()
    assert (job.is_committed, ReportImportJob.objects.count(), Report.objects.count()) == (False, 1, 0)
