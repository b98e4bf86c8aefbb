"""Every page of the site, the Django admin's and the REST API's included, opened in headless
Chromium under the Content Security Policy: none may trip it.

The pages are those of the URL access table (tests/security_tests/test_url_permissions.py),
each opened by a role allowed to; a new page joins this tour when it gets its access rule.
"""

import pytest
from django.test import Client
from django.urls import reverse

from cmr_reader.imaging.models import Case
from tests.security_tests.test_url_permissions import (
    ACCESS,
    ADMIN,
    OWN_ASSIGNMENT,
    READER,
    stored,  # noqa: F401 (a fixture)
    url_for,
    users,  # noqa: F401 (a fixture)
)
from tests.support.chromium import csp_violations, log_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORDS = {ADMIN: "pw-ada", READER: "pw-rita_reader"}
# Documents a browser shows itself; anything else (JSON, DICOM, CSV, zip) it downloads.
DOCUMENT_TYPES = ("text/html", "image/svg+xml")


def admin_pages() -> list[str]:
    """A few of the Django admin's pages (its URLs are not in the access table), and a 404."""
    case = Case.objects.get()
    return [
        reverse("admin:index"),
        reverse("admin:imaging_case_changelist"),
        reverse("admin:imaging_case_change", args=[case.pk]),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_group_changelist"),
        "/no-such-page/",  # the site's 404 page
    ]


def pages_for(role: str, users, instance, job) -> list[str]:  # noqa: F811
    """The GET pages this role may open whose answer a browser displays."""
    client = Client()
    client.force_login(users[role])
    pages = []
    for name, (method, allowed) in sorted(ACCESS.items()):
        wanted = READER if allowed == OWN_ASSIGNMENT else ADMIN
        if method != "get" or wanted != role or role not in allowed:
            continue
        url = url_for(name, instance, job)
        response = client.get(url, HTTP_ACCEPT="text/html,*/*;q=0.8")
        if response.status_code == 200 and response["Content-Type"].startswith(DOCUMENT_TYPES):
            pages.append(url)
    return pages + (admin_pages() if role == ADMIN else [])


def test_no_page_trips_the_content_security_policy(browser, live_server, stored, users):  # noqa: F811
    instance, job = stored
    violations = {}
    for role in (ADMIN, READER):
        pages = pages_for(role, users, instance, job)
        assert len(pages) >= (20 if role == ADMIN else 1), pages  # the tour really tours
        browser.delete_all_cookies()
        log_in(browser, live_server.url, username=users[role].username, password=PASSWORDS[role])
        for url in pages:
            browser.get(live_server.url + url)
            seen = csp_violations(browser)
            if seen:
                violations[url] = seen

    assert violations == {}
