"""The Simplified Chinese catalogue is complete, current and safe to format.

`test_the_catalogue_holds_every_marked_string` runs makemessages over a copy of the sources and
the committed catalogues, so it fails when a marked string is missing (or a stale one is left);
docs/guides/translators.md says how to update and compile.
"""

import os
import shutil
import subprocess

import pytest
from django.conf import settings
from django.utils import translation

from tests.i18n_tests.catalogue import DOMAINS, LANGUAGES, LOCALE, entry_key, placeholders, po_path, read

SOURCES = ["manage.py", "cmr_reader", "templates", "static/js", "viewer/src"]
CATALOGUES = [(language, domain) for language in LANGUAGES for domain in DOMAINS]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """makemessages, run over a copy of the sources and of the committed catalogues."""
    if shutil.which("xgettext") is None:
        pytest.fail("makemessages needs GNU gettext: apt-get install gettext (scripts/bootstrap.sh does)")
    root = tmp_path_factory.mktemp("sources")
    for source in SOURCES:
        original = settings.BASE_DIR / source
        if original.is_dir():
            shutil.copytree(
                original, root / source, ignore=shutil.ignore_patterns("__pycache__", "node_modules")
            )
        else:
            shutil.copy2(original, root / source)
    shutil.copytree(LOCALE, root / "locale", ignore=shutil.ignore_patterns("*.mo"))
    for domain in DOMAINS:
        _makemessages(root, domain)
    return root


def _makemessages(root, domain: str) -> None:
    """In a separate process rooted at the copy, so that LOCALE_PATHS (BASE_DIR/locale) is the copy's."""
    result = subprocess.run(
        [
            str(settings.BASE_DIR / ".venv" / "bin" / "python"),
            "manage.py",
            "makemessages",
            "-d",
            domain,
            "-v",
            "0",
        ]
        + [arg for language in LANGUAGES for arg in ("-l", language)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cmr_reader.settings", "PYTHONPATH": str(root)},
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_the_catalogue_holds_every_marked_string(extracted, language, domain):
    fresh = read(extracted / "locale" / language / "LC_MESSAGES" / f"{domain}.po")
    committed = {entry_key(e) for e in read(po_path(language, domain)) if not e.obsolete}
    current = {entry_key(e) for e in fresh if not e.obsolete}

    missing = sorted(current - committed)
    stale = sorted(committed - current)
    assert not missing, (
        f"Marked but not in {domain}.po (run makemessages, docs/guides/translators.md): {missing}"
    )
    assert not stale, f"In {domain}.po but no longer in the sources (run makemessages): {stale}"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_entry_is_translated_and_none_is_fuzzy(language, domain):
    catalogue = read(po_path(language, domain))
    active = [e for e in catalogue if not e.obsolete]

    assert active, f"{domain}.po is empty"
    assert [e.msgid for e in active if not e.translated()] == []
    assert [e.msgid for e in active if "fuzzy" in e.flags] == []
    assert "fuzzy" not in (catalogue.metadata_is_fuzzy or [])


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_translations_keep_the_placeholders_of_their_source(language, domain):
    wrong = []
    for entry in read(po_path(language, domain)):
        if entry.obsolete or "no-python-format" in entry.flags:  # "95% interval" is no directive
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            # Chinese has one plural form, so it matches the source's plural (which carries the count).
            source = entry.msgid_plural or entry.msgid
            if placeholders(text) != placeholders(source):
                wrong.append((entry.msgid, text))
    assert wrong == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_chinese_has_one_plural_form(domain):
    catalogue = read(po_path("zh_Hans", domain))

    assert catalogue.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert all(set(e.msgstr_plural) == {0} for e in catalogue if e.msgid_plural and not e.obsolete)


def test_gnu_msgfmt_accepts_the_catalogues():
    """msgfmt --check also compares each translation's format directives with its msgid's."""
    if shutil.which("msgfmt") is None:
        pytest.fail("needs GNU gettext: apt-get install gettext (scripts/bootstrap.sh does)")
    for language, domain in CATALOGUES:
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(po_path(language, domain))],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr


def test_the_placeholder_check_sees_a_dropped_or_renamed_placeholder():
    assert placeholders("%(count)d cases of %(total)s") != placeholders("%(count)d 个病例")
    assert placeholders("{0} of {1}") != placeholders("{0} / {2}")
    assert placeholders("还剩 %(count)s 个必答项") == placeholders("%(count)s required answers left")


def test_the_compiled_catalogue_is_the_one_django_uses():
    with translation.override("zh-hans"):
        assert translation.gettext("Report A") == "报告A"
        assert (
            translation.ngettext("%(count)s case in the study", "%(count)s cases in the study", 5)
            == "研究中有 %(count)s 个病例"
        )
    with translation.override("en"):
        assert translation.gettext("Report A") == "Report A"


def test_makemessages_extracts_the_javascript_helpers(extracted):
    """t(), format() and nformat() of viewer/src/i18n.js are keywords (accounts' makemessages)."""
    ids = {e.msgid for e in read(extracted / "locale" / "zh_Hans" / "LC_MESSAGES" / "djangojs.po")}

    assert {
        "Pause",
        "Slice %(index)s/%(count)s",
        "%(count)s image of this series could not be decoded.",
    } <= ids
    assert not any(
        "node_modules" in occurrence
        for e in read(po_path("zh_Hans", "djangojs"))
        for occurrence, _line in e.occurrences
    )
