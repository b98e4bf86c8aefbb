"""Errors show the site's own pages, in the reader's language, with nothing of the code behind them."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import bad_request, server_error

pytestmark = pytest.mark.django_db

DEBUG_PAGE_MARKERS = ("Traceback", "Django tried these URL patterns", "settings.py", "DEBUG = True")


def assert_no_debug_detail(text: str) -> None:
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in text, marker


def test_an_unknown_address_shows_the_sites_not_found_page(client, reader):
    client.force_login(reader)
    response = client.get("/no-such-page/")
    text = response.content.decode()

    assert response.status_code == 404
    assert "There is nothing at this address." in text
    assert "/no-such-page/" not in text
    assert_no_debug_detail(text)


def test_a_server_error_shows_the_sites_page_and_says_saved_answers_are_kept():
    response = server_error(RequestFactory().get("/reading/"))
    text = response.content.decode()

    assert response.status_code == 500
    assert "Something went wrong" in text and "What you saved before is kept" in text
    assert 'href="/static/css/site.css"' in text
    assert_no_debug_detail(text)


def test_an_unexpected_exception_in_a_view_is_the_sites_500_page(reader, monkeypatch):
    from cmr_reader import home_views

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(home_views, "render", broken)
    client = Client(raise_request_exception=False)
    client.force_login(reader)
    response = client.get("/")
    text = response.content.decode()

    assert response.status_code == 500
    assert "Something went wrong" in text
    assert "secret detail" not in text
    assert_no_debug_detail(text)


def test_a_bad_request_shows_the_sites_page():
    response = bad_request(RequestFactory().get("/"), exception=None)

    assert response.status_code == 400
    assert "The site could not read this request." in response.content.decode()


def test_a_form_sent_without_its_token_says_it_expired_and_nothing_changed(reader):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": reader.username, "password": "whatever"})
    text = response.content.decode()

    assert response.status_code == 403
    assert "Form expired" in text and "Nothing was changed." in text
    assert "CSRF" not in text
    assert_no_debug_detail(text)


def test_error_pages_are_in_the_readers_language(client):
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "There is nothing at this address." not in response.content.decode()
