"""What a reader answers for one case, and whether an answer is valid. Pure.

Items are keyed from the reader's point of view: ``A.<criterion>`` and ``B.<criterion>`` (1-5),
``A.error`` / ``B.error`` (a clinically significant error? true/false), with its categories and
a required comment when true, and pair items ``pair.preference`` (A / B / equal),
``pair.ai_guess`` (A / B / unsure) with ``pair.ai_confidence`` (1-5, when guessing A or B) and
``pair.comment``. Nothing here knows which slot holds the AI report.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SLOTS = ("A", "B")
# Error categories in display order, with the label readers see.
ERROR_CATEGORY_LABELS = {
    "false_finding": gettext_lazy("False finding"),
    "missed_finding": gettext_lazy("Missed finding"),
    "wrong_location": gettext_lazy("Wrong location"),
    "wrong_severity": gettext_lazy("Wrong severity"),
    "wrong_measurement": gettext_lazy("Wrong measurement"),
    "other": gettext_lazy("Other"),
}
ERROR_CATEGORIES = tuple(ERROR_CATEGORY_LABELS)
PREFERENCES = ("A", "B", "equal")
AI_GUESSES = ("A", "B", "unsure")
MAX_COMMENT = 4000


class InvalidAnswer(ValueError):
    """An answer that does not fit its item; the message says why, for the reader."""


@dataclass(frozen=True)
class Questionnaire:
    criteria: tuple[str, ...]  # criterion keys, in display order
    ask_preference: bool = True
    ask_ai_guess: bool = True
    ask_error_flags: bool = True
    ask_comment: bool = True

    def item_keys(self) -> list[str]:
        keys = []
        for slot in SLOTS:
            keys += [f"{slot}.{criterion}" for criterion in self.criteria]
            if self.ask_error_flags:
                keys += [f"{slot}.error", f"{slot}.error_categories", f"{slot}.error_comment"]
        if self.ask_preference:
            keys.append("pair.preference")
        if self.ask_ai_guess:
            keys += ["pair.ai_guess", "pair.ai_confidence"]
        if self.ask_comment:
            keys.append("pair.comment")
        return keys

    def clean(self, item: str, value):
        """The stored form of ``value`` for ``item``; InvalidAnswer when it does not fit.

        None means no answer: null, blank text and an empty list of categories all clear the item.
        """
        if item not in self.item_keys():
            raise InvalidAnswer(_("Unknown item %(item)s.") % {"item": item})
        scope, name = item.split(".", 1)
        if _is_blank(value):
            # Taking an answer back; whether the case may lose it is the service's rule.
            return None
        if scope in SLOTS and name in self.criteria or item == "pair.ai_confidence":
            return _likert(value)
        if name == "error":
            if not isinstance(value, bool):
                raise InvalidAnswer(_("Answer yes or no."))
            return value
        if name == "error_categories":
            if not isinstance(value, list) or not all(v in ERROR_CATEGORIES for v in value):
                raise InvalidAnswer(_("Choose error categories from the list."))
            return sorted(set(value), key=ERROR_CATEGORIES.index)
        if name in ("error_comment", "comment"):
            if not isinstance(value, str) or len(value) > MAX_COMMENT or not _storable(value):
                raise InvalidAnswer(
                    _("A comment is text of at most %(count)d characters.") % {"count": MAX_COMMENT}
                )
            return value.strip()
        if item == "pair.preference":
            return _choice(value, PREFERENCES)
        if item == "pair.ai_guess":
            return _choice(value, AI_GUESSES)
        raise InvalidAnswer(
            _("Unknown item %(item)s.") % {"item": item}
        )  # pragma: no cover - every key is handled above

    def missing(self, answers: Mapping[str, object]) -> list[str]:
        """Required items without an answer, in display order; [] when the case can be submitted."""
        missing = []
        for slot in SLOTS:
            missing += [f"{slot}.{c}" for c in self.criteria if answers.get(f"{slot}.{c}") is None]
            if self.ask_error_flags:
                flagged = answers.get(f"{slot}.error")
                if flagged is None:
                    missing.append(f"{slot}.error")
                elif flagged:
                    if not answers.get(f"{slot}.error_categories"):
                        missing.append(f"{slot}.error_categories")
                    if not answers.get(f"{slot}.error_comment"):
                        missing.append(f"{slot}.error_comment")
        if self.ask_preference and answers.get("pair.preference") is None:
            missing.append("pair.preference")
        if self.ask_ai_guess:
            guess = answers.get("pair.ai_guess")
            if guess is None:
                missing.append("pair.ai_guess")
            elif guess != "unsure" and answers.get("pair.ai_confidence") is None:
                missing.append("pair.ai_confidence")
        return missing


def _is_blank(value) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, list) and not value)
    )


def _storable(text: str) -> bool:
    """False for NUL and lone surrogates: JSON lets a script send them, but PostgreSQL's jsonb
    cannot store them (a 500 instead of a 400), and no keyboard types them."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _likert(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidAnswer(_("Choose a score from 1 to 5."))
    try:
        number = int(value)
    except ValueError:
        raise InvalidAnswer(_("Choose a score from 1 to 5.")) from None
    if not 1 <= number <= 5 or str(number) != str(value).strip():
        raise InvalidAnswer(_("Choose a score from 1 to 5."))
    return number


def _choice(value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidAnswer(_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    return value
