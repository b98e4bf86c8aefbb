from django import forms
from django.utils.translation import gettext_lazy as _

from cmr_reader.analysis.runs import DEFAULT_BOOTSTRAP, MAX_BOOTSTRAP


class RunForm(forms.Form):
    bootstrap = forms.IntegerField(
        label=_("Bootstrap replicates"),
        min_value=0,
        max_value=MAX_BOOTSTRAP,
        initial=DEFAULT_BOOTSTRAP,
        help_text=_("0 for none; 1,000 or more for reported intervals."),
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        help_text=_("Leave empty for a new random seed; give an earlier run's seed to repeat it exactly."),
    )
