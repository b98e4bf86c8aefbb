"""A study's texts in the reader's language: the criteria's wording and the instructions.

The coordinator enters each text in English and in Chinese; a reader sees the one of the active
interface language, or the other where that one is empty. Instructions are Markdown, rendered
with raw HTML off and then sanitised, so what reaches the page has no script, no event handler,
no inline style (the site's Content-Security-Policy, docs/decisions/0010) and no image from
elsewhere (docs/decisions/0024). Nothing here depends on the slot (A or B) a text is shown for.
"""

from dataclasses import dataclass

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

from cmr_reader.studies.models import Criterion, ReaderStudy

ENGLISH = "en"
CHINESE = "zh"
# The lang attribute of each language's text, for fonts and line breaking (static/css/site.css).
LANG_TAGS = {ENGLISH: "en", CHINESE: "zh-Hans"}

# What Markdown may produce; anything else is dropped (its text kept).
ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Headings sit inside the page's own h1/h2, so "# Title" becomes h3.
HEADING_SHIFT = 2


@dataclass(frozen=True)
class CriterionText:
    """One criterion as a reader sees it: attribute names as on ``Criterion``, so the rating
    template reads either."""

    key: str
    label: str
    help_text: str
    anchors: tuple[str, ...]


def text_language(language: str | None) -> str:
    """The study-text language (``ENGLISH`` or ``CHINESE``) for an interface language code
    such as ``get_language()``'s "en" or "zh-hans"; English when there is none."""
    return CHINESE if (language or "").lower().startswith("zh") else ENGLISH


def choose(english: str, chinese: str, language: str | None) -> str:
    """The text in ``language``, or the other one where that is empty (blank counts as empty)."""
    first, second = (chinese, english) if text_language(language) == CHINESE else (english, chinese)
    return first if first.strip() else second


def criterion_text(criterion: Criterion, language: str | None) -> CriterionText:
    """The criterion's label, question and the wording of its five points in ``language``;
    each part falls back to the other language on its own."""
    if text_language(language) == CHINESE:
        anchors = criterion.anchors_zh or criterion.anchors
    else:
        anchors = criterion.anchors or criterion.anchors_zh
    return CriterionText(
        key=criterion.key,
        label=choose(criterion.label, criterion.label_zh, language),
        help_text=choose(criterion.help_text, criterion.help_text_zh, language),
        anchors=tuple(anchors or ()),
    )


def instructions_html(study: ReaderStudy, language: str | None, *, fallback: bool = True) -> SafeString:
    """The study's instructions in ``language`` (else, with ``fallback``, the other language) as
    sanitised HTML in a ``div`` with the text's lang attribute; "" when there are none."""
    wanted = text_language(language)
    texts = {ENGLISH: study.instructions, CHINESE: study.instructions_zh}
    other = CHINESE if wanted == ENGLISH else ENGLISH
    shown = wanted if texts[wanted].strip() or not fallback else other
    return markdown_html(texts[shown], lang=LANG_TAGS[shown])


def markdown_html(text: str, *, lang: str) -> SafeString:
    """``text`` (Markdown) as sanitised HTML in a ``div`` marked ``lang``; "" for blank text."""
    if not text.strip():
        return SafeString("")
    tokens = _MARKDOWN.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_SHIFT)}"
    body = clean_html(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))
    # Safe: ``body`` has been through the sanitiser and ``lang`` is escaped.
    return mark_safe(f'<div class="study-text" lang="{escape(lang)}">{body}</div>')


def clean_html(html: str) -> str:
    """``html`` with only the tags, attributes and URL schemes Markdown needs; links get
    rel="noopener noreferrer" and open in a new tab (a reader keeps the case open). A second
    line of defence: the renderer already escapes raw HTML and refuses javascript: links."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def _image_as_alt_text(renderer, tokens: list[Token], idx: int, options, env) -> str:
    """Images become their alt text: an image from elsewhere would tell its host who reads
    when, and the site's CSP blocks it anyway."""
    return escape(renderer.renderInlineAsText(tokens[idx].children or [], options, env))


# CommonMark with raw HTML off: "<script>" in the instructions is shown as text.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_MARKDOWN.add_render_rule("image", _image_as_alt_text)
