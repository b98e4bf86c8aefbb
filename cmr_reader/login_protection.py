"""Hooks for django-axes: the client's address behind reverse proxies, the lockout page, and a
lockout by address across usernames (one password tried against many accounts)."""

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_ip(request: HttpRequest) -> str | None:
    """Each trusted proxy appends the address it saw to X-Forwarded-For, so the client is the
    entry ``TRUSTED_PROXY_COUNT`` from the right; entries further left are the client's own
    claims and are ignored. Without trusted proxies (or a short header) the socket address counts.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def address_failures(address: str, *, now) -> int:
    """Wrong passwords from ``address`` within the cool-off, whatever the username."""
    total = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=now - settings.AXES_COOLOFF_TIME
    ).aggregate(failures=Sum("failures_since_start"))["failures"]
    return total or 0


class AddressLockoutBackend:
    """Refuses every login from an address that has failed ``AXES_ADDRESS_FAILURE_LIMIT`` times
    within the cool-off across all usernames (password spraying: one common password tried
    against many accounts stays under each account's limit). Its limit is higher than the
    per-account one, since a hospital's readers may share one address behind NAT.

    First in AUTHENTICATION_BACKENDS: raising PermissionDenied stops ``authenticate`` before any
    password is checked, and the flag makes axes' middleware answer with the lockout page.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not settings.AXES_ENABLED:
            return None
        address = client_ip(request)
        if address and address_failures(address, now=timezone.now()) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True
            raise PermissionDenied
        # No get_user: like axes' backend, this one never logs anyone in, so sessions (and the
        # test client's force_login) name UserWithRolesBackend.
        return None


def lockout_response(request: HttpRequest, credentials: dict | None = None) -> HttpResponse:
    """The lockout page, in the reader's language, saying how long to wait (429 Too Many Requests)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/lockout.html", context, status=429)
