from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cmr_reader.accounts.roles import Role
from cmr_reader.imaging.case_search import DIAGNOSES, LANGUAGES
from cmr_reader.studies.models import Criterion, ReaderStudy, StudyCaseSelection

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
        fields = ["name", "instructions", "instructions_zh", *DESIGN_FIELDS, "seed"]
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 4, "lang": "en"}),
            "instructions_zh": forms.Textarea(attrs={"rows": 4, "lang": "zh-Hans"}),
        }
        help_texts = {
            "instructions": _(
                "Markdown: *emphasis*, **bold**, lists, [links](https://example.org). Readers see the instructions in their interface language, or in the other language where that one is empty."
            ),
        }

    def clean_readers_per_case(self):
        # The database refuses 0 too (a check constraint), but with its own name for a message.
        value = self.cleaned_data["readers_per_case"]
        if value < 1:
            raise forms.ValidationError(_("Give at least 1 reader per case."))
        return value

    def clean_washout_fraction(self):
        value = self.cleaned_data["washout_fraction"]
        if not 0 <= value <= 1:
            raise forms.ValidationError(_("Give a share between 0 and 1."))
        return value

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, the threshold keeps its value (0.65 for a new study).
        self.fields["blinding_threshold"].required = False
        self.fields["readers_per_case"].widget.attrs["min"] = 1

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

    def __init__(self, *args, exclude=(), label=None, **kwargs):
        """``exclude``: readers not offered (those already in a study being read)."""
        super().__init__(*args, **kwargs)
        field = self.fields["readers"]
        field.queryset = field.queryset.exclude(pk__in=exclude)
        if label is not None:
            field.label = label


ANCHOR_MAX_LENGTH = 200


class CriterionForm(forms.ModelForm):
    """One criterion with the wording of each of its five points, in English and, optionally,
    in Chinese (five lines; left empty, Chinese readers see the English wording)."""

    anchor_1 = forms.CharField(label=_("1 means"), max_length=ANCHOR_MAX_LENGTH)
    anchor_2 = forms.CharField(label=_("2 means"), max_length=ANCHOR_MAX_LENGTH)
    anchor_3 = forms.CharField(label=_("3 means"), max_length=ANCHOR_MAX_LENGTH)
    anchor_4 = forms.CharField(label=_("4 means"), max_length=ANCHOR_MAX_LENGTH)
    anchor_5 = forms.CharField(label=_("5 means"), max_length=ANCHOR_MAX_LENGTH)
    anchors_zh = forms.CharField(
        label=_("Wording of points 1 to 5 in Chinese"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "lang": "zh-Hans"}),
        help_text=_("Five lines, point 1 first; or leave empty."),
    )

    class Meta:
        model = Criterion
        fields = ["key", "label", "label_zh", "help_text", "help_text_zh", "order"]
        widgets = {
            "label_zh": forms.TextInput(attrs={"lang": "zh-Hans"}),
            "help_text_zh": forms.TextInput(attrs={"lang": "zh-Hans"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n, anchor in enumerate(self.instance.anchors or [], start=1):
            self.initial.setdefault(f"anchor_{n}", anchor)
        self.initial.setdefault("anchors_zh", "\n".join(self.instance.anchors_zh or []))

    def clean_anchors_zh(self) -> list[str]:
        # Blank lines (a trailing newline, a gap) are not points.
        lines = [line.strip() for line in self.cleaned_data["anchors_zh"].splitlines() if line.strip()]
        if lines and len(lines) != 5:
            raise forms.ValidationError(
                _("Give the Chinese wording of all five points, one per line (%(count)d given), or none.")
                % {"count": len(lines)}
            )
        if any(len(line) > ANCHOR_MAX_LENGTH for line in lines):
            raise forms.ValidationError(
                _("Each point's wording has at most %(count)d characters.") % {"count": ANCHOR_MAX_LENGTH}
            )
        return lines

    def save(self, commit=True):
        self.instance.anchors = [self.cleaned_data[f"anchor_{n}"] for n in range(1, 6)]
        self.instance.anchors_zh = self.cleaned_data["anchors_zh"]
        return super().save(commit=commit)


CriterionFormSet = forms.inlineformset_factory(
    ReaderStudy, Criterion, form=CriterionForm, extra=1, can_delete=True, min_num=1, validate_min=True
)


class CaseSampleForm(forms.Form):
    """How many of the eligible matching cases to add, next to the Cases page's filters
    (``case_search.CaseFilterForm``): all of them, or a seeded, optionally stratified sample."""

    sample_size = forms.IntegerField(
        label=_("Sample this many cases"),
        required=False,
        min_value=1,
        help_text=_("Leave empty to add every eligible matching case."),
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text=_("Leave empty to draw one; it is recorded, so the sample can be drawn again."),
    )
    stratify_by = forms.ChoiceField(
        label=_("Stratify by"),
        required=False,
        choices=[("", _("nothing (a simple random sample)")), *StudyCaseSelection.StratifyBy.choices],
    )
    allocation = forms.ChoiceField(
        label=_("Cases per stratum"),
        required=False,
        choices=StudyCaseSelection.Allocation.choices,
        initial=StudyCaseSelection.Allocation.PROPORTIONAL,
        widget=forms.RadioSelect,
        help_text=_(
            "Proportional keeps each stratum's share of the eligible cases; equal takes the same number from each, to enrich rare ones (a stratum smaller than its share gives all it has)."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sample_size") is None and (
            cleaned.get("seed") is not None or cleaned.get("stratify_by")
        ):
            raise forms.ValidationError(_("A seed or strata need a sample size."))
        return cleaned


class StudyCaseSearchForm(forms.Form):
    """The search of a study's case list: what the list shows and what "remove all" removes."""

    q = forms.CharField(label=_("Case id or pseudonym"), required=False, max_length=64)
    diagnosis = forms.ChoiceField(
        label=_("Reference report's diagnosis"), required=False, choices=[("", _("any")), *DIAGNOSES.items()]
    )
    language = forms.ChoiceField(
        label=_("Reference report language"), required=False, choices=[("", _("any")), *LANGUAGES.items()]
    )


class IdsField(forms.TypedMultipleChoiceField):
    """Row ids ticked in a list; the service keeps only those of the study."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value) -> bool:
        return str(value).isdigit()


class RemoveCasesForm(StudyCaseSearchForm):
    """Remove the ticked cases, or every case matching the search (the search's own fields)."""

    study_case = IdsField(required=False)
    scope = forms.ChoiceField(choices=[("ticked", "ticked"), ("matching", "matching")])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == "ticked" and not cleaned.get("study_case"):
            raise forms.ValidationError(_("Tick the cases to remove."))
        return cleaned


class AssignConfirmForm(forms.Form):
    """The confirmation that locks the design: the box must be ticked, and ``design`` (the
    fingerprint shown on the confirmation page) must still match when the study is assigned."""

    confirm = forms.BooleanField(
        label=_(
            "I understand that assigning locks the design, the criteria and the list of cases, and that this cannot be undone."
        ),
    )
    design = forms.CharField(widget=forms.HiddenInput, max_length=64)
