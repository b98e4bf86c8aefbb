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


class PlanForm(forms.Form):
    """The planning page's question: which pilot, which margin and power, which reader counts."""

    pilot = forms.ChoiceField(label=_("Pilot (a finished analysis and criterion)"))
    margin = forms.FloatField(
        label=_("Non-inferiority margin (score points)"),
        min_value=0.01,
        max_value=4,
        help_text=_("The loss of mean score the AI may have and still count as non-inferior."),
    )
    true_difference = forms.FloatField(
        label=_("Assumed true difference (AI minus reference)"), initial=0.0, min_value=-4, max_value=4
    )
    power = forms.FloatField(label=_("Power"), initial=0.8, min_value=0.5, max_value=0.99)
    readers = forms.CharField(label=_("Reader counts"), initial="3,4,5,6,8,10")

    def __init__(self, *args, pilots: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pilot"].choices = pilots

    def clean_readers(self) -> list[int]:
        try:
            counts = sorted({int(part) for part in self.cleaned_data["readers"].split(",") if part.strip()})
        except ValueError:
            raise forms.ValidationError(_("Whole numbers separated by commas, e.g. 3,4,6.")) from None
        if not counts or counts[0] < 2 or counts[-1] > 100:
            raise forms.ValidationError(_("Reader counts from 2 to 100."))
        return counts
