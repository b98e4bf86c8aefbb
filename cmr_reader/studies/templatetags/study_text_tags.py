"""Study texts in a template, for pages that list several studies (the reader's home)."""

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from cmr_reader.studies import study_texts
from cmr_reader.studies.models import ReaderStudy

register = template.Library()


@register.filter
def reader_instructions(study: ReaderStudy) -> SafeString:
    """The study's instructions as HTML in the active language, else the other one."""
    return study_texts.instructions_html(study, get_language())
