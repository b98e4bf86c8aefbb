"""The committed translation catalogues: where they are, reading them, compiling them."""

import os
import re
import tempfile
from pathlib import Path

import polib
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["zh_Hans"]
DOMAINS = ["django", "djangojs"]
# %(name)s / %(count)d / %s / %% in Python and JavaScript (interpolate) strings; {0} / {name} in
# str.format strings.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-+ #0]*\d*(?:\.\d+)?[sdifeEgGrxXc%]|\{\w*\}")


def po_path(language: str, domain: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path) -> polib.POFile:
    return polib.pofile(str(path), wrapwidth=0)


def entry_key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def compile_stale() -> list[Path]:
    """Write each .mo older than its .po (as bootstrap does, but without GNU gettext); atomic, so a
    test running beside it never reads half a file. Returns the catalogues compiled."""
    compiled = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        os.close(handle)
        read(po).save_as_mofile(temporary)
        os.replace(temporary, mo)
        compiled.append(mo)
    return compiled
