"""The session engine reads what Django's ``db`` engine reads, with a statement built once.

cmr_reader/session_store.py replaces ``Session.objects.get`` on every request; the rows, their
expiry and every write stay Django's. Each case here is checked against Django's own engine on
the same row, so the two cannot drift apart unnoticed.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmr_reader import session_store

pytestmark = pytest.mark.django_db


def stored_session(**data) -> str:
    session = django_db.SessionStore()
    session.update(data)
    session.create()
    return session.session_key


def loaded(engine, key: str) -> tuple[dict, str | None]:
    store = engine.SessionStore(key)
    return store.load(), store._session_key


def test_the_site_uses_it():
    assert settings.SESSION_ENGINE == "cmr_reader.session_store"


def test_a_live_session_loads_as_djangos_engine_loads_it():
    key = stored_session(reader="rita", answers=[1, 2, 3])

    ours = loaded(session_store, key)

    assert ours == loaded(django_db, key)
    assert ours == ({"reader": "rita", "answers": [1, 2, 3]}, key)


def test_an_expired_session_is_no_session_and_its_key_is_dropped():
    key = stored_session(reader="rita")
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    ours = loaded(session_store, key)

    assert ours == loaded(django_db, key) == ({}, None)


def test_an_unknown_or_tampered_key_is_no_session():
    key = stored_session(reader="rita")
    unknown = "x" * 32

    assert loaded(session_store, unknown) == loaded(django_db, unknown) == ({}, None)
    Session.objects.filter(session_key=key).update(session_data="not signed by this site")
    assert loaded(session_store, key)[0] == loaded(django_db, key)[0] == {}


def test_a_load_is_one_statement_built_once():
    key = stored_session(reader="rita")
    with CaptureQueriesContext(connection) as first:
        session_store.SessionStore(key).load()
    with CaptureQueriesContext(connection) as second:
        session_store.SessionStore(key).load()

    assert len(first.captured_queries) == len(second.captured_queries) == 1
    assert session_store._session_sql.cache_info().hits >= 1


def test_a_session_saved_through_it_is_read_back_by_djangos_engine():
    store = session_store.SessionStore()
    store["reader"] = "rita"
    store.save()

    assert loaded(django_db, store.session_key) == ({"reader": "rita"}, store.session_key)
