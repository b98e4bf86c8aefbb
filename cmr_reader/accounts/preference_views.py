"""The header's language switch and the preferences page (language and time zone)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST

from cmr_reader.accounts import preferences
from cmr_reader.accounts.preference_forms import PreferenceForm


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie, then back to ``next``), and for a signed-in
    user the choice saved as their preference, so it follows them to other browsers."""
    response = i18n.set_language(request)
    language = preferences.supported_language(request.POST.get("language"))
    if language and request.user.is_authenticated:
        saved = preferences.save_preference(user=request.user, language=language)
        preferences.remember(request.session, user=request.user, preference=saved)
    return response


@login_required
def preferences_page(request: HttpRequest) -> HttpResponse:
    current = preferences.preference_of(request.user)
    form = PreferenceForm(
        request.POST or None, initial={"language": current.language, "time_zone": current.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        saved = preferences.save_preference(
            user=request.user,
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        preferences.remember(request.session, user=request.user, preference=saved)
        # The confirmation is read in the language just chosen.
        with translation.override(saved.language or translation.get_language()):
            messages.success(request, _("Your preferences are saved."))
        response = redirect("preferences")
        if saved.language:
            set_language_cookie(response, saved.language)
        return response
    return render(request, "accounts/preferences.html", {"form": form})


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """The cookie Django's set_language writes, so the login page keeps the language after logout."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
