"""Every word a template shows is marked for translation, and dates use the locale's formats."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.i18n_tests.template_text import template_files, untranslated_text

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NAMED_DATE_FORMATS = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
    "c",  # ISO 8601, for machine-readable attributes such as <time datetime="...">
}
# A 24-hour clock reads the same in every language of the site; "P" (a.m./p.m.) would not.
TIME_FORMATS = {"TIME_FORMAT", "H:i", "H:i:s"}
DATE_FILTER = re.compile(r"\|\s*(date|time)\s*:\s*(['\"])(.*?)\2")


def test_every_template_marks_its_visible_text_for_translation():
    found = [
        str(item)
        for path in template_files(TEMPLATES)
        for item in untranslated_text(path.read_text(), str(path.relative_to(TEMPLATES)))
    ]

    assert found == [], "Wrap these in {% translate %} or {% blocktranslate %}:\n" + "\n".join(found)


def test_templates_format_dates_with_the_locales_formats():
    hard_coded = []
    for path in template_files(TEMPLATES):
        for match in DATE_FILTER.finditer(path.read_text()):
            allowed = NAMED_DATE_FORMATS if match[1] == "date" else TIME_FORMATS
            if match[3] not in allowed:
                hard_coded.append(f"{path.relative_to(TEMPLATES)}: {match[0]}")

    assert hard_coded == [], "Use DATE_FORMAT, SHORT_DATETIME_FORMAT, ... instead of:\n" + "\n".join(
        hard_coded
    )


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hello there</p>",
        '<button title="Close the dialog">{% translate "Close" %}</button>',
        '<img src="x.png" alt="A heart">',
        '<nav aria-label="Pages"></nav>',
        '<input placeholder="Search cases">',
        "<td>{{ low }} to {{ high }}</td>",
        '{% load i18n %}<p>{% translate "Marked" %} but this is not</p>',
        "{% if x %}<span>Unmarked in a branch</span>{% endif %}",
    ],
)
def test_the_check_finds_unmarked_text(source):
    assert untranslated_text(source), source


@pytest.mark.parametrize(
    "source",
    [
        '{% load i18n %}<p>{% translate "Hello there" %}</p>',
        '{% load i18n %}<p>{% blocktranslate with n=3 %}{{ n }} cases <a href="/x">here</a>{% endblocktranslate %}</p>',
        "{% load i18n %}<button title=\"{% translate 'Close the dialog' %}\">{{ label }}</button>",
        '<div class="report-text" data-item="pair.comment" id="rating-form"></div>',
        "<script>const words = 'not shown';</script><style>.a::after { content: 'x'; }</style>",
        "<!-- a comment for developers -->{# a template comment #}",
        "{% comment %}Notes for developers{% endcomment %}",
        "<th>n</th><th>p</th><kbd>I</kbd><td>F1</td><td>MAE</td><a>SVG</a> · <a>PNG</a>",
        "<td>{{ a }} / {{ b }} × 3 — 95%</td>",
    ],
)
def test_the_check_accepts_marked_or_invisible_text(source):
    assert untranslated_text(source) == []


def test_the_check_names_the_template_and_line():
    [item] = untranslated_text("<p>\n\n<b>Lost words</b></p>", "x.html")

    assert (item.template, item.line, item.text) == ("x.html", 3, "Lost words")
