"""Short-lived, per-process memory of sessions that Django has just let read frames.

A viewer asks for every frame of a cine separately (250 requests for one SAX stack), and most of
a request's cost in Django is loading the session and the user, not reading the frame. After the
full Django frame view has authenticated a session and served it a frame, it *grants* that session
key for ``GRANT_SECONDS``; the WSGI fast lane (``frame_fast_lane.py``) serves frames to granted
sessions, still asking ``dicomweb_access`` about every instance, and sends everything else
through Django.

What this trades: a logout or role change in *another* web process reaches the fast lane within
``GRANT_SECONDS`` (a logout in this process revokes at once).
"""

import threading
import time
from dataclasses import dataclass

GRANT_SECONDS = 10.0
MAX_GRANTS = 10_000

_grants: dict[str, "Grant"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Grant:
    user: object
    expires_at: float


def grant(session_key: str | None, *, user, now: float | None = None) -> None:
    if not session_key:
        return
    now = time.monotonic() if now is None else now
    with _lock:
        if len(_grants) >= MAX_GRANTS:
            _drop_expired(now)
        _grants[session_key] = Grant(user=user, expires_at=now + GRANT_SECONDS)


def granted_user(session_key: str | None, *, now: float | None = None):
    """The user a live grant was made to, or None (then Django must decide)."""
    if not session_key:
        return None
    found = _grants.get(session_key)
    if found is None:
        return None
    if found.expires_at <= (time.monotonic() if now is None else now):
        _grants.pop(session_key, None)
        return None
    return found.user


def revoke(session_key: str | None) -> None:
    if session_key:
        _grants.pop(session_key, None)


def revoke_all() -> None:
    _grants.clear()


def _drop_expired(now: float) -> None:
    for key in [key for key, value in _grants.items() if value.expires_at <= now]:
        del _grants[key]
    if len(_grants) >= MAX_GRANTS:
        _grants.clear()
