"""The optional second factor for staff: a TOTP authenticator app (django-otp's TOTP plugin).

A staff member (coordinator, statistician, admin) enrols one device: an unconfirmed device with
a fresh secret is made, and it is confirmed by a current code from the app. From then on, every
login of that user is followed by a code step (``two_factor_middleware``) before any other page.
Codes are checked by django-otp, which refuses a code at or before the last one accepted (so a
code cannot be used twice) and throttles wrong codes exponentially (1, 2, 4, ... seconds).
"""

import math
from base64 import b32encode
from dataclasses import dataclass

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from cmr_reader.accounts.roles import Role, roles_of

DEVICE_NAME = "authenticator"
# Whether this session's user must pass the code step; set at login (see ``remember_at_login``)
# so that the middleware needs no query per request.
REQUIRED_SESSION_KEY = "two_factor_required"


@dataclass(frozen=True)
class CodeCheck:
    accepted: bool
    # Seconds to wait before another code is looked at (django-otp's throttling), else 0.
    wait_seconds: int = 0


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=False).first()


@transaction.atomic
def start_enrolment(*, user) -> TOTPDevice:
    """A new unconfirmed device with a fresh random secret; earlier unconfirmed ones are dropped.

    Callers check first that the user has no confirmed device (one device per user).
    """
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def check_code(*, device: TOTPDevice, token: str) -> CodeCheck:
    """Check ``token`` against ``device`` under a row lock, so that two requests racing with the
    same code cannot both succeed. A wrong code is counted (throttling); a throttled attempt is
    refused without looking at the code."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, details = locked.verify_is_allowed()
        if not allowed:
            return CodeCheck(accepted=False, wait_seconds=_seconds_until(details))
        return CodeCheck(accepted=locked.verify_token(token))


def _seconds_until(details: dict | None) -> int:
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, math.ceil((locked_until - timezone.now()).total_seconds()))


def confirm_enrolment(*, device: TOTPDevice, token: str) -> CodeCheck:
    """Confirm a pending device with a current code from the app; only then does it count."""
    check = check_code(device=device, token=token)
    if check.accepted:
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
    return check


@transaction.atomic
def remove_device(*, user, password: str = "", token: str = "") -> CodeCheck:
    """Remove the user's device if ``password`` is theirs or ``token`` is a current code."""
    device = confirmed_device(user)
    if device is None:
        return CodeCheck(accepted=False)
    if password and user.check_password(password):
        check = CodeCheck(accepted=True)
    elif token:
        check = check_code(device=device, token=token)
    else:
        check = CodeCheck(accepted=False)
    if check.accepted:
        TOTPDevice.objects.filter(user=user).delete()
    return check


def remove_devices_of(*, user) -> int:
    """An administrator's recovery for a lost phone: every device of ``user``, confirmed or not."""
    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    return removed


def count_failed_code(request, user) -> bool:
    """Count a wrong code as a failed login for django-axes (the same username+address lockout as
    wrong passwords); True when that locks the login."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed in, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as a QR code, an SVG data: URI (allowed by the page's img-src)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def remember_at_login(sender, request, user, **kwargs) -> None:
    """Note in the new session whether its user must pass the code step (``user_logged_in``)."""
    if request is not None and hasattr(request, "session"):
        request.session[REQUIRED_SESSION_KEY] = user_has_device(user)


def session_needs_code(request) -> bool:
    """True while the signed-in user has a confirmed device and this session has not passed it.

    Sessions that predate the flag (or this feature) are looked up once and flagged. A device
    enrolled in another session applies to sessions that log in after it.
    """
    required = request.session.get(REQUIRED_SESSION_KEY)
    if required is None:
        required = user_has_device(request.user)
        request.session[REQUIRED_SESSION_KEY] = required
    return bool(required) and not request.user.is_verified()


def refresh_requirement(request) -> None:
    request.session[REQUIRED_SESSION_KEY] = user_has_device(request.user)


@dataclass(frozen=True)
class StaffSecondFactor:
    username: str
    roles: list[Role]
    enrolled: bool


def staff_second_factors() -> list[StaffSecondFactor]:
    """Every active staff member and whether they have a confirmed second factor (coordinators)."""
    staff_groups = [Role.COORDINATOR.value, Role.STATISTICIAN.value]
    users = (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name__in=staff_groups), is_active=True)
        .distinct()
        .annotate(enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .prefetch_related("groups")
        .order_by("username")
    )
    rows = []
    for user in users:
        # roles_of caches group names per user; the prefetch answers it without a query each.
        user._role_names = {group.name for group in user.groups.all()}
        rows.append(
            StaffSecondFactor(username=user.get_username(), roles=roles_of(user), enrolled=user.enrolled)
        )
    return rows
