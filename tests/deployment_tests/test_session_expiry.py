import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from cmr_reader.idle_timeout import REFRESHED_AT_KEY

pytestmark = pytest.mark.django_db


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_sessions_last_eight_hours_by_default(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


def test_activity_after_a_minute_renews_the_expiry(client, reader):
    client.force_login(reader)
    session = client.session
    session[REFRESHED_AT_KEY] = int(time.time()) - 120
    session.save()
    # As if the reader had been idle for 7 h 59 min.
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )

    client.get("/")

    assert session_row(client).expire_date > timezone.now() + timedelta(hours=7, minutes=59)


def test_activity_within_a_minute_does_not_write_the_session(client, reader):
    client.force_login(reader)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + timedelta(hours=1)
    )

    client.get("/")

    assert session_row(client).expire_date < timezone.now() + timedelta(hours=2)


def test_a_visitor_without_a_session_gets_none(client):
    client.get("/accounts/login/")
    client.cookies["sessionid"] = "no-such-session"
    client.get("/health/")

    assert Session.objects.count() == 0
