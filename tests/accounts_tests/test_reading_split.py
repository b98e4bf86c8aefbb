"""The reading page's divider between images and reports: each reader's place for it, kept on the
server and rendered into every case they open."""

import json

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from cmr_reader.accounts import preferences
from cmr_reader.accounts.models import UserPreference
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db


def post_split(client: Client, body) -> object:
    return client.post(reverse("reading:split"), data=json.dumps(body), content_type="application/json")


def test_a_reader_without_a_choice_gets_the_default_split(reader):
    assert preferences.reading_split_of(reader) == preferences.DEFAULT_READING_SPLIT


def test_the_split_a_reader_saves_is_theirs_alone(client, reader, other_reader):
    client.force_login(reader)

    response = post_split(client, {"split": 0.7})

    assert response.status_code == 200 and response.json() == {"ok": True, "split": 0.7}
    assert preferences.reading_split_of(reader) == 0.7
    assert preferences.reading_split_of(other_reader) == preferences.DEFAULT_READING_SPLIT


def test_saving_the_split_keeps_the_language_and_time_zone(client, reader):
    preferences.save_preference(user=reader, language="zh-hans", time_zone="Asia/Shanghai")
    client.force_login(reader)

    post_split(client, {"split": 0.5})

    stored = UserPreference.objects.get(user=reader)
    assert (stored.language, stored.time_zone, stored.reading_split) == ("zh-hans", "Asia/Shanghai", 0.5)


@pytest.mark.parametrize(
    "body", [{"split": 0.1}, {"split": 0.95}, {"split": True}, {"split": "0.6"}, {"split": None}, {}, [0.6]]
)
def test_a_split_out_of_bounds_or_not_a_number_is_refused(client, reader, body):
    client.force_login(reader)

    response = post_split(client, body)

    assert response.status_code == 400 and response.json()["ok"] is False
    assert not UserPreference.objects.filter(user=reader, reading_split__isnull=False).exists()


def test_a_body_that_is_not_json_is_refused(client, reader):
    client.force_login(reader)

    response = client.post(reverse("reading:split"), data="split=0.6", content_type="text/plain")

    assert response.status_code == 400


def test_only_readers_may_save_a_split(client, outsider, coordinator):
    assert post_split(client, {"split": 0.6}).status_code == 302  # to the login page
    for person in (outsider, coordinator):
        client.force_login(person)
        assert post_split(client, {"split": 0.6}).status_code == 403
    assert client.get(reverse("reading:split")).status_code == 405


def test_the_split_needs_a_csrf_token(reader):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)

    assert post_split(client, {"split": 0.6}).status_code == 403


def test_the_database_refuses_a_split_out_of_bounds(reader):
    with pytest.raises(IntegrityError):
        UserPreference.objects.create(user=reader, reading_split=0.99)


def test_the_reading_page_opens_with_the_readers_split(client, reader, other_reader):
    build_study(readers=[reader, other_reader], cases=2)
    assignment = Assignment.objects.filter(reader=reader).order_by("position").first()
    preferences.save_reading_split(user=reader, split=0.72)
    client.force_login(reader)

    page = client.get(reverse("reading:case", args=[assignment.public_id])).content.decode()

    assert 'data-split="0.7200"' in page
    assert 'role="separator"' in page and 'aria-valuenow="72"' in page
    assert f'data-split-url="{reverse("reading:split")}"' in page
