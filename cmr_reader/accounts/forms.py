from django import forms
from django.utils.translation import gettext_lazy as _

from cmr_reader.accounts.access_log import LogFilter
from cmr_reader.accounts.models import AccessEvent


class AccessLogFilterForm(forms.Form):
    """The access log page's GET filters; every field may be left empty."""

    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any action")), *AccessEvent.Action.choices]
    )
    target = forms.CharField(
        label=_("Case, study or run"),
        required=False,
        max_length=128,
        help_text=_("A case id, a Study Instance UID, a reader study number or a run id, exactly."),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_date_to(self):
        date_from, date_to = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if date_from and date_to and date_to < date_from:
            # Left out of the filter, like any invalid field, with this said beside it.
            raise forms.ValidationError(_("This date is before the From date: swap them?"))
        return date_to

    def log_filter(self) -> LogFilter:
        """The filter of the fields that are valid (an invalid field filters nothing and shows its error)."""
        self.is_valid()
        data = self.cleaned_data
        return LogFilter(
            username=data.get("user") or "",
            action=data.get("action") or "",
            target=data.get("target") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
