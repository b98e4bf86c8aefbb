from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cmr_reader.accounts.roles import Role
from cmr_reader.studies.models import Criterion, ReaderStudy

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
    "non_inferiority_margin",
    "blinding_threshold",
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, the threshold keeps its value (0.65 for a new study).
        self.fields["blinding_threshold"].required = False

    def clean_blinding_threshold(self):
        value = self.cleaned_data["blinding_threshold"]
        if value is None:
            return self.instance.blinding_threshold
        if not 0.5 <= value <= 1:
            raise forms.ValidationError(_("Give a share between 0.5 (chance) and 1."))
        return value

    def clean_non_inferiority_margin(self):
        value = self.cleaned_data["non_inferiority_margin"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("Give a margin above 0 score points, or leave it empty."))
        return value


class ReadersForm(forms.Form):
    readers = forms.ModelMultipleChoiceField(
        label=_("Readers"),
        queryset=get_user_model().objects.filter(groups__name=Role.READER.value).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
    )


class CriterionForm(forms.ModelForm):
    """One criterion with the wording of each of its five points."""

    anchor_1 = forms.CharField(label=_("1 means"), max_length=200)
    anchor_2 = forms.CharField(label=_("2 means"), max_length=200)
    anchor_3 = forms.CharField(label=_("3 means"), max_length=200)
    anchor_4 = forms.CharField(label=_("4 means"), max_length=200)
    anchor_5 = forms.CharField(label=_("5 means"), max_length=200)

    class Meta:
        model = Criterion
        fields = ["key", "label", "help_text", "order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n, anchor in enumerate(self.instance.anchors or [], start=1):
            self.initial.setdefault(f"anchor_{n}", anchor)

    def save(self, commit=True):
        self.instance.anchors = [self.cleaned_data[f"anchor_{n}"] for n in range(1, 6)]
        return super().save(commit=commit)


CriterionFormSet = forms.inlineformset_factory(
    ReaderStudy, Criterion, form=CriterionForm, extra=1, can_delete=True, min_num=1, validate_min=True
)
