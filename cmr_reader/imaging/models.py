"""Stored, de-identified imaging: cases (one CMR examination each), series, instances, imports.

Nothing here is identifying. UIDs are the keyed replacements made at ingest, dates are shifted,
and the original accession number survives only as a keyed hash for linking reports.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cmr_reader.domain.dicom_age import age_in_years
from cmr_reader.imaging.series_kind import SeriesKind
from cmr_reader.jobs.model import BackgroundJob


class Case(models.Model):
    """One CMR examination (a DICOM study), known to the site only by its pseudonymous case id."""

    case_id = models.CharField(_("case id"), max_length=32, unique=True)
    patient_pseudonym = models.CharField(_("patient pseudonym"), max_length=32, db_index=True)
    study_instance_uid = models.CharField(max_length=64, unique=True)
    # HMAC of the original accession number and study UID: reports from the RIS link to the
    # case through these without the originals ever being stored.
    accession_hash = models.CharField(max_length=64, blank=True, db_index=True)
    original_study_uid_hash = models.CharField(max_length=64, blank=True, db_index=True)
    study_date = models.DateField(_("study date (shifted)"), null=True, blank=True)
    study_description = models.CharField(max_length=128, blank=True)
    patient_sex = models.CharField(max_length=1, blank=True)
    patient_age = models.CharField(max_length=4, blank=True)
    patient_size_m = models.FloatField(null=True, blank=True)
    patient_weight_kg = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.case_id

    @property
    def patient_age_years(self) -> float | None:
        """Patient's Age in years (the stored DICOM Age String, e.g. "047Y", converted)."""
        return age_in_years(self.patient_age)


class Series(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="series")
    series_instance_uid = models.CharField(max_length=64, unique=True)
    series_number = models.IntegerField(null=True, blank=True)
    description = models.CharField(_("description (cleaned)"), max_length=128, blank=True)
    modality = models.CharField(max_length=16, default="MR")
    kind = models.CharField(max_length=32, choices=SeriesKind.choices, default=SeriesKind.UNKNOWN)
    classification_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "series_number", "id"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return f"{self.case_id}/{self.series_number} {self.description}"


class Instance(models.Model):
    """One stored, de-identified DICOM file (Explicit VR Little Endian, uncompressed).

    ``pixel_data_offset`` and ``frame_length`` let WADO-RS serve a frame with one seek and one
    read, without parsing the file again.
    """

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_instance_uid = models.CharField(max_length=64, unique=True)
    sop_class_uid = models.CharField(max_length=64)
    instance_number = models.IntegerField(null=True, blank=True)
    file_path = models.CharField(max_length=255, help_text=_("relative to DICOM_STORAGE_ROOT"))
    file_size = models.BigIntegerField()
    transfer_syntax_uid = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    columns = models.PositiveIntegerField()
    number_of_frames = models.PositiveIntegerField(default=1)
    pixel_data_offset = models.BigIntegerField()
    frame_length = models.BigIntegerField()
    slice_location = models.FloatField(null=True, blank=True)
    trigger_time = models.FloatField(null=True, blank=True)
    # The instance's header as DICOM JSON (PS3.18 F.2) without bulk data: QIDO-RS and WADO-RS
    # metadata answer from here.
    dicom_json = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["series", "instance_number", "id"]

    def __str__(self) -> str:
        return self.sop_instance_uid


class ImportJob(BackgroundJob):
    """A coordinator's import (upload, folder, zip or PACS pull), run as a background task."""

    # A running import renews its lease with every progress write (at least every
    # PROGRESS_INTERVAL_S, import_jobs.py); this much silence means its worker is gone.
    LEASE = timedelta(minutes=5)

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Web upload")
        PATHS = "paths", _("Folder or archive on the server")
        DICOMWEB = "dicomweb", _("PACS over DICOMweb")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=16, choices=Source.choices)
    label = models.CharField(max_length=255, blank=True)
    total_files = models.PositiveIntegerField(default=0)
    processed_files = models.PositiveIntegerField(default=0)
    instances_imported = models.PositiveIntegerField(default=0)
    duplicates_skipped = models.PositiveIntegerField(default=0)
    rejected = models.JSONField(default=list, help_text=_("[{file, reason}] for each rejected file"))
    summary = models.JSONField(default=dict)
    # A pull started in the browser: the chosen original Study Instance UIDs, encrypted
    # (imaging/pacs_browse.py), kept until the job is done so that a re-run can pull them again.
    pacs_request = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def can_be_retried(self, *, now: datetime) -> bool:
        has_sources = self.source in (self.Source.UPLOAD, self.Source.PATHS) or bool(self.pacs_request)
        return has_sources and (self.state == self.State.FAILED or self.is_stalled(now=now))

    @property
    def percent_done(self) -> int:
        if not self.total_files:
            return 100 if self.state == self.State.DONE else 0
        return round(100 * self.processed_files / self.total_files)
