from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    # Operator tasks with no models of their own: backup and restore.
    name = "cmr_reader.operations"
    label = "operations"
    verbose_name = _("Operations")
