"""Every URL has an explicit rule for who may use it, and every role is tried against every URL.

A new URL fails `test_every_url_has_an_access_rule` until it is added to ACCESS below, so
nothing reaches production without a decision about who may call it.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cmr_reader.analysis.models import AnalysisRun
from cmr_reader.analysis.runs import create_run, run_analysis
from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import ImportJob, Instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.reports.models import GenerationRun, Report, ReportImportJob
from cmr_reader.studies import assign
from cmr_reader.studies.models import Assignment, ReaderStudy

ANONYMOUS, OUTSIDER, READER, STATISTICIAN, COORDINATOR, ADMIN = (
    "anonymous",
    "outsider",
    "reader",
    "statistician",
    "coordinator",
    "admin",
)
EVERYONE = {ANONYMOUS, OUTSIDER, READER, STATISTICIAN, COORDINATOR, ADMIN}
SIGNED_IN = EVERYONE - {ANONYMOUS}
STAFF = {STATISTICIAN, COORDINATOR, ADMIN}
COORDINATORS = {COORDINATOR, ADMIN}
READERS = {READER, ADMIN}
# Images: staff, and a reader for the cases assigned to them (the table's reader has the stored
# case assigned; tests/studies_tests/test_reader_access.py covers cases that are not).
IMAGE_READERS = STAFF | {READER}
# A reader's own assignment pages: anyone else (admins included) is told they do not exist.
OWN_ASSIGNMENT = {READER}
NOT_FOUND_WHEN_NOT_OWNED = {
    "reading:case",
    "reading:answer",
    "reading:submit",
    "reading:activity",
    "reading:continue",
}

# Answered with a redirect to the login page even when allowed (logging out ends there).
ENDS_AT_LOGIN_PAGE = {"logout"}

# URL name -> (HTTP method, roles allowed). The Django admin is left to Django's own staff check
# and is tried once below (admin:index).
ACCESS = {
    "home": ("get", SIGNED_IN),
    "health": ("get", EVERYONE),
    "login": ("get", EVERYONE),
    "logout": ("post", EVERYONE),
    "set_language": ("post", EVERYONE),
    "preferences": ("get", SIGNED_IN),
    "schema": ("get", SIGNED_IN),
    "api-root": ("get", SIGNED_IN),
    "case-list": ("get", STAFF),
    "case-detail": ("get", STAFF),
    "import-job-list": ("get", STAFF),
    "import-job-detail": ("get", STAFF),
    "imaging:cases": ("get", STAFF),
    "imaging:upload": ("get", COORDINATORS),
    "imaging:pacs": ("get", COORDINATORS),
    "imaging:pacs_pull": ("post", COORDINATORS),
    "imaging:import_job": ("get", STAFF),
    "imaging:import_job_retry": ("post", COORDINATORS),
    "dicomweb:studies": ("get", IMAGE_READERS),
    "dicomweb:all_series": ("get", IMAGE_READERS),
    "dicomweb:all_instances": ("get", IMAGE_READERS),
    "dicomweb:study": ("get", IMAGE_READERS),
    "dicomweb:study_metadata": ("get", IMAGE_READERS),
    "dicomweb:study_series": ("get", IMAGE_READERS),
    "dicomweb:study_instances": ("get", IMAGE_READERS),
    "dicomweb:series": ("get", IMAGE_READERS),
    "dicomweb:series_metadata": ("get", IMAGE_READERS),
    "dicomweb:series_instances": ("get", IMAGE_READERS),
    "dicomweb:instance": ("get", IMAGE_READERS),
    "dicomweb:instance_metadata": ("get", IMAGE_READERS),
    "dicomweb:frames": ("get", IMAGE_READERS),
    "dicomweb:bulk_data": ("get", IMAGE_READERS),
    "dicomweb:wado_uri": ("get", IMAGE_READERS),
    "viewer:case_viewer": ("get", STAFF),
    "reading:home": ("get", READERS),
    "reading:split": ("post", READERS),
    "reading:continue": ("get", OWN_ASSIGNMENT),
    "reading:case": ("get", OWN_ASSIGNMENT),
    "reading:answer": ("post", OWN_ASSIGNMENT),
    "reading:submit": ("post", OWN_ASSIGNMENT),
    "reading:activity": ("post", OWN_ASSIGNMENT),
    "studies:list": ("get", STAFF),
    "studies:create": ("get", COORDINATORS),
    "studies:detail": ("get", STAFF),
    "studies:update": ("post", COORDINATORS),
    "studies:criteria": ("get", COORDINATORS),
    "studies:add_cases": ("post", COORDINATORS),
    "studies:select_cases": ("get", COORDINATORS),
    "studies:cases": ("get", STAFF),
    "studies:remove_cases": ("post", COORDINATORS),
    "studies:set_readers": ("post", COORDINATORS),
    "studies:confirm_assign": ("get", COORDINATORS),
    "studies:assign": ("post", COORDINATORS),
    "studies:blinding_audit": ("post", COORDINATORS),
    "studies:display": ("get", STAFF),
    "studies:unblinding": ("get", STAFF),
    "studies:ratings": ("get", STAFF),
    "studies:answers": ("get", STAFF),
    "studies:audit": ("get", STAFF),
    "analysis:dashboard": ("get", STAFF),
    "analysis:start": ("post", STAFF),
    "analysis:bundle": ("get", STAFF),
    "analysis:plot": ("get", STAFF),
    "analysis:results": ("get", STAFF),
    "analysis:plan": ("get", STAFF),
    "analysis:draft": ("get", STAFF),
    "reports:runs": ("get", STAFF),
    "reports:run": ("get", STAFF),
    # Reports imported in the browser (upload, preview, commit): coordinators only.
    "reports:import_upload": ("get", COORDINATORS),
    "reports:import_preview": ("get", COORDINATORS),
    "reports:import_commit": ("post", COORDINATORS),
    "reports:import_discard": ("post", COORDINATORS),
    "reports:import_job": ("get", COORDINATORS),
    "reports:import_retry": ("post", COORDINATORS),
    "accounts:access_log": ("get", COORDINATORS),
    "accounts:access_log_csv": ("get", COORDINATORS),
    # Second factor: staff enrol; the code step is for any signed-in user (it sends those without
    # a device straight on). tests/security_tests/test_two_factor.py covers sessions with one.
    "two_factor:settings": ("get", STAFF),
    "two_factor:start": ("post", STAFF),
    "two_factor:enrol": ("get", STAFF),
    "two_factor:remove": ("post", STAFF),
    "two_factor:verify": ("get", SIGNED_IN),
    "javascript-catalog": ("get", EVERYONE),
}


def url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns)
    return {name for name in names if not name.startswith("admin:")}


def test_every_url_has_an_access_rule():
    assert url_names() == set(ACCESS)


@pytest.fixture
def stored(db, synthetic_case_dir, private_storage, settings, coordinator, reader):
    import_sources(
        iter_path_sources(sorted(synthetic_case_dir.glob("*.dcm"))[:3]),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
    )
    instance = Instance.objects.select_related("series__case").first()
    job = ImportJob.objects.create(
        source=ImportJob.Source.UPLOAD, state=ImportJob.State.FAILED, created_by=coordinator
    )
    # The stored case is in a study assigned to the table's reader.
    run = GenerationRun.objects.create(model_name="tiny")
    case = instance.series.case
    Report.objects.create(case=case, source="reference", language="en", text="LVEF 60%.")
    Report.objects.create(case=case, source="ai", language="en", text="LVEF 61%.", generation_run=run)
    study = ReaderStudy.objects.create(name="Table study", readers_per_case=1)
    assign.add_default_criteria(study)
    assign.add_cases(study, [case.pk])
    assign.add_readers(study, [reader])
    assign.assign(study, now=timezone.now())
    # A finished reports import: its preview sends on to its page, and committing, discarding or
    # running it again is refused with a message (a redirect), so every role tries the same job.
    ReportImportJob.objects.create(
        kind="reference",
        file_format="csv",
        file_name="….csv",
        sha256="0" * 64,
        state="done",
        committed_at=timezone.now(),
        summary={"imported": 1, "duplicates": 0, "rejected": []},
    )
    # A finished analysis, for its bundle and plot URLs (no answers yet: every table still has its shape).
    assert run_analysis(create_run(study=study, bootstrap=0, seed=1)).state == "done"
    return instance, job


def url_for(name: str, instance: Instance, job: ImportJob) -> str:
    series = instance.series
    uids = {
        "study": series.case.study_instance_uid,
        "series": series.series_instance_uid,
        "instance": instance.sop_instance_uid,
    }
    arguments = {
        "case-detail": {"case_id": series.case.case_id},
        "import-job-detail": {"pk": job.pk},
        "imaging:import_job": {"job_id": job.pk},
        "imaging:import_job_retry": {"job_id": job.pk},
        "dicomweb:study": {"study": uids["study"]},
        "dicomweb:study_metadata": {"study": uids["study"]},
        "dicomweb:study_series": {"study": uids["study"]},
        "dicomweb:study_instances": {"study": uids["study"]},
        "dicomweb:series": {"study": uids["study"], "series": uids["series"]},
        "dicomweb:series_metadata": {"study": uids["study"], "series": uids["series"]},
        "dicomweb:series_instances": {"study": uids["study"], "series": uids["series"]},
        "dicomweb:instance": uids,
        "dicomweb:instance_metadata": uids,
        "dicomweb:frames": {**uids, "frames": "1"},
        "dicomweb:bulk_data": {**uids, "tag": "7FE00010"},
        "viewer:case_viewer": {"case_id": series.case.case_id},
    }
    assignment = Assignment.objects.select_related("study").first()
    for reading_name in ("reading:case", "reading:answer", "reading:submit", "reading:activity"):
        arguments[reading_name] = {"public_id": assignment.public_id}
    arguments["reading:continue"] = {"study_id": assignment.study_id}
    for study_name in (
        "studies:criteria",
        "studies:detail",
        "studies:update",
        "studies:add_cases",
        "studies:select_cases",
        "studies:cases",
        "studies:remove_cases",
        "studies:set_readers",
        "studies:confirm_assign",
        "studies:assign",
        "studies:blinding_audit",
        "studies:display",
        "studies:unblinding",
        "studies:ratings",
        "studies:answers",
        "studies:audit",
    ):
        arguments[study_name] = {"study_id": assignment.study_id}
    arguments["reports:run"] = {"run_id": GenerationRun.objects.get().pk}
    for import_name in (
        "reports:import_preview",
        "reports:import_commit",
        "reports:import_discard",
        "reports:import_job",
        "reports:import_retry",
    ):
        arguments[import_name] = {"job_id": ReportImportJob.objects.get().pk}
    for study_name in ("analysis:dashboard", "analysis:start", "analysis:results", "analysis:plan"):
        arguments[study_name] = {"study_id": assignment.study_id}
    run = AnalysisRun.objects.get()
    arguments["analysis:bundle"] = {"study_id": assignment.study_id, "run_id": run.pk}
    arguments["analysis:draft"] = {"study_id": assignment.study_id, "run_id": run.pk, "fmt": "md"}
    arguments["analysis:plot"] = {
        "study_id": assignment.study_id,
        "run_id": run.pk,
        "name": "likert",
        "fmt": "svg",
    }
    url = reverse(name, kwargs=arguments.get(name))
    if name == "dicomweb:wado_uri":
        url += f"?requestType=WADO&studyUID={uids['study']}&seriesUID={uids['series']}&objectUID={uids['instance']}"
    return url


def client_as(role: str, users: dict) -> Client:
    client = Client()
    if role != ANONYMOUS:
        client.force_login(users[role])
    return client


@pytest.fixture
def users(outsider, reader, statistician, coordinator):
    admin = get_user_model().objects.create_superuser("ada_admin", password="pw-ada")
    return {
        OUTSIDER: outsider,
        READER: reader,
        STATISTICIAN: statistician,
        COORDINATOR: coordinator,
        ADMIN: admin,
    }


# JSON bodies for the POST endpoints that need one to do their work.
POST_BODIES = {
    "reading:answer": {"item": "pair.comment", "value": "seen"},
    "reading:activity": {"seconds": 1},
    "reading:split": {"split": 0.5},
}


def is_denied(response, name: str = "") -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code == 404 and name in NOT_FOUND_WHEN_NOT_OWNED:
        return True
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ACCESS))
def test_each_role_gets_exactly_the_access_its_rule_gives(name, stored, users):
    instance, job = stored
    method, allowed = ACCESS[name]
    url = url_for(name, instance, job)
    for role in sorted(EVERYONE):
        client = client_as(role, users)
        headers = {"HTTP_ACCEPT": "*/*"}
        if method == "post" and name in POST_BODIES:
            response = client.post(url, data=POST_BODIES[name], content_type="application/json", **headers)
        elif method == "post":
            response = client.post(url, **headers)
        else:
            response = client.get(url, **headers)
        if role in allowed and name in ENDS_AT_LOGIN_PAGE:
            assert response.status_code == 302, (name, role, response.status_code)
        elif role in allowed:
            assert not is_denied(response, name) and response.status_code < 400, (
                name,
                role,
                response.status_code,
            )
        else:
            assert is_denied(response, name), (name, role, response.status_code)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert instance.sop_instance_uid.encode() not in body, (name, role)
            assert instance.series.case.case_id.encode() not in body, (name, role)


@pytest.mark.django_db
def test_only_admins_reach_the_django_admin(users):
    for role in sorted(EVERYONE):
        response = client_as(role, users).get(reverse("admin:index"))
        if role == ADMIN:
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and "/admin/login/" in response["Location"], role
