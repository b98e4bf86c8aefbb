"""Hooks for django-axes: the client's address behind reverse proxies, and the lockout page."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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


def lockout_response(request: HttpRequest, credentials: dict | None = None) -> HttpResponse:
    """The lockout page, in the reader's language, saying how long to wait (429 Too Many Requests)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/lockout.html", context, status=429)
