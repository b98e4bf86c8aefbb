"""The default rating criteria of a new study, with the wording of every point of the scale."""

from django.utils.translation import gettext_lazy as _

DEFAULT_CRITERIA = (
    {
        "key": "correctness",
        "label": _("Correctness"),
        "help_text": _("Are the findings and conclusions stated in the report correct for these images?"),
        "anchors": [
            _("1: Major errors that would change management"),
            _("2: Several errors, some clinically relevant"),
            _("3: Minor errors without clinical consequence"),
            _("4: Essentially correct, trivial imprecision"),
            _("5: Fully correct"),
        ],
    },
    {
        "key": "completeness",
        "label": _("Completeness"),
        "help_text": _("Does the report include every clinically relevant finding?"),
        "anchors": [
            _("1: Most relevant findings are missing"),
            _("2: Several relevant findings are missing"),
            _("3: One relevant finding is missing"),
            _("4: Only minor findings are missing"),
            _("5: Complete"),
        ],
    },
    {
        "key": "readability",
        "label": _("Readability"),
        "help_text": _("Is the report clear, well organised and easy to act on?"),
        "anchors": [
            _("1: Confusing or contradictory"),
            _("2: Hard to follow"),
            _("3: Understandable with effort"),
            _("4: Clear"),
            _("5: Exemplary: clear, concise, well organised"),
        ],
    },
)
