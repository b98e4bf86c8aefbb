"""The Cases page and the cases API at the study's scale: search, filters, sort, paging and status
columns, one query builder for both, and a cost per page that does not grow with the cases."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmr_reader.imaging.case_search import PAGE_SIZE
from cmr_reader.imaging.models import Case, Series
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies.models import ReaderStudy, StudyCase

pytestmark = pytest.mark.django_db


def make_case(
    n: int, *, reference: str | None = "en", ai: bool = True, kinds=("cine_sax",), age="047Y"
) -> Case:
    case = Case.objects.create(
        case_id=f"CMR-{n:06d}",
        patient_pseudonym=f"PSEUDO{n:04d}",
        study_instance_uid=f"2.25.{1000 + n}",
        study_date=date(2024, 1, 1) + timedelta(days=n),
        patient_age=age,
    )
    for number, kind in enumerate(kinds, start=1):
        Series.objects.create(
            case=case, series_instance_uid=f"2.25.{1000 + n}.{number}", series_number=number, kind=kind
        )
    if reference:
        Report.objects.create(case=case, source="reference", language=reference, text="Findings.")
    if ai:
        run = GenerationRun.objects.get_or_create(model_name="tiny-cmr-model")[0]
        Report.objects.create(
            case=case, source="ai", language=reference or "en", text="Findings.", generation_run=run
        )
    return case


@pytest.fixture
def archive():
    return {
        "both": make_case(1, kinds=("cine_sax", "lge_sax", "cine_4ch")),
        "chinese": make_case(2, reference="zh"),
        "no_ai": make_case(3, ai=False, kinds=("cine_sax", "lge_sax")),
        "bare": make_case(4, reference=None, ai=False, kinds=(), age=""),
    }


def listed(client: Client, **params) -> list[str]:
    """The case ids in the page's table, in its order."""
    page = client.get("/imaging/cases/", params).content.decode()
    return re.findall(r"<td>(CMR-\d{6})</td>", page)


def api_listed(client: Client, **params) -> list[str]:
    response = client.get("/api/cases/", params)
    assert response.status_code == 200, response.content
    return [row["case_id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "000002"}, ["chinese"]),
        ({"q": "pseudo0003"}, ["no_ai"]),
        ({"reports": "both"}, ["both", "chinese"]),
        ({"reports": "missing_ai"}, ["no_ai"]),
        ({"reports": "none"}, ["bare"]),
        ({"language": "zh"}, ["chinese"]),
        ({"kind": ["cine_sax", "lge_sax"]}, ["both", "no_ai"]),
        ({"sort": "-series"}, ["both", "no_ai", "chinese", "bare"]),
        ({"sort": "-study_date"}, ["bare", "no_ai", "chinese", "both"]),
    ],
)
def test_the_page_and_the_api_find_the_same_cases(archive, coordinator, params, expected):
    client = Client()
    client.force_login(coordinator)
    ids = [archive[name].case_id for name in expected]
    assert api_listed(client, **params) == ids
    assert listed(client, **params) == ids


def test_studies_and_import_dates_filter(archive, coordinator):
    study = ReaderStudy.objects.create(name="HCM pilot")
    both = archive["both"]
    StudyCase.objects.create(
        study=study,
        case=both,
        reference_report=both.reports.get(source="reference"),
        ai_report=both.reports.get(source="ai"),
    )
    Case.objects.filter(pk=archive["bare"].pk).update(created_at=timezone.now() - timedelta(days=30))
    client = Client()
    client.force_login(coordinator)
    assert api_listed(client, study=str(study.pk)) == [both.case_id]
    assert both.case_id not in api_listed(client, study="none")
    today = timezone.now().date()
    assert archive["bare"].case_id not in api_listed(client, imported_from=str(today - timedelta(days=1)))
    assert api_listed(client, imported_to=str(today - timedelta(days=10))) == [archive["bare"].case_id]


def test_status_columns_and_ages_in_years(archive, coordinator):
    client = Client()
    client.force_login(coordinator)
    rows = {row["case_id"]: row for row in client.get("/api/cases/").json()["results"]}
    both, bare = rows[archive["both"].case_id], rows[archive["bare"].case_id]
    assert (both["series_count"], both["has_reference"], both["has_ai"], both["reference_language"]) == (
        3,
        True,
        True,
        "en",
    )
    assert (bare["series_count"], bare["has_reference"], bare["has_ai"], bare["patient_age_years"]) == (
        0,
        False,
        False,
        None,
    )
    assert both["patient_age_years"] == 47
    page = client.get("/imaging/cases/").content.decode()
    assert "047Y" not in page and "F / 47" not in page and "/ 47" in page


def test_bad_filters_are_refused_clearly(archive, coordinator):
    client = Client()
    client.force_login(coordinator)
    response = client.get("/api/cases/", {"sort": "password", "imported_from": "yesterday"})
    assert response.status_code == 400 and {"sort", "imported_from"} <= set(response.json())
    page = client.get("/imaging/cases/", {"imported_from": "2026-02-01", "imported_to": "2026-01-01"})
    assert page.status_code == 200 and "The import date range ends before it starts." in page.content.decode()


def test_pages_hold_fifty_cases_and_keep_the_filters(coordinator):
    for n in range(PAGE_SIZE + 5):
        make_case(n + 10, ai=n % 2 == 0)
    client = Client()
    client.force_login(coordinator)
    first = client.get("/imaging/cases/", {"sort": "case_id"}).content.decode()
    assert first.count('href="/cases/CMR-') == PAGE_SIZE and "page 1 of 2" in first
    assert "?sort=case_id&amp;page=2" in first
    second = listed(client, sort="case_id", page="2")
    assert len(second) == 5
    assert client.get("/api/cases/", {"reports": "both"}).json()["count"] == 28


def test_the_cost_of_a_page_does_not_grow_with_the_cases(coordinator):
    client = Client()
    client.force_login(coordinator)

    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/imaging/cases/", {"reports": "both", "sort": "-series"}).status_code == 200
        return len(context.captured_queries)

    for n in range(20):
        make_case(n, kinds=("cine_sax", "lge_sax"))
    few = queries_for_a_page()
    for n in range(20, 120):
        make_case(n, kinds=("cine_sax", "lge_sax", "cine_4ch"))
    assert queries_for_a_page() == few


def test_a_reader_cannot_list_cases(archive, reader):
    client = Client()
    client.force_login(reader)
    assert client.get("/imaging/cases/").status_code == 403
    assert client.get("/api/cases/").status_code == 403


def test_the_reference_reports_extracted_diagnosis_filters(coordinator):
    hcm, normal = make_case(1), make_case(2)
    Report.objects.filter(case=hcm, source="reference").update(diagnosis="hcm")
    Report.objects.filter(case=normal, source="reference").update(diagnosis="normal")
    client = Client()
    client.force_login(coordinator)
    assert api_listed(client, diagnosis="hcm") == [hcm.case_id]
    rows = {row["case_id"]: row for row in client.get("/api/cases/").json()["results"]}
    assert rows[normal.case_id]["reference_diagnosis"] == "normal"
    # The page names it in words, as its filter does; the API keeps the code.
    page = client.get("/imaging/cases/").content.decode()
    assert "<td>hypertrophic cardiomyopathy</td>" in page and "<td>normal</td>" in page
    assert "<td>hcm</td>" not in page


def test_a_page_reads_its_ids_and_the_count_in_one_query(coordinator):
    """The windowed read (COUNT(*) OVER ()) replaces the separate COUNT; past the end, the page
    falls back to the count and shows the last page, as before."""
    for n in range(PAGE_SIZE + 5):
        make_case(n, reference="zh" if n % 3 == 0 else "en")
    client = Client()
    client.force_login(coordinator)
    expected = sorted(f"CMR-{n:06d}" for n in range(PAGE_SIZE + 5) if n % 3 == 0)

    def case_queries(**params) -> list[str]:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/imaging/cases/", params).status_code == 200
        return [
            q["sql"] for q in context.captured_queries if '"imaging_case"' in q["sql"].split(" WHERE ")[0]
        ]

    first = case_queries(language="zh", sort="case_id")
    assert sum("OVER ()" in sql for sql in first) == 1
    assert not any("COUNT(*) AS" in sql for sql in first)
    assert listed(client, language="zh", sort="case_id") == expected
    assert listed(client, sort="case_id", page="2") == [
        f"CMR-{n:06d}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)
    ]
    # Page 9 does not exist: the count is read on its own and the last page is shown.
    assert listed(client, sort="case_id", page="9") == [
        f"CMR-{n:06d}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)
    ]
    assert client.get("/api/cases/", {"language": "zh", "page_size": 5, "page": 2}).json()["count"] == len(
        expected
    )
    assert [
        c["case_id"]
        for c in client.get("/api/cases/", {"language": "zh", "page_size": 5, "page": 2}).json()["results"]
    ] == expected[5:10]
