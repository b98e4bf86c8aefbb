"""Reports to be read: the radiologist's reference report and the model's AI reports per case.

Report text is stored only after scrubbing (``scrub.py``); authors are known only by a keyed
pseudonym. Which report is the AI one is a server-side fact that readers never see.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmr_reader.imaging.models import Case
from cmr_reader.jobs.model import ACTIVE_STATES, BackgroundJob, JobState


class GenerationRun(BackgroundJob):
    """Provenance of one batch of AI reports: which weights, prompt, parameters, code and device.

    Runs made by ``generate_reports`` also carry their state and progress; a run is identified by
    its checkpoint hash, prompt template hash and settings, so running the same command again
    continues the same run (resumable) instead of starting another. Its work is done in chunks
    (``GenerationChunk``), each a job of its own; the run's state follows theirs
    (``generation.settle_run``): done only when every chunk is.

    An *imported* run holds reports written elsewhere (``ai_report_import.py``): one per model
    name and version, done from the start, with no checkpoint or run key, so that no worker and
    no ``generate_reports`` ever picks it up; ``import_files`` says which files brought them.
    """

    class Origin(models.TextChoices):
        GENERATED = "generated", _("Generated here")
        IMPORTED = "imported", _("Imported")

    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, default=Origin.GENERATED)
    model_name = models.CharField(_("model name"), max_length=255)
    model_version = models.CharField(_("model version"), max_length=255, blank=True)
    checkpoint_path = models.CharField(_("checkpoint path"), max_length=1024, blank=True)
    checkpoint_sha256 = models.CharField(_("checkpoint SHA-256"), max_length=64, blank=True)
    prompt_template = models.TextField(_("prompt template"), blank=True)
    generation_parameters = models.JSONField(_("generation parameters"), default=dict, blank=True)
    code_version = models.CharField(_("code version"), max_length=128, blank=True)
    device = models.CharField(_("device"), max_length=255, blank=True)
    # Runs recorded whole (the demo's, imported ones) are done when made.
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices, default=JobState.DONE)
    run_key = models.CharField(
        _("run key"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_(
            "SHA-256 of checkpoint hash, template hash and settings: the same key continues the same run"
        ),
    )
    input_settings = models.JSONField(_("input selection and prompt settings"), default=dict, blank=True)
    environment = models.JSONField(
        _("model, processor, device and library versions"), default=dict, blank=True
    )
    cases_total = models.PositiveIntegerField(default=0)
    cases_done = models.PositiveIntegerField(default=0)
    cases_failed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_files = models.JSONField(
        _("imported from files"),
        default=list,
        blank=True,
        help_text=_("Each file an imported run's reports came from: SHA-256, name, rows, import time"),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("generation run")
        verbose_name_plural = _("generation runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(origin__in=["generated", "imported"]), name="generation_run_origin_valid"
            ),
            # Nothing can queue, claim or resume an imported run: it is done and names no checkpoint.
            models.CheckConstraint(
                condition=Q(origin="generated")
                | Q(origin="imported", state="done", run_key="", checkpoint_path="", checkpoint_sha256=""),
                name="imported_run_is_done_without_checkpoint",
            ),
            models.UniqueConstraint(
                fields=["model_name", "model_version"],
                condition=Q(origin="imported"),
                name="one_imported_run_per_model_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} #{self.pk}"

    @property
    def percent_done(self) -> int:
        """Cases with a report or a failure, out of the run's cases (0 before they are counted)."""
        if not self.cases_total:
            return 0
        return min(100, round(100 * (self.cases_done + self.cases_failed) / self.cases_total))

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class GenerationChunk(BackgroundJob):
    """Some cases of a run, generated by one worker at a time under a lease (renewed after every
    case). A chunk whose worker died is taken over by another once the lease runs out; cases the
    first worker stored are not generated again."""

    run = models.ForeignKey(GenerationRun, on_delete=models.CASCADE, related_name="chunks")
    case_ids = models.JSONField(_("case ids"), default=list)
    device = models.CharField(_("device"), max_length=64, default="auto")
    # One entry per worker that stopped here after model failures in a row: who, when, why
    # (cmr_reader/reports/generation.py, ``run_chunk``).
    stopped_workers = models.JSONField(_("workers stopped on it"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]

    @classmethod
    def lease(cls) -> timedelta:
        # One case of a large model on a busy GPU can take minutes; a site may lengthen it.
        return timedelta(seconds=settings.GENERATION_LEASE_SECONDS)

    def __str__(self) -> str:
        return f"{self.run_id}/{self.pk} ({len(self.case_ids)} cases, {self.state})"

    def stop_note(self) -> str:
        """Why each worker that stopped on this chunk stopped, the worker named, oldest first."""
        return "; ".join(stop["reason"] for stop in self.stopped_workers)


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
    # The stated diagnosis (entities' 7 categories, "" when none), extracted when the report is
    # stored (``extract_report_diagnosis``): the Cases page filters and studies stratify on it.
    diagnosis = models.CharField(_("extracted diagnosis"), max_length=16, blank=True, db_index=True)
    generate_seconds = models.FloatField(_("seconds to generate"), null=True, blank=True)
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


class ReportImportJob(BackgroundJob):
    """A reports file a coordinator uploaded in the browser: staged on disk and previewed
    (``preview``, computed at upload), then, once committed, imported by a background task with
    progress (``rows_done`` of ``rows_total``) and its ``summary`` at the end (report_import_jobs).

    Until it is committed the job is queued but no task is sent for it: nothing imports a file
    nobody has confirmed. The import itself is idempotent row by row, so a job whose worker died
    is simply run again.
    """

    # A running import renews its lease at least every PROGRESS_INTERVAL_S (report_import_jobs).
    LEASE = timedelta(minutes=5)

    class Kind(models.TextChoices):
        REFERENCE = "reference", _("Reference reports (radiologists)")
        AI = "ai", _("AI reports made elsewhere")

    class FileFormat(models.TextChoices):
        CSV = "csv", "CSV"
        JSONL = "jsonl", "JSON Lines"
        XLSX = "xlsx", "XLSX"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file_format = models.CharField(_("format"), max_length=8, choices=FileFormat.choices)
    file_name = models.CharField(_("file name"), max_length=255, help_text=_("cleaned of identifying words"))
    file_size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    staged_file = models.CharField(
        _("staged file"),
        max_length=255,
        blank=True,
        help_text=_("path under UPLOAD_STAGING_ROOT; emptied once the file is imported or discarded"),
    )
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report import")
        verbose_name_plural = _("report imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["reference", "ai"]), name="report_import_kind_valid"
            ),
            # Reference reports come from a RIS export (CSV) or a spreadsheet, never JSON Lines.
            models.CheckConstraint(
                condition=Q(file_format__in=["csv", "xlsx"]) | Q(kind="ai", file_format="jsonl"),
                name="report_import_format_valid",
            ),
            # Only a committed upload is ever given to a worker.
            models.CheckConstraint(
                condition=Q(committed_at__isnull=False) | Q(state="queued"),
                name="report_import_runs_once_committed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.kind}, {self.state})"

    @property
    def is_committed(self) -> bool:
        return self.committed_at is not None

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 100 if self.state == self.State.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    def can_be_retried(self, *, now) -> bool:
        return self.is_committed and (self.state == self.State.FAILED or self.is_stalled(now=now))
