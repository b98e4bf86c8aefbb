from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    # Pure statistics in subpackages; AnalysisRun (models.py) records each computed analysis.
    name = "cmr_reader.analysis"
    label = "analysis"
    verbose_name = _("Analysis")
