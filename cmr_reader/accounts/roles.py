"""The study's roles. A role is a Django group; superusers are admins and may do everything."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    READER = "reader", _("Reader")
    COORDINATOR = "coordinator", _("Study coordinator")
    STATISTICIAN = "statistician", _("Statistician")


# Coordinators and statisticians: the roles that may see any case and run the study (readers may not).
STAFF_ROLES = (Role.COORDINATOR, Role.STATISTICIAN)


def ensure_role_groups() -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # Cached on the user object: role checks run several times per request.
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache
    return role.value in cache


def is_staff_member(user) -> bool:
    """Coordinators, statisticians and admins: people who may see any case (readers may not)."""
    return any(has_role(user, role) for role in STAFF_ROLES)


def roles_of(user) -> list[Role]:
    return [role for role in Role if has_role(user, role)]
