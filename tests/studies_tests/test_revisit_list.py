"""My reading's "Change a submitted case": each submitted case named by its number in the reader's
study, the study and the day it was submitted, in the reader's language, and nothing about its
reports."""

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from cmr_reader.accounts import preferences
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db


def revisit_items(page: str) -> list[str]:
    listed = re.search(r'<ul class="revisit">(.*?)</ul>', page, re.S)
    assert listed, "no list of submitted cases"
    return [
        re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)
    ]


@pytest.fixture
def submitted(reader, other_reader):
    build_study(readers=[reader, other_reader], cases=3, readers_per_case=2, overlap=3, name="HCM pilot")
    mine = list(Assignment.objects.filter(reader=reader).order_by("position"))
    Assignment.objects.filter(pk=mine[0].pk).update(submitted_at=datetime(2026, 3, 14, 9, 30, tzinfo=UTC))
    Assignment.objects.filter(pk=mine[2].pk).update(submitted_at=datetime(2026, 11, 2, 16, 0, tzinfo=UTC))
    return mine


def test_each_submitted_case_is_listed_with_its_number_study_and_date(client, reader, submitted):
    preferences.save_preference(user=reader, language="en", time_zone="UTC")
    client.force_login(reader)

    page = client.get(reverse("reading:home")).content.decode()

    assert revisit_items(page) == [
        # ISO 8601 short dates in English (cmr_reader/formats/en): 03/14 or 14/03 is read both ways.
        "Case 1 of HCM pilot submitted 2026-03-14",
        "Case 3 of HCM pilot submitted 2026-11-02",
    ]
    assert f'href="/reading/cases/{submitted[0].public_id}/"' in page


def test_the_date_follows_the_readers_language_and_time_zone(client, reader, submitted):
    preferences.save_preference(user=reader, language="zh-hans", time_zone="Asia/Shanghai")
    client.force_login(reader)

    items = revisit_items(client.get(reverse("reading:home")).content.decode())

    # The Chinese short date (2026年3月14日), and 16:00 UTC on 2 November is 3 November in Shanghai.
    with translation.override("zh-hans"):
        dates = [
            date_format(date(2026, 3, 14), "SHORT_DATE_FORMAT"),
            date_format(date(2026, 11, 3), "SHORT_DATE_FORMAT"),
        ]
    assert dates[0] != "2026-03-14"
    assert dates[0] in items[0] and dates[1] in items[1]


def test_the_list_says_nothing_about_the_reports(client, reader, submitted):
    client.force_login(reader)

    listed = " ".join(revisit_items(client.get(reverse("reading:home")).content.decode()))

    for revealing in ("AI", "ai", "model", "Model", "reference", "Reference", "findings"):
        assert revealing not in listed
