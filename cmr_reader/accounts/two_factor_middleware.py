"""Until a session with a second factor has passed the code step, it reaches nothing else.

Installed after django-otp's ``OTPMiddleware`` (which tells whether the session is verified).
Pages redirect to the code step; the API, DICOMweb and JSON requests get a 403 JSON answer,
which a script can read (a redirect to an HTML form would only confuse it).
"""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from cmr_reader.accounts import two_factor

# URL names a session may use before its code is checked: the code step itself, logging out,
# the load balancer's health probe, and the header's language switch with the JavaScript
# catalogue (neither shows any data). Static files never reach Django's views (whitenoise).
ALLOWED_BEFORE_CODE = {"two_factor:verify", "logout", "health", "set_language", "javascript-catalog"}
MACHINE_PREFIXES = ("/api/", "/dicomweb/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or not two_factor.session_needs_code(request):
            return None
        if request.resolver_match.view_name in ALLOWED_BEFORE_CODE:
            return None
        if wants_json(request):
            return JsonResponse(
                {
                    "detail": _("Enter the code from your authenticator app on the web site first."),
                    "code": "second_factor_required",
                },
                status=403,
            )
        verify_url = reverse("two_factor:verify")
        if request.method == "GET":
            verify_url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(verify_url)


def wants_json(request) -> bool:
    if request.path_info.startswith(MACHINE_PREFIXES):
        return True
    if request.content_type == "application/json":
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept
