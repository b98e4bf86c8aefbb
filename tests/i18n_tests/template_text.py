"""Find user-visible template text that is not marked for translation.

A template is cut into tokens by Django's own Lexer. Everything Django will translate or fill in
({% translate %}, {% blocktranslate %} ... {% endblocktranslate %}, {{ variables }}, other tags)
becomes an opaque placeholder; the literal text left over is parsed as HTML. What a user reads or
hears (element text, and the title, alt, aria-label, placeholder and label attributes) must then
contain no words. Script and style bodies, comments and other attributes are not user-visible.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

PLACEHOLDER = "\x00"
VISIBLE_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "label", "aria-description"}
TRANSLATING_TAGS = {"translate", "trans"}
BLOCK_PAIRS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}
# Words that are the same in every language of this site: statistical symbols and file formats
# as printed in papers and software (single letters, keyboard keys among them, are always allowed).
LANGUAGE_NEUTRAL = {"F1", "MAE", "SVG", "PNG", "CSV", "XLSX", "SHA-256", "DICOM"}
WORD = re.compile(r"[^\W\d_][\w\-]*", re.UNICODE)


@dataclass(frozen=True)
class Untranslated:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def skeleton(source: str) -> str:
    """The template with every Django-produced part replaced by PLACEHOLDER (newlines kept)."""
    parts: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        newlines = "\n" * token.contents.count("\n")
        if closing is not None:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == closing:
                closing = None
            parts.append(PLACEHOLDER + newlines)
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        elif token.token_type == TokenType.BLOCK and token.contents.split()[0] in BLOCK_PAIRS:
            closing = BLOCK_PAIRS[token.contents.split()[0]]
            parts.append(PLACEHOLDER + newlines)
        else:
            parts.append(PLACEHOLDER + newlines)
    return "".join(parts)


def words_in(text: str) -> list[str]:
    """The words of a visible text that a translator would have to translate."""
    found = []
    for word in WORD.findall(text.replace(PLACEHOLDER, " ")):
        if len(word) == 1 or word in LANGUAGE_NEUTRAL:
            continue
        found.append(word)
    return found


class _VisibleText(HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name = name
        self.hidden_depth = 0
        self.found: list[Untranslated] = []

    def _check(self, text: str) -> None:
        if words_in(text):
            self.found.append(
                Untranslated(self.name, self.getpos()[0], " ".join(text.replace(PLACEHOLDER, "…").split()))
            )

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.hidden_depth += 1
        for key, value in attrs:
            if key in VISIBLE_ATTRIBUTES and value:
                self._check(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data):
        if not self.hidden_depth:
            self._check(data)


def untranslated_text(source: str, name: str = "<template>") -> list[Untranslated]:
    parser = _VisibleText(name)
    parser.feed(skeleton(source))
    parser.close()
    return parser.found


def template_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.suffix in {".html", ".txt"} and path.is_file())
