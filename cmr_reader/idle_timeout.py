"""End sessions after ``SESSION_COOKIE_AGE`` of inactivity without a session write per request.

Django sets a session's expiry when the session is saved. ``SESSION_SAVE_EVERY_REQUEST`` would
save it on every request, and a viewer fetches hundreds of frames a minute; this middleware marks
the session changed at most once per ``SESSION_REFRESH_INTERVAL`` seconds instead, so expiry
trails the last activity by at most that interval. (Frames answered by the WSGI fast lane never
reach Django; the viewer's other requests keep the session alive.)
"""

import time

from django.conf import settings

REFRESHED_AT_KEY = "_refreshed_at"


def stamp_login(sender, request, user, **kwargs) -> None:
    """Logging in saves the session with a fresh expiry; stamping it then spares the first request
    after login a second write. (Connected to ``user_logged_in`` in AccountsConfig.ready.)"""
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_AT_KEY] = int(time.time())


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only sessions that exist: a visitor without one (or with an expired cookie) must not
        # get a fresh session row from this.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            session = request.session
            now = int(time.time())
            stale = now - session.get(REFRESHED_AT_KEY, 0) >= settings.SESSION_REFRESH_INTERVAL
            if stale and not session.is_empty():
                session[REFRESHED_AT_KEY] = now
        return self.get_response(request)
