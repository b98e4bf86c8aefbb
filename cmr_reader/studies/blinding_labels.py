"""Words for the blinding audit's keys on the coordinator's pages, in the page's language.

The stored audit keeps the keys (``surface_features.SURFACE_FEATURES``, ``word:<word>``, the
withheld reasons of ``reports/normalise.py``) so that it reads the same in any language.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmr_reader.studies.surface_features import WORD_PREFIX

FEATURE_LABELS = {
    "characters_log": gettext_lazy("length (characters, log)"),
    "sentences": gettext_lazy("sentences"),
    "words_per_sentence": gettext_lazy("words per sentence"),
    "findings_sentences": gettext_lazy("sentences under Findings"),
    "impression_sentences": gettext_lazy("sentences under Impression"),
    "empty_sections": gettext_lazy("empty sections"),
    "list_markers": gettext_lazy("list markers"),
    "numbers": gettext_lazy("numbers"),
    "units": gettext_lazy("units (mm, %, mL, g...)"),
    "abbreviations": gettext_lazy("capitalised abbreviations"),
    "commas": gettext_lazy("commas"),
    "parentheses": gettext_lazy("parentheses"),
    "semicolons": gettext_lazy("semicolons"),
    "colons": gettext_lazy("colons within sentences"),
    "hyphens": gettext_lazy("hyphens"),
    "cjk_share": gettext_lazy("share of Chinese characters"),
}
WITHHELD_LABELS = {
    "section": gettext_lazy("indication, history, technique or comparison sections"),
    "prior_examination": gettext_lazy("sentences about an earlier examination"),
    "identifier": gettext_lazy("sentences that carried a removed identifier"),
    "signature": gettext_lazy("signatures"),
    "boilerplate": gettext_lazy("titles, dates and generator remarks"),
}


def feature_label(key: str) -> str:
    if key.startswith(WORD_PREFIX):
        return _("the word “%(word)s” (per 100 words)") % {"word": key[len(WORD_PREFIX) :]}
    return str(FEATURE_LABELS.get(key, key))
