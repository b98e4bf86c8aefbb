"""Security headers on real responses: the Content Security Policy on every page (the same in
development and production), and HSTS, frame denial and the referrer policy in production."""

import json

import pytest
from django.test import Client

from tests.deployment_tests.test_production_settings import run_python
from tests.security_tests.test_url_permissions import (
    ACCESS,
    ADMIN,
    OWN_ASSIGNMENT,
    READER,
    stored,  # noqa: F401 (a fixture)
    url_for,
    users,  # noqa: F401 (a fixture)
)

# The policy, directive by directive (docs/decisions/0010).
SITE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'wasm-unsafe-eval'"],
    "worker-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def parse_policy(header: str) -> dict[str, list[str]]:
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def policy(response) -> dict[str, list[str]]:
    return parse_policy(response.headers["Content-Security-Policy"])


def html_pages(users, instance, job) -> list[tuple[str, str]]:  # noqa: F811
    """(role, url) for every GET page of the access table, opened by a role allowed to."""
    pages = []
    for name, (method, allowed) in sorted(ACCESS.items()):
        if method == "get":
            pages.append((READER if allowed == OWN_ASSIGNMENT else ADMIN, url_for(name, instance, job)))
    return pages + [
        (ADMIN, "/admin/"),
        (ADMIN, "/admin/imaging/case/"),
        (ADMIN, "/admin/auth/user/add/"),
        (ADMIN, "/no-such-page/"),  # 404
        (READER, "/imaging/upload/"),  # 403
        (None, "/accounts/login/"),
    ]


@pytest.mark.django_db
def test_every_html_page_carries_the_site_policy(stored, users):  # noqa: F811
    instance, job = stored
    checked = []
    for role, url in html_pages(users, instance, job):
        client = Client()
        if role:
            client.force_login(users[role])
        response = client.get(url, HTTP_ACCEPT="text/html,*/*;q=0.8")
        if response["Content-Type"].startswith("text/html"):
            assert policy(response) == SITE_POLICY, url
            checked.append((url, response.status_code))

    statuses = {status for _url, status in checked}
    assert len(checked) > 25 and {200, 403, 404} <= statuses, checked


@pytest.mark.django_db
def test_no_inline_script_eval_or_inline_style_is_allowed(client, coordinator):
    client.force_login(coordinator)

    directives = policy(client.get("/"))

    assert (
        "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    )
    assert "'unsafe-inline'" not in directives["style-src"]
    assert not any(
        source.startswith(("'nonce-", "'sha")) for sources in directives.values() for source in sources
    )


@pytest.mark.django_db
def test_an_svg_document_may_style_itself_but_runs_no_script(stored, users):  # noqa: F811
    instance, job = stored
    client = Client()
    client.force_login(users[ADMIN])

    response = client.get(url_for("analysis:plot", instance, job))

    assert response["Content-Type"] == "image/svg+xml"
    assert policy(response) == {
        **SITE_POLICY,
        "script-src": ["'none'"],
        "style-src": ["'self'", "'unsafe-inline'"],
    }


def test_static_files_carry_the_site_policy(client, settings):
    # A web worker (the viewer's DICOM decoders) runs under the policy of its own script's
    # response: whitenoise's static files must pass through the policy's middleware.
    settings.WHITENOISE_USE_FINDERS = True

    response = client.get("/static/js/reading.js")

    assert response.status_code == 200
    assert policy(response) == SITE_POLICY


def test_production_keeps_hsts_frame_denial_referrer_policy_and_the_same_policy(tmp_path):
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "response = Client().get('/accounts/login/', HTTP_HOST='cmr.example-hospital.org', "
        "HTTP_X_FORWARDED_PROTO='https'); "
        "print(json.dumps([response.status_code, dict(response.headers)]))"
    )
    result = run_python(["-c", code], tmp_path)

    assert result.returncode == 0, result.stderr
    status, headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert parse_policy(headers["Content-Security-Policy"]) == SITE_POLICY
