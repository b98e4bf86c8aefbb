"""The access log: each opening writes one event, frames write none, a failed insert breaks
nothing, and only coordinators read the log (page and CSV)."""

import csv
import io
import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cmr_reader.accounts import access_log
from cmr_reader.accounts.models import AccessEvent
from cmr_reader.analysis import runs
from cmr_reader.reports.models import GenerationRun
from cmr_reader.studies.models import Assignment
from tests.dicomweb_tests.stored import make_case, make_series, store_instance
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db

Action = AccessEvent.Action
JSON = {"HTTP_ACCEPT": "application/dicom+json"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def events() -> list[tuple[str, str, str, int | None]]:
    return list(AccessEvent.objects.order_by("id").values_list("username", "action", "target", "study"))


@pytest.fixture
def stored_case(private_storage):
    """A case with one stored two-frame instance, for the viewer and DICOMweb."""
    case = make_case(case_id="CMR-LOG0000001")
    series = make_series(case=case, number=1, description="cine SA")
    instance = store_instance(series=series, number=1, root=private_storage, frames=2)
    return case, series, instance


@pytest.fixture
def study(reader, other_reader):
    return build_study(readers=[reader, other_reader]).study


def test_opening_the_case_viewer_logs_one_event(coordinator, stored_case):
    case, _series, _instance = stored_case

    response = client_for(coordinator).get(reverse("viewer:case_viewer", args=[case.case_id]))

    assert response.status_code == 200
    assert events() == [("carol_coordinator", Action.CASE_VIEWER, case.case_id, None)]
    event = AccessEvent.objects.get()
    assert event.user == coordinator
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"


def test_a_reader_opening_their_reading_case_logs_the_case_and_study_only(reader, study):
    assignment = Assignment.objects.filter(reader=reader).select_related("study_case__case").first()

    response = client_for(reader).get(reverse("reading:case", args=[assignment.public_id]))

    assert response.status_code == 200
    assert events() == [("rita_reader", Action.READING_CASE, assignment.study_case.case.case_id, study.pk)]


def test_a_reader_opening_someone_elses_case_logs_nothing(reader, other_reader, study):
    theirs = Assignment.objects.filter(reader=other_reader).first()

    assert client_for(reader).get(reverse("reading:case", args=[theirs.public_id])).status_code == 404
    assert events() == []


@pytest.mark.parametrize(
    ("url_name", "action"),
    [
        ("studies:ratings", Action.EXPORT_RATINGS),
        ("studies:answers", Action.EXPORT_ANSWERS),
        ("studies:unblinding", Action.EXPORT_UNBLINDING),
        ("studies:audit", Action.EXPORT_AUDIT),
    ],
)
def test_each_export_logs_one_event(statistician, study, url_name, action):
    response = client_for(statistician).get(reverse(url_name, args=[study.pk]))

    assert response.status_code == 200
    assert events() == [("sam_statistician", action, str(study.pk), study.pk)]


def test_the_analysis_dashboard_and_bundle_each_log_one_event(coordinator, study):
    run = runs.run_analysis(runs.create_run(study=study, bootstrap=0, seed=1))
    client = client_for(coordinator)

    assert client.get(reverse("analysis:dashboard", args=[study.pk])).status_code == 200
    bundle = client.get(reverse("analysis:bundle", args=[study.pk, run.pk]))
    assert bundle.status_code == 200 and b"".join(bundle.streaming_content)
    # Plots are not logged: the dashboard shows a dozen of them.
    assert client.get(reverse("analysis:plot", args=[study.pk, run.pk, "likert", "svg"])).status_code == 200

    assert events() == [
        ("carol_coordinator", Action.ANALYSIS_DASHBOARD, str(study.pk), study.pk),
        ("carol_coordinator", Action.ANALYSIS_BUNDLE, str(run.pk), study.pk),
    ]


def test_a_generation_run_page_logs_one_event(coordinator, study):
    run = GenerationRun.objects.get()

    assert client_for(coordinator).get(reverse("reports:run", args=[run.pk])).status_code == 200
    assert events() == [("carol_coordinator", Action.GENERATION_RUN, str(run.pk), None)]


def test_dicomweb_metadata_is_logged_once_per_session_and_study(coordinator, stored_case):
    case, series, _instance = stored_case
    uid = case.study_instance_uid
    client = client_for(coordinator)

    for _ in range(2):
        assert client.get(reverse("dicomweb:study_metadata", args=[uid]), **JSON).status_code == 200
    series_metadata = reverse("dicomweb:series_metadata", args=[uid, series.series_instance_uid])
    assert client.get(series_metadata, **JSON).status_code == 200
    assert client.get(reverse("dicomweb:study_series", args=[uid]), **JSON).status_code == 200
    assert events() == [("carol_coordinator", Action.DICOMWEB_STUDY, uid, None)]

    # A new session (another sign-in) is logged again.
    assert client_for(coordinator).get(series_metadata, **JSON).status_code == 200
    assert AccessEvent.objects.count() == 2


def test_qido_logs_only_searches_that_name_a_study(coordinator, stored_case):
    case, _series, _instance = stored_case
    other = make_case(case_id="CMR-LOG0000002")
    make_series(case=other, number=1, description="LGE")
    client = client_for(coordinator)

    assert len(client.get(reverse("dicomweb:studies"), **JSON).json()) == 2
    assert len(client.get(reverse("dicomweb:all_series"), **JSON).json()) == 2
    assert events() == []

    found = client.get(reverse("dicomweb:studies") + f"?StudyInstanceUID={case.study_instance_uid}", **JSON)
    assert len(found.json()) == 1
    assert events() == [("carol_coordinator", Action.DICOMWEB_STUDY, case.study_instance_uid, None)]


def test_dicomweb_for_an_unknown_study_logs_nothing(coordinator, stored_case):
    client = client_for(coordinator)

    assert client.get(reverse("dicomweb:study_metadata", args=["1.2.3.4"]), **JSON).status_code == 404
    assert client.get(reverse("dicomweb:study_series", args=["1.2.3.4"]), **JSON).json() == []
    assert events() == []


def test_frames_bulk_data_and_whole_instances_are_not_logged(coordinator, stored_case):
    case, series, instance = stored_case
    uids = [case.study_instance_uid, series.series_instance_uid, instance.sop_instance_uid]
    client = client_for(coordinator)

    for frame in ("1", "2", "1,2"):
        response = client.get(reverse("dicomweb:frames", args=[*uids, frame]), HTTP_ACCEPT="*/*")
        assert response.status_code == 200
    assert (
        client.get(reverse("dicomweb:bulk_data", args=[*uids, "7FE00010"]), HTTP_ACCEPT="*/*").status_code
        == 200
    )
    response = client.get(reverse("dicomweb:instance", args=uids), HTTP_ACCEPT="*/*")
    assert response.status_code == 200 and b"".join(response.streaming_content)

    assert events() == []


def test_a_failing_insert_does_not_break_the_view(coordinator, stored_case, monkeypatch, caplog):
    case, _series, _instance = stored_case

    def refuse(**fields):
        raise RuntimeError("database is read-only")

    monkeypatch.setattr(AccessEvent.objects, "create", refuse)
    client = client_for(coordinator)
    with caplog.at_level(logging.WARNING, logger="cmr_reader.accounts.access_log"):
        viewer = client.get(reverse("viewer:case_viewer", args=[case.case_id]))
        metadata = client.get(reverse("dicomweb:study_metadata", args=[case.study_instance_uid]), **JSON)

    assert viewer.status_code == 200 and metadata.status_code == 200
    assert "could not record" in caplog.text
    # The session did not remember the study, so the next metadata request is logged.
    monkeypatch.undo()
    client.get(reverse("dicomweb:study_metadata", args=[case.study_instance_uid]), **JSON)
    assert events() == [("carol_coordinator", Action.DICOMWEB_STUDY, case.study_instance_uid, None)]


def test_a_database_error_on_insert_leaves_the_views_transaction_usable(
    coordinator, stored_case, monkeypatch
):
    """A real IntegrityError (NOT NULL): on PostgreSQL only the savepoint keeps the view's later
    queries (the viewer manifest) from failing with "current transaction is aborted"."""
    case, series, _instance = stored_case
    monkeypatch.setattr(access_log, "_request_id", lambda: None)

    response = client_for(coordinator).get(reverse("viewer:case_viewer", args=[case.case_id]))

    assert response.status_code == 200
    assert series.series_instance_uid in response.content.decode()
    assert events() == []


def test_without_trusted_proxies_the_address_is_remote_addr_whatever_x_forwarded_for_says(
    coordinator, stored_case
):
    case, _series, _instance = stored_case

    client_for(coordinator).get(
        reverse("viewer:case_viewer", args=[case.case_id]),
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )

    assert AccessEvent.objects.get().ip == "10.1.2.3"


def test_behind_a_trusted_proxy_the_address_is_the_one_it_appended_not_the_clients_claim(
    coordinator, stored_case, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    case, _series, _instance = stored_case

    client_for(coordinator).get(
        reverse("viewer:case_viewer", args=[case.case_id]),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7",
    )

    assert AccessEvent.objects.get().ip == "192.0.2.7"


def test_the_log_keeps_the_username_of_a_deleted_user(outsider, stored_case):
    AccessEvent.objects.create(
        user=outsider,
        username=outsider.username,
        action=Action.CASE_VIEWER,
        target="CMR-X",
        at=timezone.now(),
    )

    outsider.delete()

    event = AccessEvent.objects.get()
    assert (event.user, event.username) == (None, "olga_outsider")


def log(username: str, action: str, target: str, *, at, study: int | None = None) -> AccessEvent:
    return AccessEvent.objects.create(username=username, action=action, target=target, at=at, study=study)


@pytest.fixture
def logged(stored_case):
    """Four events over three days, oldest first."""
    case, _series, _instance = stored_case
    now = timezone.now().replace(hour=12)
    return [
        log("rita_reader", Action.READING_CASE, case.case_id, at=now - timedelta(days=2), study=1),
        log("carol_coordinator", Action.CASE_VIEWER, "CMR-OTHER", at=now - timedelta(days=1)),
        log("sam_statistician", Action.EXPORT_UNBLINDING, "1", at=now - timedelta(days=1, hours=1), study=1),
        log("rita_reader", Action.DICOMWEB_STUDY, case.study_instance_uid, at=now),
    ]


def listed(response) -> list[int]:
    return [event.pk for event in response.context["page"].object_list]


def test_the_page_lists_events_newest_first(coordinator, logged):
    response = client_for(coordinator).get(reverse("accounts:access_log"))

    assert response.status_code == 200
    assert listed(response) == [logged[3].pk, logged[1].pk, logged[2].pk, logged[0].pk]
    assert "rita_reader" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user": "rita_reader"}, [3, 0]),
        ({"action": Action.CASE_VIEWER}, [1]),
        ({"target": "CMR-OTHER"}, [1]),
        ({"user": "rita_reader", "action": Action.READING_CASE}, [0]),
    ],
)
def test_the_page_filters_by_user_action_and_target(coordinator, logged, query, expected):
    response = client_for(coordinator).get(reverse("accounts:access_log"), query)

    assert listed(response) == [logged[n].pk for n in expected]


def test_a_case_id_also_finds_its_studys_dicomweb_events(coordinator, logged, stored_case):
    case, _series, _instance = stored_case

    response = client_for(coordinator).get(reverse("accounts:access_log"), {"target": case.case_id})

    assert listed(response) == [logged[3].pk, logged[0].pk]


def test_the_page_filters_by_date_range_inclusive(coordinator, logged):
    day = timezone.localdate(logged[1].at)

    response = client_for(coordinator).get(reverse("accounts:access_log"), {"date_from": day, "date_to": day})
    assert listed(response) == [logged[1].pk, logged[2].pk]

    response = client_for(coordinator).get(reverse("accounts:access_log"), {"date_from": day})
    assert listed(response) == [logged[3].pk, logged[1].pk, logged[2].pk]


def test_dates_given_the_wrong_way_round_are_pointed_out(coordinator, logged):
    day = timezone.localdate(logged[1].at)

    response = client_for(coordinator).get(
        reverse("accounts:access_log"), {"date_from": day, "date_to": day - timedelta(days=1)}
    )

    assert "This date is before the From date: swap them?" in response.content.decode()
    # The end date is left out, as any invalid field: the page lists from the start date on.
    assert listed(response) == [logged[3].pk, logged[1].pk, logged[2].pk]


def test_an_invalid_date_is_shown_and_filters_nothing(coordinator, logged):
    response = client_for(coordinator).get(
        reverse("accounts:access_log"), {"date_from": "yesterday", "user": "rita_reader"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]
    assert listed(response) == [logged[3].pk, logged[0].pk]


def test_the_page_shows_a_hundred_events_a_page(coordinator):
    start = timezone.now()
    for n in range(101):
        log("rita_reader", Action.CASE_VIEWER, f"CMR-{n:04d}", at=start + timedelta(seconds=n))
    client = client_for(coordinator)

    first = client.get(reverse("accounts:access_log"), {"user": "rita_reader"})
    second = client.get(reverse("accounts:access_log"), {"user": "rita_reader", "page": 2})

    assert len(first.context["page"].object_list) == 100
    assert [event.target for event in second.context["page"].object_list] == ["CMR-0000"]
    assert "user=rita_reader&amp;page=2" in first.content.decode()
    # The CSV link carries the filters, never the page.
    assert 'access-log.csv?user=rita_reader"' in second.content.decode()


def test_the_csv_has_the_filtered_rows(coordinator, logged):
    response = client_for(coordinator).get(reverse("accounts:access_log_csv"), {"user": "rita_reader"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(row["action"], row["target"], row["study"]) for row in rows] == [
        (Action.DICOMWEB_STUDY, logged[3].target, ""),
        (Action.READING_CASE, logged[0].target, "1"),
    ]
    assert rows[0]["username"] == "rita_reader"


def test_csv_cells_cannot_become_spreadsheet_formulas(coordinator):
    log("=HYPERLINK(1)", Action.CASE_VIEWER, "+cmd|' /C calc'!A0", at=timezone.now())
    log("rita_reader", Action.CASE_VIEWER, "-1", at=timezone.now())

    body = b"".join(
        client_for(coordinator).get(reverse("accounts:access_log_csv")).streaming_content
    ).decode()

    assert "'=HYPERLINK(1)" in body and "'+cmd|' /C calc'!A0" in body
    # A plain number cannot run: it is written as it is (docs/decisions/0015).
    assert ",-1," in body and "'-1" not in body


def test_the_coordinators_home_page_links_the_access_log(coordinator):
    assert reverse("accounts:access_log") in client_for(coordinator).get(reverse("home")).content.decode()


@pytest.mark.parametrize("url_name", ["accounts:access_log", "accounts:access_log_csv"])
def test_only_coordinators_read_the_log(url_name, reader, statistician, logged):
    url = reverse(url_name)

    assert client_for(reader).get(url).status_code == 403
    assert client_for(statistician).get(url).status_code == 403
    assert Client().get(url)["Location"].startswith("/accounts/login/")


def test_the_admin_shows_the_log_read_only(logged):
    admin = get_user_model().objects.create_superuser("ada_admin", password="pw-ada")
    client = client_for(admin)

    assert client.get(reverse("admin:accounts_accessevent_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_accessevent_add")).status_code == 403
    assert client.get(reverse("admin:accounts_accessevent_delete", args=[logged[0].pk])).status_code == 403
    change = client.post(
        reverse("admin:accounts_accessevent_change", args=[logged[0].pk]), {"target": "edited"}
    )
    assert change.status_code == 403
    assert AccessEvent.objects.get(pk=logged[0].pk).target == logged[0].target


def test_record_access_reads_the_request_id_set_by_the_middleware(rf, coordinator):
    from cmr_reader.request_id import current_request_id

    request = rf.get("/")
    request.user = coordinator
    token = current_request_id.set("abc-123")
    try:
        event = access_log.record_access(request, action=Action.GENERATION_RUN, target=7)
    finally:
        current_request_id.reset(token)

    assert (event.target, event.request_id, event.ip) == ("7", "abc-123", "127.0.0.1")
