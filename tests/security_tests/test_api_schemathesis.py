"""schemathesis against the API's own OpenAPI schema (drf-spectacular), in-process over WSGI.

Every operation in the schema gets generated requests (schema examples, boundary values of the
coverage phase, then a bounded, derandomized fuzzing phase), and each request is sent four times:
anonymous, as a signed-in reader, as a coordinator, and as a staff member who has a second factor
but has not yet given the code. No answer may be a server error, and every
answer whose status the schema documents must match its documented content type and body schema.
Undocumented statuses (403 for the wrong role, 404 for an unknown id) are checked only for 5xx.
"""

import json
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case, ImportJob
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.wsgi import application

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
ROLES = ("anonymous", "reader", "coordinator", "staff_without_code")
# Operations and requests tried, by role; printed at the end with -s (figures for the closing note).
TRIED: Counter = Counter()
OPERATIONS: set[str] = set()


def session_cookie(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


@pytest.fixture
def stored_data(db, synthetic_case_dir, settings, coordinator):
    """A stored case with series and an import job, so that lists and details have rows to show."""
    import_sources(
        iter_path_sources(sorted(synthetic_case_dir.glob("*.dcm"))[:4]),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=settings.DICOM_STORAGE_ROOT,
    )
    ImportJob.objects.create(source=ImportJob.Source.UPLOAD, label="study.zip", created_by=coordinator)
    return Case.objects.get(), ImportJob.objects.get()


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """The WSGI handler closes the database connection after each request (request_finished);
    here that would close the test's transaction, so it is kept open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def cookies_by_role(reader, coordinator, statistician) -> dict[str, dict[str, str]]:
    # A statistician with a second factor who has given the password but not yet the code.
    TOTPDevice.objects.create(user=statistician, name="authenticator", confirmed=True)
    return {
        "anonymous": {},
        "reader": session_cookie(reader),
        "coordinator": session_cookie(coordinator),
        "staff_without_code": session_cookie(statistician),
    }


def generated_schema() -> dict:
    """The schema drf-spectacular serves at /api/schema/ (the same generator, as JSON)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


# Loaded when the module is collected (schemathesis makes one test per operation from it); the
# requests go to the WSGI application in-process, inside each test's database transaction.
schema = schemathesis.openapi.from_dict(generated_schema())
schema.app = application


@pytest.fixture
def api_schema(stored_data):
    return schema


def test_the_schema_tested_is_the_one_served(coordinator):
    client = Client()
    client.force_login(coordinator)

    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json() == generated_schema()
    assert len(list(schema.get_all_operations())) == 4


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_operation_fails_or_breaks_its_schema_for_any_role(case, stored_data, cookies_by_role):
    OPERATIONS.add(case.operation.label)
    for role in ROLES:
        TRIED[role] += 1
        case.call_and_validate(cookies=cookies_by_role[role], checks=CHECKS)


def test_details_of_stored_rows_match_the_schema(api_schema, stored_data, cookies_by_role):
    """Generated ids rarely hit a stored row; the real ones are tried here, as each role."""
    case, job = stored_data
    requests = [
        api_schema["/api/cases/{case_id}/"]["GET"].Case(path_parameters={"case_id": case.case_id}),
        api_schema["/api/import-jobs/{id}/"]["GET"].Case(path_parameters={"id": job.pk}),
        api_schema["/api/cases/"]["GET"].Case(),
        api_schema["/api/import-jobs/"]["GET"].Case(),
    ]
    for request in requests:
        statuses = {}
        for role in ROLES:
            response = request.call_and_validate(cookies=cookies_by_role[role], checks=CHECKS)
            statuses[role] = response.status_code
        assert statuses == {"anonymous": 403, "reader": 403, "coordinator": 200, "staff_without_code": 403}, (
            request.operation.label
        )
    listed = api_schema["/api/cases/"]["GET"].Case().call(cookies=cookies_by_role["coordinator"]).json()
    assert [row["case_id"] for row in listed["results"]] == [case.case_id] and listed["results"][0]["series"]


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    if OPERATIONS:
        print(f"\nschemathesis: {len(OPERATIONS)} operations, requests by role {dict(TRIED)}")
