from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    # No models: the app exists so Django finds the `agreement` management command.
    name = "cmr_reader.analysis"
    label = "analysis"
    verbose_name = _("Analysis")
