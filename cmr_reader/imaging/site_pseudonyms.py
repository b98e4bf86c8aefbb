"""The site's pseudonymizer, keyed by ``PSEUDONYM_KEY`` (``pseudonyms.py`` itself stays free of Django)."""

from django.conf import settings

from cmr_reader.imaging.pseudonyms import Pseudonymizer


def site_pseudonymizer() -> Pseudonymizer:
    return Pseudonymizer(settings.PSEUDONYM_KEY)
