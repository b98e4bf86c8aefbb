"""Reports to be read: the radiologist's reference report and the model's AI reports per case.

Report text is stored only after scrubbing (``scrub.py``); authors are known only by a keyed
pseudonym. Which report is the AI one is a server-side fact that readers never see.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmr_reader.imaging.models import Case


class GenerationRun(models.Model):
    """Provenance of one batch of AI reports: which weights, prompt, parameters, code and device.

    Runs made by ``generate_reports`` also carry their state and progress; a run is identified by
    its checkpoint hash, prompt template hash and settings, so running the same command again
    continues the same run (resumable) instead of starting another.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    model_name = models.CharField(_("model name"), max_length=255)
    checkpoint_path = models.CharField(_("checkpoint path"), max_length=1024, blank=True)
    checkpoint_sha256 = models.CharField(_("checkpoint SHA-256"), max_length=64, blank=True)
    prompt_template = models.TextField(_("prompt template"), blank=True)
    generation_parameters = models.JSONField(_("generation parameters"), default=dict, blank=True)
    code_version = models.CharField(_("code version"), max_length=128, blank=True)
    device = models.CharField(_("device"), max_length=255, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    per_case_timing = models.JSONField(
        _("per-case timing"), default=dict, blank=True, help_text=_("case id -> seconds")
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DONE)
    run_key = models.CharField(
        _("run key"), max_length=64, blank=True, db_index=True,
        help_text=_("SHA-256 of checkpoint hash, template hash and settings: the same key continues the same run"),
    )
    input_settings = models.JSONField(_("input selection and prompt settings"), default=dict, blank=True)
    environment = models.JSONField(_("model, processor, device and library versions"), default=dict, blank=True)
    cases_total = models.PositiveIntegerField(default=0)
    cases_done = models.PositiveIntegerField(default=0)
    cases_failed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("generation run")
        verbose_name_plural = _("generation runs")

    def __str__(self) -> str:
        return f"{self.model_name} #{self.pk}"


class Report(models.Model):
    class Source(models.TextChoices):
        REFERENCE = "reference", _("Reference (radiologist)")
        AI = "ai", _("AI-generated")

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        CHINESE = "zh", _("Simplified Chinese")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports", verbose_name=_("case"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    text = models.TextField(_("text (scrubbed)"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    author_pseudonym = models.CharField(_("author pseudonym"), max_length=16, blank=True)
    generation_run = models.ForeignKey(
        GenerationRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("generation run"),
    )
    prompt = models.TextField(_("rendered prompt"), blank=True)
    provenance = models.JSONField(_("provenance"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["case", "source", "id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # An AI report without its run has no provenance; a reference report has no run.
            models.CheckConstraint(
                condition=(Q(source="ai", generation_run__isnull=False) & Q(author_pseudonym=""))
                | Q(source="reference", generation_run__isnull=True),
                name="report_run_matches_source",
            ),
            models.CheckConstraint(condition=Q(source__in=["reference", "ai"]), name="report_source_valid"),
            models.CheckConstraint(condition=Q(language__in=["en", "zh"]), name="report_language_valid"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(source="reference"), name="one_reference_report_per_case"
            ),
            models.UniqueConstraint(
                fields=["case", "generation_run"],
                condition=Q(source="ai"),
                name="one_ai_report_per_case_and_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.source} #{self.pk}"


class GenerationFailure(models.Model):
    """A case a generation run could not report on, and why; the run goes on without it."""

    run = models.ForeignKey(GenerationRun, on_delete=models.CASCADE, related_name="failures")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run", "case"]
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="one_failure_per_run_and_case")]
