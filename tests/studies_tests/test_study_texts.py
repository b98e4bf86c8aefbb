"""Study texts in both languages: the reader's language picks the criteria's wording and the
instructions, the other language fills in where one is empty, and the instructions' Markdown is
rendered and sanitised for the site's Content-Security-Policy."""

import re

import pytest
from django.test import Client

from cmr_reader.studies import assign
from cmr_reader.studies.forms import CriterionFormSet
from cmr_reader.studies.models import Criterion, ReaderStudy
from cmr_reader.studies.study_texts import clean_html, criterion_text, instructions_html, markdown_html
from tests.studies_tests.conftest import build_study
from tests.support.study_forms import criteria_formset_post

ENGLISH_READER = {"HTTP_ACCEPT_LANGUAGE": "en"}
CHINESE_READER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def a_criterion(**texts) -> Criterion:
    fields = {
        "key": "correctness",
        "label": "Correctness",
        "label_zh": "正确性",
        "help_text": "Is it correct?",
        "help_text_zh": "是否正确？",
        "anchors": [f"{n}: en" for n in range(1, 6)],
        "anchors_zh": [f"{n}：中" for n in range(1, 6)],
    }
    return Criterion(**{**fields, **texts})


def tags_of(html: str) -> list[str]:
    return re.findall(r"<[^>]*>", html)


# The choice of language


def test_the_readers_language_picks_the_criterion_text():
    criterion = a_criterion()

    english = criterion_text(criterion, "en")
    chinese = criterion_text(criterion, "zh-hans")

    assert (english.key, english.label, english.help_text) == ("correctness", "Correctness", "Is it correct?")
    assert english.anchors == tuple(f"{n}: en" for n in range(1, 6))
    assert (chinese.key, chinese.label, chinese.help_text) == ("correctness", "正确性", "是否正确？")
    assert chinese.anchors == tuple(f"{n}：中" for n in range(1, 6))


def test_an_empty_chinese_text_falls_back_to_english_part_by_part():
    chinese = criterion_text(a_criterion(label_zh="", help_text_zh="  ", anchors_zh=[]), "zh-hans")

    assert (chinese.label, chinese.help_text) == ("Correctness", "Is it correct?")
    assert chinese.anchors == tuple(f"{n}: en" for n in range(1, 6))
    assert criterion_text(a_criterion(help_text_zh=""), "zh-hans").label == "正确性"


def test_an_empty_english_text_falls_back_to_chinese():
    english = criterion_text(a_criterion(help_text="", anchors=[]), "en")

    assert english.help_text == "是否正确？"
    assert english.anchors == tuple(f"{n}：中" for n in range(1, 6))


def test_no_active_language_means_english():
    assert criterion_text(a_criterion(), None).label == "Correctness"


def test_the_readers_language_picks_the_instructions_and_falls_back_to_the_other():
    study = ReaderStudy(instructions="Read the *SAX* stack.", instructions_zh="先看**短轴**。")

    english = instructions_html(study, "en")
    chinese = instructions_html(study, "zh-hans")

    assert english == '<div class="study-text" lang="en"><p>Read the <em>SAX</em> stack.</p>\n</div>'
    assert chinese == '<div class="study-text" lang="zh-Hans"><p>先看<strong>短轴</strong>。</p>\n</div>'
    assert "SAX" in instructions_html(ReaderStudy(instructions="SAX", instructions_zh=" "), "zh-hans")
    assert "短轴" in instructions_html(ReaderStudy(instructions="", instructions_zh="短轴"), "en")


def test_instructions_in_neither_language_are_empty_and_without_fallback_stay_empty():
    assert instructions_html(ReaderStudy(), "en") == ""
    assert instructions_html(ReaderStudy(instructions="SAX"), "zh-hans", fallback=False) == ""


# Markdown and the sanitiser


def test_markdown_renders_emphasis_lists_links_and_headings_below_the_pages_own():
    html = markdown_html(
        "# Scoring\n\n*Read* **all** series:\n\n- cine\n- LGE\n\n1. first\n\nSee [the protocol](https://example.org/p).",
        lang="en",
    )

    assert "<h3>Scoring</h3>" in html and "<h1>" not in html
    assert "<em>Read</em> <strong>all</strong>" in html
    assert "<ul>\n<li>cine</li>\n<li>LGE</li>\n</ul>" in html and "<ol>\n<li>first</li>\n</ol>" in html
    assert (
        '<a href="https://example.org/p" target="_blank" rel="noopener noreferrer">the protocol</a>' in html
    )


def test_raw_html_in_the_markdown_is_shown_as_text_never_as_markup():
    html = markdown_html(
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n'
        '<p style="color:red">red</p> <span onclick="x()">click</span>',
        lang="en",
    )

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
    assert all(tag in ("<div", "</div>", "<p>", "</p>") or tag.startswith("<div ") for tag in tags_of(html))


def test_javascript_links_and_images_from_elsewhere_do_not_survive():
    html = markdown_html(
        "[click](javascript:alert(1)) <javascript:alert(2)> "
        "[data](data:text/html;base64,PHNjcmlwdD4=) ![a scan](https://tracker.example/pixel.png)",
        lang="en",
    )

    assert "href" not in html and "<img" not in html and "tracker.example" not in html
    assert "a scan" in html  # an image keeps its alt text


def test_the_sanitiser_removes_what_the_renderer_would_never_make():
    # The second line of defence, checked on its own: HTML that did not come from Markdown.
    cleaned = clean_html(
        '<p style="color:red" onclick="steal()">Hi<script>alert(1)</script><style>p{}</style>'
        '<img src="https://tracker.example/p.png" onerror="alert(2)">'
        '<a href="javascript:alert(3)">js</a> <a href="https://example.org" target="_top">ok</a>'
        "<iframe src=https://example.org></iframe></p>"
    )

    assert cleaned == (
        '<p>Hi<a target="_blank" rel="noopener noreferrer">js</a> '
        '<a href="https://example.org" target="_blank" rel="noopener noreferrer">ok</a></p>'
    )


def test_rendered_instructions_carry_no_inline_script_or_style():
    hostile = (
        '*hi* <b onmouseover=alert(1)>x</b> [a](https://e.org "t") <svg onload=alert(1)>\n\n'
        '<a href="javascript:void(0)" style="x">y</a>\n\n```html\n<script>z</script>\n```'
    )
    html = instructions_html(ReaderStudy(instructions=hostile, instructions_zh=hostile), "zh-hans")

    for tag in tags_of(html):
        assert not re.search(r"\s(on\w+|style)\s*=", tag, re.IGNORECASE), tag
        assert not re.match(r"<\s*(script|style|svg|iframe|img|object)\b", tag, re.IGNORECASE), tag
    assert "javascript:" not in "".join(tags_of(html))


# The coordinator's forms


def criteria_post(study: ReaderStudy, **changes) -> dict:
    """The criteria page's post for ``study``'s criteria, with ``changes`` to the first one."""
    data = criteria_formset_post(study)
    data.update({f"criteria-0-{name}": value for name, value in changes.items()})
    return data


@pytest.fixture
def draft_study() -> ReaderStudy:
    study = ReaderStudy.objects.create(name="Bilingual draft", seed=1)
    assign.add_default_criteria(study)
    return study


@pytest.mark.django_db
def test_a_new_study_has_the_default_criteria_in_both_languages(draft_study):
    correctness = draft_study.criteria.get(key="correctness")

    assert (correctness.label, correctness.label_zh) == ("Correctness", "正确性")
    assert len(correctness.anchors) == len(correctness.anchors_zh) == 5
    assert correctness.help_text_zh.endswith("？")
    assert set(draft_study.criteria.values_list("label_zh", flat=True)) == {"正确性", "完整性", "可读性"}


@pytest.mark.django_db
def test_the_criteria_form_saves_both_languages(draft_study):
    formset = CriterionFormSet(
        criteria_post(
            draft_study,
            label="Accuracy",
            label_zh="准确性",
            help_text_zh="所见是否准确？",
            anchors_zh="一\n二\n\n三\n四\n五\n",  # blank lines are not points
        ),
        instance=draft_study,
    )

    assert formset.is_valid(), formset.errors
    formset.save()
    saved = draft_study.criteria.get(key="correctness")
    assert (saved.label, saved.label_zh, saved.help_text_zh) == ("Accuracy", "准确性", "所见是否准确？")
    assert saved.anchors_zh == ["一", "二", "三", "四", "五"]
    assert saved.anchors[0].startswith("1: ")


@pytest.mark.django_db
def test_the_criteria_form_takes_no_chinese_wording_as_english_only(draft_study):
    formset = CriterionFormSet(
        criteria_post(draft_study, label_zh="", help_text_zh="", anchors_zh=""), instance=draft_study
    )

    assert formset.is_valid(), formset.errors
    formset.save()
    saved = draft_study.criteria.get(key="correctness")
    assert (saved.label_zh, saved.help_text_zh, saved.anchors_zh) == ("", "", [])


@pytest.mark.django_db
@pytest.mark.parametrize("lines", ["一\n二\n三\n四", "一\n二\n三\n四\n五\n六"])
def test_the_criteria_form_refuses_chinese_wording_that_is_not_five_lines(draft_study, lines):
    formset = CriterionFormSet(criteria_post(draft_study, anchors_zh=lines), instance=draft_study)

    assert not formset.is_valid()
    assert "anchors_zh" in formset.forms[0].errors
    assert draft_study.criteria.get(key="correctness").anchors_zh[0].startswith("1：")


@pytest.mark.django_db
def test_the_coordinator_saves_instructions_in_both_languages_through_the_pages(coordinator):
    client = Client(**ENGLISH_READER)
    client.force_login(coordinator)
    response = client.post(
        "/studies/new/",
        {
            "name": "Bilingual pilot",
            "instructions": "Read the *SAX* stack first.",
            "instructions_zh": "请先看**短轴**。",
            "readers_per_case": 1,
            "overlap_count": 0,
            "washout_fraction": 0,
            "washout_days": 0,
            "seed": 3,
        },
    )
    study = ReaderStudy.objects.get(name="Bilingual pilot")
    assert response.status_code == 302
    assert (study.instructions, study.instructions_zh) == ("Read the *SAX* stack first.", "请先看**短轴**。")

    criteria_page = client.get(f"/studies/{study.pk}/criteria/").content.decode()
    assert 'name="criteria-0-label_zh"' in criteria_page and "正确性" in criteria_page
    preview = client.get(f"/studies/{study.pk}/display/").content.decode()
    assert "<em>SAX</em>" in preview and "<strong>短轴</strong>" in preview


# The reading page


@pytest.fixture
def bilingual_study(reader, other_reader):
    built = build_study(
        readers=[reader, other_reader],
        cases=2,
        instructions="Score the *images*, not the style.",
        instructions_zh="请对照**图像**评分。",
    )
    return built.study


def reading_page(user, study: ReaderStudy, headers: dict) -> str:
    client = Client(**headers)
    client.force_login(user)
    assignment = study.assignments.filter(reader=user).order_by("position").first()
    response = client.get(f"/reading/cases/{assignment.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_reading_page_in_chinese_shows_the_chinese_criteria_and_instructions(reader, bilingual_study):
    page = reading_page(reader, bilingual_study, CHINESE_READER)

    assert '<div class="study-text" lang="zh-Hans"><p>请对照<strong>图像</strong>评分。</p>' in page
    assert "正确性" in page and "完整性" in page and "1：存在会改变临床处置的重大错误" in page
    assert "Correctness" not in page and "Score the" not in page


@pytest.mark.django_db
def test_the_reading_page_in_english_shows_the_english_criteria_and_instructions(reader, bilingual_study):
    page = reading_page(reader, bilingual_study, ENGLISH_READER)

    assert '<div class="study-text" lang="en"><p>Score the <em>images</em>, not the style.</p>' in page
    assert "Correctness" in page and "1: Major errors that would change management" in page
    assert "正确性" not in page and "请对照" not in page


@pytest.mark.django_db
def test_a_chinese_reader_sees_english_where_the_study_has_no_chinese(reader, bilingual_study):
    ReaderStudy.objects.filter(pk=bilingual_study.pk).update(instructions_zh="")
    bilingual_study.criteria.filter(key="readability").update(label_zh="", anchors_zh=[])

    page = reading_page(reader, bilingual_study, CHINESE_READER)

    assert "Score the <em>images</em>" in page
    assert "Readability" in page and "可读性" not in page and "正确性" in page


@pytest.mark.django_db
def test_the_reader_home_shows_the_instructions_in_the_readers_language(reader, bilingual_study):
    client = Client(**CHINESE_READER)
    client.force_login(reader)

    page = client.get("/reading/").content.decode()

    assert "请对照<strong>图像</strong>评分。" in page and "Score the" not in page


@pytest.mark.django_db
def test_both_slots_get_the_same_texts(reader, bilingual_study):
    # Blinding: nothing in the criteria's wording may differ between report A and report B.
    page = reading_page(reader, bilingual_study, CHINESE_READER)
    legends = re.findall(
        r'<fieldset class="likert" data-item="([AB])\.(\w+)".*?<legend>(.*?)</legend>', page, re.S
    )
    titles = re.findall(r'<input type="radio" name="([AB])\.(\w+)" value="\d" title="([^"]*)"', page)

    by_slot = {slot: [(key, text) for s, key, text in legends if s == slot] for slot in "AB"}
    assert by_slot["A"] == by_slot["B"] and len(by_slot["A"]) == 3
    assert [(k, t) for s, k, t in titles if s == "A"] == [(k, t) for s, k, t in titles if s == "B"]
    assert len(titles) == 2 * 3 * 5
