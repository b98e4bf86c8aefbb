"""Text stored in English from a known set of messages, shown in the active language.

Workers and statistics write some sentences into the database in English (an import's rejection
reasons, an analysis run's methods). ``StoredMessages`` translates such a text when the page is
rendered: a text that is one of its messages is translated as it is; one that matches a message
with ``%(name)s`` placeholders is translated with the values it holds, each value translated the
same way when it is itself a known message. Anything else comes back unchanged (None), so a row
written by an older version, or in another language, is still shown.
"""

import re
from collections.abc import Callable, Iterable

from django.utils.translation import gettext

PLACEHOLDER = re.compile(r"%\((\w+)\)[-+ #0]*\d*(?:\.\d+)?([sdif])")
NUMBER = r"-?\d+(?:\.\d+)?%?"


class StoredMessages:
    """Messages (English msgids) a stored text may have been made from.

    ``numeric`` names the placeholders that only ever hold a number, so that they match only one:
    "%(count)s non-zero differences" then cannot swallow a longer phrase. ``%(name)d`` and
    ``%(name).0f`` placeholders are numeric too. ``values`` may rewrite a matched value by name.
    """

    def __init__(
        self,
        msgids: Iterable[str],
        *,
        numeric: Iterable[str] = (),
        values: dict[str, Callable[[str], str]] | None = None,
    ):
        msgids = tuple(msgids)
        self.numeric = frozenset(numeric)
        self.values = values or {}
        self.plain = frozenset(msgid for msgid in msgids if not PLACEHOLDER.search(msgid))
        self.patterns = tuple((msgid, self._compile(msgid)) for msgid in msgids if PLACEHOLDER.search(msgid))

    def translate(self, text: str) -> str | None:
        """``text`` in the active language, or None when it is made from none of the messages."""
        if text in self.plain:
            return gettext(text)
        for msgid, (pattern, kinds) in self.patterns:
            match = pattern.fullmatch(text)
            if match is not None:
                found = {
                    name: self._value(name, value, kinds[name]) for name, value in match.groupdict().items()
                }
                return gettext(msgid) % found
        return None

    def _value(self, name: str, value: str, kind: str):
        if kind == "d":
            return int(value)
        if kind == "f":
            return float(value)
        if name in self.values:
            return self.values[name](value)
        return self.translate(value) or value

    def _compile(self, msgid: str) -> tuple[re.Pattern, dict[str, str]]:
        pieces, kinds, last = [], {}, 0
        for match in PLACEHOLDER.finditer(msgid):
            pieces.append(re.escape(msgid[last : match.start()]))
            name, kind = match.groups()
            kinds[name] = kind
            numeric = kind in "dif" or name in self.numeric
            pieces.append(f"(?P<{name}>{NUMBER if numeric else '.+?'})")
            last = match.end()
        pieces.append(re.escape(msgid[last:]))
        return re.compile("".join(pieces), re.DOTALL), kinds


class StoredReasons:
    """Rejection reasons (and job errors) stored in English, shown in the active language.

    One per list of reasons (DICOM import, report import): ``text`` translates one reason,
    ``rejections`` the ``[{..., "reason"}]`` lists jobs keep. The catalogue is built on first use,
    when translations are loaded; an unknown reason is shown as stored.
    """

    def __init__(self, messages: tuple[str, ...], **options):
        self._source, self._options = messages, options
        self._catalogue: StoredMessages | None = None

    def text(self, text: str) -> str:
        if not text:
            return text
        if self._catalogue is None:
            self._catalogue = StoredMessages(self._source, **self._options)
        return self._catalogue.translate(text) or text

    def rejections(self, rejected: list[dict]) -> list[dict]:
        """The list with each item's reason in the active language (other fields as stored)."""
        return [{**item, "reason": self.text(item.get("reason", ""))} for item in rejected]
