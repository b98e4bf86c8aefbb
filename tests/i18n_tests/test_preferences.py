"""Each person's language and time zone: the header's switch, the preferences page, the middleware."""

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cmr_reader.accounts.models import AccessEvent, UserPreference
from cmr_reader.accounts.preferences import preference_of, save_preference
from cmr_reader.analysis import runs
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
CHINESE_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
# 20:30:05 UTC on 1 March is 04:30:05 on 2 March in Shanghai (UTC+8, no daylight saving).
EVENT_AT = datetime(2026, 3, 1, 20, 30, 5, tzinfo=UTC)


def log_in(client: Client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": "pw-" + user.username})
    assert response.status_code == 302


def test_choosing_a_language_in_the_header_saves_it_for_the_signed_in_user(coordinator):
    client = Client(**ENGLISH_BROWSER)
    log_in(client, coordinator)

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/studies/"})

    assert response.status_code == 302 and response["Location"] == "/studies/"
    assert preference_of(coordinator).language == "zh-hans"
    assert "阅片研究" in client.get(reverse("studies:list")).content.decode()


def test_the_saved_language_follows_the_user_to_another_browser(coordinator):
    save_preference(user=coordinator, language="zh-hans")
    elsewhere = Client(**ENGLISH_BROWSER)

    log_in(elsewhere, coordinator)
    body = elsewhere.get(reverse("home")).content.decode()

    assert '<html lang="zh-hans">' in body and "研究协调员" in body


def test_the_saved_language_beats_the_browsers(coordinator):
    save_preference(user=coordinator, language="en")
    client = Client(**CHINESE_BROWSER)
    log_in(client, coordinator)

    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_without_a_saved_language_the_browser_decides(coordinator):
    client = Client(**CHINESE_BROWSER)
    log_in(client, coordinator)

    assert '<html lang="zh-hans">' in client.get(reverse("home")).content.decode()
    assert not UserPreference.objects.exists()


def test_a_visitor_who_is_not_signed_in_switches_with_a_cookie_only():
    client = Client(**ENGLISH_BROWSER)

    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("login")})

    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "<h1>登录</h1>" in client.get(reverse("login")).content.decode()
    assert not UserPreference.objects.exists()


def test_a_language_the_site_does_not_offer_is_not_saved(coordinator):
    client = Client(**ENGLISH_BROWSER)
    log_in(client, coordinator)

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    assert preference_of(coordinator).language == ""


def test_the_header_links_to_the_preferences_and_marks_the_current_language(coordinator):
    client = Client(**ENGLISH_BROWSER)
    client.force_login(coordinator)

    body = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("preferences")}"' in body
    assert 'value="en" lang="en" aria-current="true">English</button>' in body
    assert 'value="zh-hans" lang="zh-hans">简体中文</button>' in body


def test_the_preferences_page_saves_language_and_time_zone(coordinator):
    client = Client(**ENGLISH_BROWSER)
    client.force_login(coordinator)

    response = client.post(
        reverse("preferences"), {"language": "zh-hans", "time_zone": "Asia/Shanghai"}, follow=True
    )

    assert (preference_of(coordinator).language, preference_of(coordinator).time_zone) == (
        "zh-hans",
        "Asia/Shanghai",
    )
    body = response.content.decode()
    assert "您的偏好设置已保存。" in body and '<option value="Asia/Shanghai" selected>' in body
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_the_preferences_page_refuses_an_unknown_time_zone(coordinator):
    client = Client(**ENGLISH_BROWSER)
    client.force_login(coordinator)

    response = client.post(reverse("preferences"), {"language": "", "time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not UserPreference.objects.exists()


def test_save_preference_refuses_what_the_site_does_not_offer(coordinator):
    with pytest.raises(ValueError):
        save_preference(user=coordinator, language="klingon")
    with pytest.raises(ValueError):
        save_preference(user=coordinator, time_zone="Nowhere/Special")
    assert save_preference(user=coordinator, language="zh-Hans").language == "zh-hans"


def test_a_date_is_shown_in_chinese_in_the_users_time_zone(coordinator):
    AccessEvent.objects.create(username="rita", action="case_viewer", target="CMR-1", at=EVENT_AT)
    save_preference(user=coordinator, language="zh-hans", time_zone="Asia/Shanghai")
    client = Client(**ENGLISH_BROWSER)
    log_in(client, coordinator)

    body = client.get(reverse("accounts:access_log")).content.decode()

    assert "2026年3月2日 04:30:05" in body
    assert 'datetime="2026-03-02T04:30:05+08:00"' in body


def test_without_a_time_zone_dates_are_in_the_sites(coordinator, settings):
    settings.TIME_ZONE = "UTC"
    AccessEvent.objects.create(username="rita", action="case_viewer", target="CMR-1", at=EVENT_AT)
    save_preference(user=coordinator, language="zh-hans")
    client = Client(**ENGLISH_BROWSER)
    log_in(client, coordinator)

    assert "2026年3月1日 20:30:05" in client.get(reverse("accounts:access_log")).content.decode()


def test_an_english_date_uses_the_english_format(coordinator):
    AccessEvent.objects.create(username="rita", action="case_viewer", target="CMR-1", at=EVENT_AT)
    save_preference(user=coordinator, language="en", time_zone="Asia/Shanghai")
    client = Client()
    log_in(client, coordinator)

    assert "March 2, 2026 04:30:05" in client.get(reverse("accounts:access_log")).content.decode()


def test_the_users_time_zone_ends_with_the_request(coordinator):
    save_preference(user=coordinator, time_zone="Asia/Shanghai")
    client = Client()
    log_in(client, coordinator)

    client.get(reverse("home"))

    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_the_bundle_stays_english_whatever_language_builds_it(reader, other_reader):
    study = build_study(readers=[reader, other_reader]).study

    with translation.override("zh-hans"):
        run = runs.run_analysis(runs.create_run(study=study, bootstrap=0, seed=1))

    with run.bundle.open("rb") as handle:
        metadata = json.loads(zipfile.ZipFile(io.BytesIO(handle.read())).read("export_metadata.json"))
    assert "never from the levels" in metadata["weights"]
    assert metadata["columns"]["ratings_long"]["arm"].startswith("reference (radiologist's report)")


def test_the_header_switch_returns_to_the_page_it_was_used_on(coordinator):
    client = Client(**ENGLISH_BROWSER)
    client.force_login(coordinator)

    response = client.post(
        reverse("set_language"), {"language": "zh-hans"}, HTTP_REFERER="http://testserver/studies/?page=2"
    )

    assert response.status_code == 302 and response["Location"].endswith("/studies/?page=2")
