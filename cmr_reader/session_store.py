"""Sessions in the database, as Django's ``db`` engine keeps them, read with written-out SQL.

Every request of a signed-in user reads its session first. Django's ``db`` engine reads it with
``Session.objects.get(...)``, and the ORM builds that query's SQL afresh each time: under the
autosave benchmark (bench/bench_autosave.py) that lookup was about a fifth of a web worker's CPU
per save, more than the database spent answering it (decision 0031). The statement here is the
same lookup, built once per process and database vendor; writing, expiry and clearing stay
Django's own. The stored rows are unchanged, so the engine can be switched either way with no
sign-out.
"""

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.get_model_class()
        connection = connections[router.db_for_read(model)]
        with connection.cursor() as cursor:
            cursor.execute(
                _session_sql(connection.alias),
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's engine does for a key it cannot find: the next save starts a new one.
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])


@functools.cache
def _session_sql(alias: str) -> str:
    """Built once per process and database alias (which fixes the vendor), not on every request."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = SessionStore.get_model_class()._meta
    column = lambda name: quote(meta.get_field(name).column)  # noqa: E731 - three uses below
    return (
        f"SELECT {column('session_data')} FROM {quote(meta.db_table)} "
        f"WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )
