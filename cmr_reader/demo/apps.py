from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    # No models: the demo's commands and the code they share.
    name = "cmr_reader.demo"
    label = "demo"
    verbose_name = _("Demo")
