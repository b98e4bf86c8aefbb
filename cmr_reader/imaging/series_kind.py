"""The vocabulary of series kinds, shared by classification (pure) and the models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SeriesKind(models.TextChoices):
    CINE_SAX = "cine_sax", _("Cine, short-axis stack")
    CINE_4CH = "cine_4ch", _("Cine, 4-chamber")
    CINE_2CH = "cine_2ch", _("Cine, 2-chamber")
    CINE_3CH = "cine_3ch", _("Cine, 3-chamber (LVOT)")
    CINE_LAX_OTHER = "cine_lax_other", _("Cine, other long axis")
    LGE_SAX = "lge_sax", _("LGE, short-axis stack")
    LGE_LAX = "lge_lax", _("LGE, long axis")
    LOCALIZER = "localizer", _("Localizer")
    MAPPING = "mapping", _("Parametric mapping")
    PERFUSION = "perfusion", _("Perfusion")
    FLOW = "flow", _("Phase-contrast flow")
    UNKNOWN = "unknown", _("Unknown")

    @property
    def is_cine(self) -> bool:
        return self.value.startswith("cine_")

    @property
    def is_lge(self) -> bool:
        return self.value.startswith("lge_")
