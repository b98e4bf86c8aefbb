"""Sign-in backend: Django's ModelBackend, with the user's roles read in the same query.

Every request of a signed-in user loads its user (``get_user``), and nearly every view then asks
for its roles (``accounts.roles.has_role``), a second query. On the autosave, which runs on
every click of every reader, that second query was one round trip in six (decision 0031). Here
the user row comes with its group names, joined, and ``has_role`` finds them on the object. The
roles are read afresh on every request, as before: a role taken away takes effect at once.
"""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connection


class UserWithRolesBackend(ModelBackend):
    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001 - a malformed id in a session is no user, as in ModelBackend
            return None
        rows = list(user_model._default_manager.raw(_user_with_roles_sql(connection.vendor), [pk]))
        if not rows:
            return None
        user = rows[0]
        user._role_names = {row.role_name for row in rows if row.role_name is not None}
        return user if self.user_can_authenticate(user) else None


@functools.cache
def _user_with_roles_sql(vendor: str) -> str:
    """Built once per process (keyed by the database it is for), not on every request."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    through = user_model._meta.get_field("groups").remote_field.through._meta
    user_column = through.get_field(user_model._meta.model_name).column
    group_column = through.get_field("group").column
    return (
        f"SELECT u.*, g.{quote('name')} AS role_name FROM {quote(user_model._meta.db_table)} u "
        f"LEFT JOIN {quote(through.db_table)} ug ON ug.{quote(user_column)} = u.{quote(user_model._meta.pk.column)} "
        f"LEFT JOIN {quote(Group._meta.db_table)} g ON g.{quote(Group._meta.pk.column)} = ug.{quote(group_column)} "
        f"WHERE u.{quote(user_model._meta.pk.column)} = %s"
    )
