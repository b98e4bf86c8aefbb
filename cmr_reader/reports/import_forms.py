from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from cmr_reader.reports import report_uploads
from cmr_reader.reports.models import ReportImportJob
from cmr_reader.reports.report_files import file_format_for


class ReportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ReportImportJob.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the file holds reference reports or AI reports.")},
    )
    file = forms.FileField(
        label=_("Reports file"),
        help_text=_("Reference reports: CSV or XLSX. AI reports: CSV, JSON Lines or XLSX."),
        # An empty file gets the message below rather than Django's.
        allow_empty_file=True,
        error_messages={"required": _("Choose the file to upload.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.size:
            raise ValidationError(_("The file is empty (0 bytes): there is nothing to import."), code="empty")
        # Read at call time: a site's limit is the module's (tests lower it).
        limit = report_uploads.MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise ValidationError(
                _(
                    "This file is %(size)s; a reports file may be at most %(limit)s. Split it and upload the parts."
                )
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_large",
            )
        suffix = PurePath(upload.name or "").suffix.lower()
        if suffix == ".xls":
            raise ValidationError(
                _("Old Excel workbooks (.xls) cannot be read: save the sheet as .xlsx or CSV."), code="format"
            )
        if file_format_for(upload.name or "") is None:
            raise ValidationError(
                _("Name the file .csv, .xlsx, .jsonl or .ndjson: the name says how it is read."),
                code="format",
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        upload, kind = cleaned.get("file"), cleaned.get("kind")
        if upload and kind == ReportImportJob.Kind.REFERENCE and file_format_for(upload.name) == "jsonl":
            self.add_error("file", _("Reference reports come as CSV or XLSX; JSON Lines is for AI reports."))
        return cleaned

    @property
    def file_format(self) -> str:
        return file_format_for(self.cleaned_data["file"].name) or ""
