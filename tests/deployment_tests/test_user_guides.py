"""The user guides: every guide is listed in docs/README.md, every picture a guide shows exists,
and the Chinese reader's guide shows the same screenshots as the English one, in Chinese."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = DOCS / "guides"
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def images_of(guide: Path) -> list[str]:
    return IMAGE_LINK.findall(guide.read_text(encoding="utf-8"))


def test_every_guide_is_listed_in_the_docs_index():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    missing = [guide.name for guide in sorted(GUIDES.glob("*.md")) if f"`{guide.name}`" not in index]
    assert missing == []


def test_the_guides_for_every_role_exist():
    for name in ("reader.md", "reader.zh-Hans.md", "coordinator.md", "statistician.md", "operator.md"):
        assert (GUIDES / name).is_file(), name


def test_every_picture_in_a_guide_exists():
    missing = [
        f"{guide.name}: {link}"
        for guide in sorted(GUIDES.glob("*.md"))
        for link in images_of(guide)
        if not (guide.parent / link).is_file()
    ]
    assert missing == []


def test_the_chinese_readers_guide_shows_the_english_screenshots_in_chinese():
    english = images_of(GUIDES / "reader.md")
    chinese = images_of(GUIDES / "reader.zh-Hans.md")
    assert len(english) >= 5
    assert all(link.endswith(".en.png") for link in english)
    assert chinese == [link.replace(".en.png", ".zh-Hans.png") for link in english]
