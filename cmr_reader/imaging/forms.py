from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, (list, tuple)) else [data] if data else []
        # FileField's own check of "required" sees one file at a time, so never an empty list.
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        single_clean = super().clean
        return [single_clean(item, initial) for item in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("DICOM files, a folder, or .zip archives"),
        help_text=_("Files are de-identified as they are imported; originals are not kept."),
        # An empty file beside others is rejected by the import with its reason, like any file it
        # cannot use; an upload of nothing but empty files is refused here (clean_files).
        allow_empty_file=True,
        error_messages={"required": _("Choose the files, folder or .zip archive to upload.")},
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if not any(upload.size for upload in files):
            raise ValidationError(
                _("Every file chosen is empty (0 bytes): there is nothing to import."), code="empty"
            )
        return files


class PacsSearchForm(forms.Form):
    """What a coordinator searches the configured PACS by; every field optional."""

    date_from = forms.DateField(
        label=_("Study date from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Study date until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    modality = forms.CharField(
        label=_("Modality"),
        required=False,
        max_length=16,
        initial="MR",
        help_text=_("A DICOM modality code, such as MR; empty for any."),
    )
    accession = forms.CharField(label=_("Accession number"), required=False, max_length=64)

    def clean_modality(self):
        modality = self.cleaned_data["modality"].strip().upper()
        if modality and not modality.isalnum():
            raise ValidationError(_("A modality code has letters and digits only, such as MR."))
        return modality

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("The date range ends before it starts."))
        return cleaned
