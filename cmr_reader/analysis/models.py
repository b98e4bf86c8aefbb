"""Analysis runs: one computation of a study's statistics and its download bundle.

A run is the unit a statistician can cite: it fixes the bootstrap replicates and seed, records
when it was computed and from how many readings, and keeps its results (the dashboard's tables)
and the zip bundle together, so the page and the download always show the same numbers.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmr_reader.jobs.model import ACTIVE_STATES, BackgroundJob


def bundle_path(run: "AnalysisRun", filename: str) -> str:
    return f"analysis/study-{run.study_id}/{run.pk}/{filename}"


class AnalysisRun(BackgroundJob):
    # A running analysis renews its lease at every step; one silent for this long has lost its
    # worker and may be started again.
    LEASE = timedelta(minutes=15)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    study = models.ForeignKey("studies.ReaderStudy", on_delete=models.CASCADE, related_name="analysis_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bootstrap = models.PositiveIntegerField(_("bootstrap replicates"), default=1000)
    seed = models.PositiveBigIntegerField(_("bootstrap seed"))
    step = models.CharField(_("step"), max_length=120, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    results = models.JSONField(_("results"), default=dict, blank=True)
    bundle = models.FileField(_("download bundle"), upload_to=bundle_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        constraints = [
            # Two clicks (or two coordinators) at once cannot start two analyses of one study.
            models.UniqueConstraint(
                fields=["study"], condition=Q(state__in=ACTIVE_STATES), name="one_active_analysis_per_study"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.created_at:%Y-%m-%d %H:%M} ({self.state})"
