from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cmr_reader.accounts.roles import Role
from cmr_reader.studies.models import ReaderStudy

DESIGN_FIELDS = [
    "readers_per_case",
    "overlap_count",
    "washout_fraction",
    "washout_days",
    "allow_revisit",
    "ask_preference",
    "ask_ai_guess",
    "ask_error_flags",
    "ask_comment",
]


class StudyForm(forms.ModelForm):
    class Meta:
        model = ReaderStudy
        fields = ["name", "instructions", *DESIGN_FIELDS, "seed"]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 4})}

    def clean_washout_fraction(self):
        value = self.cleaned_data["washout_fraction"]
        if not 0 <= value <= 1:
            raise forms.ValidationError(_("Give a share between 0 and 1."))
        return value


class ReadersForm(forms.Form):
    readers = forms.ModelMultipleChoiceField(
        label=_("Readers"),
        queryset=get_user_model().objects.filter(groups__name=Role.READER.value).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
    )
