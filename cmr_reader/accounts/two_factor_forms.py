import re

from django import forms
from django.utils.translation import gettext_lazy as _

CODE_PATTERN = re.compile(r"^[0-9]{6}$")


def clean_code_value(value: str) -> str:
    """Apps show codes as "123 456"; spaces are dropped and exactly six ASCII digits remain."""
    code = re.sub(r"\s+", "", value or "")
    if not CODE_PATTERN.match(code):
        raise forms.ValidationError(_("Enter the six digits your authenticator app shows."))
    return code


def code_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("Code from your authenticator app"),
        required=required,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}),
    )


class CodeForm(forms.Form):
    code = code_field()

    def clean_code(self) -> str:
        return clean_code_value(self.cleaned_data["code"])


class RemoveDeviceForm(forms.Form):
    """Removing the second factor needs the account's password or a current code."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = code_field(required=False)

    def clean_code(self) -> str:
        value = self.cleaned_data.get("code") or ""
        return clean_code_value(value) if value.strip() else ""

    def clean(self):
        data = super().clean()
        if not data.get("password") and not data.get("code") and not self.errors:
            raise forms.ValidationError(_("Enter your password or a current code."))
        return data
