"""Each person's interface language and time zone: stored on the user, applied to every request;
and where they like the reading page's divider between images and reports.

Who decides, in order: the signed-in user's saved preference, then (language only) Django's
LocaleMiddleware, which reads the language cookie set by the header's switch and then the
browser's Accept-Language; the time zone falls back to settings.TIME_ZONE. The preference is read
from the database once per session (at login, or at the first request of an older session) and kept in the session,
so that a page (or a viewer fetching hundreds of frames) costs no extra query.
"""

import math
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from cmr_reader.accounts.models import READING_SPLIT_MAX, READING_SPLIT_MIN, UserPreference

SESSION_KEY = "_preference"
# The images' share of the reading page's width until the reader drags the divider.
DEFAULT_READING_SPLIT = 0.6


@dataclass(frozen=True)
class Preference:
    language: str = ""
    time_zone: str = ""


def supported_language(code: str | None) -> str:
    """The code as listed in settings.LANGUAGES ("zh-Hans" -> "zh-hans"), or "" if not offered."""
    wanted = (code or "").strip().lower()
    return next((language for language, _name in settings.LANGUAGES if language.lower() == wanted), "")


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """IANA zone names ("Asia/Shanghai"), sorted; the legacy aliases without a "/" left out."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


def supported_time_zone(name: str | None) -> str:
    return name if name in time_zone_names() else ""


def preference_of(user) -> Preference:
    stored = UserPreference.objects.filter(user=user).values_list("language", "time_zone").first()
    return Preference(*stored) if stored else Preference()


@transaction.atomic
def save_preference(*, user, language: str | None = None, time_zone: str | None = None) -> Preference:
    """Save the given parts (None leaves a part as it is; "" clears it). Unsupported values raise
    ValueError: the forms and the language switch validate first."""
    if language is not None and language and not supported_language(language):
        raise ValueError(f"unsupported language {language!r}")
    if time_zone is not None and time_zone and not supported_time_zone(time_zone):
        raise ValueError(f"unknown time zone {time_zone!r}")
    stored, _created = UserPreference.objects.select_for_update().get_or_create(user=user)
    if language is not None:
        stored.language = supported_language(language)
    if time_zone is not None:
        stored.time_zone = time_zone
    stored.save()
    return Preference(stored.language, stored.time_zone)


def reading_split_of(user) -> float:
    """The share of the reading page's width this user gives the images."""
    stored = UserPreference.objects.filter(user=user).values_list("reading_split", flat=True).first()
    return DEFAULT_READING_SPLIT if stored is None else stored


@transaction.atomic
def save_reading_split(*, user, split: float) -> float:
    """Keep the images' share of the reading page's width for ``user``. A share outside
    READING_SPLIT_MIN..READING_SPLIT_MAX (or not a finite number) raises ValueError."""
    if isinstance(split, bool) or not isinstance(split, int | float) or not math.isfinite(split):
        raise ValueError(f"not a number: {split!r}")
    if not READING_SPLIT_MIN <= split <= READING_SPLIT_MAX:
        raise ValueError(f"split {split} outside {READING_SPLIT_MIN}..{READING_SPLIT_MAX}")
    split = round(float(split), 4)
    UserPreference.objects.update_or_create(user=user, defaults={"reading_split": split})
    return split


def remember(session, *, user, preference: Preference) -> None:
    """Keep the preference in the session so the middleware applies it without a query."""
    session[SESSION_KEY] = {
        "user": user.pk,
        "language": preference.language,
        "time_zone": preference.time_zone,
    }


def remember_at_login(sender, request, user, **kwargs) -> None:
    """Read the preference into the new session (``user_logged_in``)."""
    if request is not None and hasattr(request, "session"):
        remember(request.session, user=user, preference=preference_of(user))


def apply(request, preference: Preference) -> None:
    """Activate the preference for the rest of this request (the caller deactivates the zone)."""
    if preference.language:
        translation.activate(preference.language)
        request.LANGUAGE_CODE = translation.get_language()
    if preference.time_zone:
        timezone.activate(zoneinfo.ZoneInfo(preference.time_zone))


class UserPreferenceMiddleware:
    """Apply the signed-in user's language and time zone. After AuthenticationMiddleware (it needs
    request.user) and after LocaleMiddleware (it overrides the browser's language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            cached = request.session.get(SESSION_KEY)
            if not cached or cached.get("user") != user.pk:
                remember(request.session, user=user, preference=preference_of(user))
                cached = request.session[SESSION_KEY]
            apply(request, Preference(cached["language"], cached["time_zone"]))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
