"""Every URL has an explicit rule for who may use it, and every role is tried against every URL.

A new URL fails `test_every_url_has_an_access_rule` until it is added to ACCESS below, so
nothing reaches production without a decision about who may call it.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import ImportJob, Instance
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources

ANONYMOUS, OUTSIDER, READER, STATISTICIAN, COORDINATOR, ADMIN = (
    "anonymous", "outsider", "reader", "statistician", "coordinator", "admin"
)
EVERYONE = {ANONYMOUS, OUTSIDER, READER, STATISTICIAN, COORDINATOR, ADMIN}
SIGNED_IN = EVERYONE - {ANONYMOUS}
STAFF = {STATISTICIAN, COORDINATOR, ADMIN}
COORDINATORS = {COORDINATOR, ADMIN}
# Until the reading issue assigns cases, images are for staff only (dicomweb_access.py).
IMAGE_READERS = STAFF

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
    "schema": ("get", SIGNED_IN),
    "api-root": ("get", SIGNED_IN),
    "case-list": ("get", STAFF),
    "case-detail": ("get", STAFF),
    "import-job-list": ("get", STAFF),
    "import-job-detail": ("get", STAFF),
    "imaging:cases": ("get", STAFF),
    "imaging:upload": ("get", COORDINATORS),
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
def stored(db, synthetic_case_dir, private_storage, settings, coordinator):
    import_sources(
        iter_path_sources(sorted(synthetic_case_dir.glob("*.dcm"))[:3]),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
    )
    instance = Instance.objects.select_related("series__case").first()
    job = ImportJob.objects.create(source=ImportJob.Source.UPLOAD, state=ImportJob.State.FAILED, created_by=coordinator)
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
    return {OUTSIDER: outsider, READER: reader, STATISTICIAN: statistician, COORDINATOR: coordinator, ADMIN: admin}


def is_denied(response) -> bool:
    if response.status_code in (401, 403):
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
        response = client.post(url, **headers) if method == "post" else client.get(url, **headers)
        if role in allowed and name in ENDS_AT_LOGIN_PAGE:
            assert response.status_code == 302, (name, role, response.status_code)
        elif role in allowed:
            assert not is_denied(response) and response.status_code < 400, (name, role, response.status_code)
        else:
            assert is_denied(response), (name, role, response.status_code)
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
