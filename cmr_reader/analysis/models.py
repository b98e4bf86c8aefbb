"""Analysis runs: one computation of a study's statistics and its download bundle.

A run is the unit a statistician can cite: it fixes the bootstrap replicates and seed, records
when it was computed and from how many readings, and keeps its results (the dashboard's tables)
and the zip bundle together, so the page and the download always show the same numbers.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# A running analysis writes its progress at every step; one whose row stops changing for this
# long has lost its worker and may be started again.
STALLED_AFTER = timedelta(minutes=15)


def bundle_path(run: "AnalysisRun", filename: str) -> str:
    return f"analysis/study-{run.study_id}/{run.pk}/{filename}"


class AnalysisRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    study = models.ForeignKey("studies.ReaderStudy", on_delete=models.CASCADE, related_name="analysis_runs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    bootstrap = models.PositiveIntegerField(_("bootstrap replicates"), default=1000)
    seed = models.PositiveBigIntegerField(_("bootstrap seed"))
    step = models.CharField(_("step"), max_length=120, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    results = models.JSONField(_("results"), default=dict, blank=True)
    bundle = models.FileField(_("download bundle"), upload_to=bundle_path, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")

    def __str__(self) -> str:
        return f"{self.study} {self.created_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    def is_stalled(self, *, now: datetime) -> bool:
        return self.is_active and now - self.updated_at > STALLED_AFTER
