"""Pages of the second factor: the staff member's settings, enrolment, removal, the login code step."""

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cmr_reader import login_protection
from cmr_reader.accounts import two_factor
from cmr_reader.accounts.permissions import role_required
from cmr_reader.accounts.roles import STAFF_ROLES, Role, has_role
from cmr_reader.accounts.two_factor_forms import CodeForm, RemoveDeviceForm


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second, then try again.",
        "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
        seconds,
    ) % {"seconds": seconds}


WRONG_CODE = gettext_lazy(
    "That code is not right, or it was already used. Enter the code your app shows now."
)


def _add_check_error(form, check: two_factor.CodeCheck) -> None:
    if check.wait_seconds:
        form.add_error(None, _wait_message(check.wait_seconds))
    else:
        form.add_error("code", WRONG_CODE)


@never_cache
@role_required(*STAFF_ROLES)
def settings_page(request: HttpRequest) -> HttpResponse:
    return _render_settings(request, RemoveDeviceForm())


def _render_settings(request: HttpRequest, remove_form: RemoveDeviceForm) -> HttpResponse:
    context = {
        "device": two_factor.confirmed_device(request.user),
        "remove_form": remove_form,
        # Coordinators see which staff have a second factor.
        "staff": two_factor.staff_second_factors() if has_role(request.user, Role.COORDINATOR) else None,
    }
    return render(request, "accounts/two_factor_settings.html", context)


@never_cache
@require_POST
@role_required(*STAFF_ROLES)
def start(request: HttpRequest) -> HttpResponse:
    if two_factor.confirmed_device(request.user) is not None:
        messages.info(
            request, _("Your account already has a second factor. Remove it first to set up a new one.")
        )
        return redirect("two_factor:settings")
    two_factor.start_enrolment(user=request.user)
    return redirect("two_factor:enrol")


@never_cache
@role_required(*STAFF_ROLES)
def enrol(request: HttpRequest) -> HttpResponse:
    device = two_factor.pending_device(request.user)
    if device is None:
        return redirect("two_factor:settings")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = two_factor.confirm_enrolment(device=device, token=form.cleaned_data["code"])
        if check.accepted:
            # This session has just shown a code: it counts as verified.
            django_otp.login(request, device)
            two_factor.refresh_requirement(request)
            messages.success(request, _("Two-factor sign-in is on. Each login will now ask for a code."))
            return redirect("two_factor:settings")
        _add_check_error(form, check)
    context = {
        "form": form,
        "secret": two_factor.secret_base32(device),
        "otpauth_uri": device.config_url,
        "qr_code": two_factor.qr_code_data_uri(device),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@never_cache
@require_POST
@role_required(*STAFF_ROLES)
def remove(request: HttpRequest) -> HttpResponse:
    if two_factor.confirmed_device(request.user) is None:
        return redirect("two_factor:settings")
    form = RemoveDeviceForm(request.POST)
    if form.is_valid():
        check = two_factor.remove_device(
            user=request.user, password=form.cleaned_data["password"], token=form.cleaned_data["code"]
        )
        if check.accepted:
            two_factor.refresh_requirement(request)
            messages.success(request, _("Two-factor sign-in is off. Logins ask for your password only."))
            return redirect("two_factor:settings")
        if check.wait_seconds:
            form.add_error(None, _wait_message(check.wait_seconds))
        else:
            form.add_error(None, _("The password or the code is not right."))
    return _render_settings(request, form)


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The login's code step, for users with a confirmed device (others pass straight on)."""
    next_url = _safe_next(request)
    device = two_factor.confirmed_device(request.user)
    if device is None:
        two_factor.refresh_requirement(request)
        return redirect(next_url)
    if request.user.is_verified():
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = two_factor.check_code(device=device, token=form.cleaned_data["code"])
        if check.accepted:
            request.session.cycle_key()
            django_otp.login(request, device)
            return redirect(next_url)
        _add_check_error(form, check)
        if not check.wait_seconds and two_factor.count_failed_code(request, request.user):
            logout(request)
            return login_protection.lockout_response(request)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL
