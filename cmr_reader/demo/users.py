"""Demo users, one per role, for the embedded demo and the guides."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from cmr_reader.accounts.roles import Role, ensure_role_groups

DEMO_USERS: list[tuple[str, Role]] = [
    ("coordinator", Role.COORDINATOR),
    ("statistician", Role.STATISTICIAN),
    ("reader1", Role.READER),
    ("reader2", Role.READER),
    ("reader3", Role.READER),
]


@transaction.atomic
def create_demo_users(*, password: str) -> list[str]:
    """Create (or reset) the demo users with ``password``; running it twice changes nothing else."""
    ensure_role_groups()
    User = get_user_model()
    names = []
    for username, role in DEMO_USERS:
        user, _created = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
        names.append(username)
    return names
