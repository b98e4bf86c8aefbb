"""Reader studies: design, assignments, and the answers readers give.

Blinding lives in the data model: a reader's answers are keyed by *slot* ("A", "B" or "pair"),
never by report, and only ``Assignment.ai_slot`` (server-side, never rendered for readers) says
which slot holds the AI report. Readers reach an assignment by its opaque ``public_id``.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmr_reader.imaging.models import Case
from cmr_reader.reports.models import Report


def new_public_id() -> str:
    """An opaque random id that starts with a letter or digit: a CSV cell starting with "-" or
    "_" would be escaped by the spreadsheet-safe writer and no longer match the id elsewhere."""
    while True:
        token = secrets.token_urlsafe(12)
        if token[0].isalnum():
            return token


def new_seed() -> int:
    return secrets.randbelow(2**31)


class ReaderStudy(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ASSIGNED = "assigned", _("Assigned (reading)")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200, unique=True)
    # Study texts are entered in English and Chinese; readers see their interface language's,
    # else the other (studies/study_texts.py).
    instructions = models.TextField(_("instructions for readers in English (Markdown)"), blank=True)
    instructions_zh = models.TextField(_("instructions for readers in Chinese (Markdown)"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    seed = models.PositiveIntegerField(_("design seed"), default=new_seed)
    readers_per_case = models.PositiveSmallIntegerField(_("readers per case"), default=2)
    overlap_count = models.PositiveIntegerField(_("cases read by every reader"), default=0)
    washout_fraction = models.FloatField(_("share of cases read again"), default=0.0)
    washout_days = models.PositiveIntegerField(_("days before a case is read again"), default=0)
    allow_revisit = models.BooleanField(_("readers may change submitted cases"), default=True)
    ask_preference = models.BooleanField(_("ask which report is preferred"), default=True)
    ask_ai_guess = models.BooleanField(_("ask which report was AI-generated"), default=True)
    ask_error_flags = models.BooleanField(_("ask for clinically significant errors"), default=True)
    ask_comment = models.BooleanField(_("ask for a free-text comment"), default=True)
    side_scheme = models.CharField(
        _("side randomisation"),
        max_length=16,
        choices=[
            ("big_stick", _("Big stick (a coin per reading, imbalance at most 4)")),
            ("balanced", _("Balanced within one (before 2026-12)")),
        ],
        default="big_stick",
        editable=False,
    )
    blinding_threshold = models.FloatField(
        _("blinding audit warning threshold"),
        default=0.65,
        help_text=_(
            "Warn when a classifier tells the AI report from the reference by form alone more often than this share of pairs (0.5 is chance)."
        ),
    )
    non_inferiority_margin = models.FloatField(
        _("non-inferiority margin (score points)"),
        null=True,
        blank=True,
        help_text=_(
            "The AI report is non-inferior when the lower bound of the mean AI-minus-reference difference lies above minus this margin. Leave empty for no non-inferiority test."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reader study")
        verbose_name_plural = _("reader studies")
        constraints = [
            models.CheckConstraint(
                condition=Q(readers_per_case__gte=1), name="study_readers_per_case_positive"
            ),
            models.CheckConstraint(
                condition=Q(washout_fraction__gte=0) & Q(washout_fraction__lte=1),
                name="study_washout_fraction_range",
            ),
            models.CheckConstraint(
                condition=Q(non_inferiority_margin__isnull=True) | Q(non_inferiority_margin__gt=0),
                name="study_non_inferiority_margin_positive",
            ),
            models.CheckConstraint(
                condition=Q(blinding_threshold__gte=0.5) & Q(blinding_threshold__lte=1),
                name="study_blinding_threshold_range",
            ),
            models.CheckConstraint(
                condition=Q(side_scheme__in=["big_stick", "balanced"]), name="study_side_scheme_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_design_locked(self) -> bool:
        """Once assigned, the design (criteria, sides, counts) no longer changes."""
        return self.state != self.State.DRAFT


class Criterion(models.Model):
    """One 1-5 Likert item asked of each report, with the wording of every point."""

    study = models.ForeignKey(ReaderStudy, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label in English"), max_length=120)
    label_zh = models.CharField(_("label in Chinese"), max_length=120, blank=True)
    help_text = models.CharField(_("question in English"), max_length=300, blank=True)
    help_text_zh = models.CharField(_("question in Chinese"), max_length=300, blank=True)
    anchors = models.JSONField(_("wording of points 1 to 5 in English"))
    # Empty, or the five points' wording: readers then see the English one (studies/study_texts.py).
    anchors_zh = models.JSONField(_("wording of points 1 to 5 in Chinese"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["study", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "key"], name="criterion_key_unique_in_study")]

    def __str__(self) -> str:
        return self.label


class StudyCaseSelection(models.Model):
    """One change of a study's case list, kept for the methods section: cases added by the Cases
    page's filters (every eligible match, or a seeded sample, optionally stratified), or removed
    before assignment. With the seed and the filters, a sample can be drawn again."""

    class Action(models.TextChoices):
        ADD = "add", _("Added")
        REMOVE = "remove", _("Removed")

    class StratifyBy(models.TextChoices):
        DIAGNOSIS = "diagnosis", _("the reference report's diagnosis")
        LANGUAGE = "language", _("the reference report's language")
        SEX = "sex", _("patient sex")

    class Allocation(models.TextChoices):
        PROPORTIONAL = "proportional", _("proportional to the strata")
        EQUAL = "equal", _("equal per stratum")

    study = models.ForeignKey(ReaderStudy, on_delete=models.CASCADE, related_name="case_selections")
    action = models.CharField(_("action"), max_length=8, choices=Action.choices, default=Action.ADD)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Additions: the Cases page's filters (``case_search.CaseFilterForm`` names); removals: the
    # search of the study's case list, or the number of cases ticked.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    matching_count = models.PositiveIntegerField(_("cases matching"), default=0)
    available_count = models.PositiveIntegerField(_("eligible cases not yet in the study"), default=0)
    sample_size = models.PositiveIntegerField(_("sample size"), null=True, blank=True)  # None: all
    seed = models.PositiveIntegerField(_("sample seed"), null=True, blank=True)
    stratify_by = models.CharField(_("stratified by"), max_length=16, choices=StratifyBy.choices, blank=True)
    allocation = models.CharField(_("allocation"), max_length=16, choices=Allocation.choices, blank=True)
    strata = models.JSONField(_("strata"), default=list, blank=True)  # [{stratum, available, chosen}]
    case_count = models.PositiveIntegerField(_("cases added or removed"), default=0)

    class Meta:
        ordering = ["study", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=["add", "remove"]), name="selection_action_valid"),
            # A sample without its seed could not be drawn again.
            models.CheckConstraint(
                condition=Q(sample_size__isnull=True) | Q(seed__isnull=False),
                name="selection_sample_has_seed",
            ),
            models.CheckConstraint(
                condition=Q(stratify_by__in=["", "diagnosis", "language", "sex"]),
                name="selection_stratify_by_valid",
            ),
            models.CheckConstraint(
                condition=Q(allocation__in=["", "proportional", "equal"]), name="selection_allocation_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study_id}:{self.action}:{self.pk}"


class StudyCase(models.Model):
    """A case in a study with the two reports that will be shown side by side."""

    study = models.ForeignKey(ReaderStudy, on_delete=models.CASCADE, related_name="study_cases")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="study_cases")
    reference_report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="+")
    ai_report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="+")
    # The addition that brought the case in (None: added by a script, or before selections were kept).
    selection = models.ForeignKey(
        StudyCaseSelection, null=True, blank=True, on_delete=models.SET_NULL, related_name="study_cases"
    )

    class Meta:
        ordering = ["study", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "case"], name="study_case_unique")]

    def __str__(self) -> str:
        return f"{self.study_id}:{self.case_id}"


class StudyReader(models.Model):
    study = models.ForeignKey(ReaderStudy, on_delete=models.CASCADE, related_name="study_readers")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reader_studies"
    )

    class Meta:
        ordering = ["study", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "reader"], name="study_reader_unique")]


class Assignment(models.Model):
    """One reading of one case by one reader: the unit a reader opens, answers and submits."""

    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)
    study = models.ForeignKey(ReaderStudy, on_delete=models.CASCADE, related_name="assignments")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    study_case = models.ForeignKey(StudyCase, on_delete=models.PROTECT, related_name="assignments")
    position = models.PositiveIntegerField()
    ai_slot = models.CharField(max_length=1, choices=[("A", "A"), ("B", "B")])
    is_overlap = models.BooleanField(default=False)
    is_repeat = models.BooleanField(default=False)
    available_from = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    active_seconds = models.FloatField(default=0.0)
    # Where the time counted in active_seconds ends: the latest activity report, or up to a
    # second past it (answers.record_activity); a report counts only time after this.
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["study", "reader", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "reader", "position"], name="assignment_position_unique"
            ),
            models.UniqueConstraint(
                fields=["study", "reader", "study_case", "is_repeat"], name="assignment_once_per_reading"
            ),
            models.CheckConstraint(condition=Q(ai_slot__in=["A", "B"]), name="assignment_ai_slot_valid"),
        ]
        indexes = [models.Index(fields=["reader", "study", "submitted_at"])]

    def __str__(self) -> str:
        return self.public_id

    def report_in_slot(self, slot: str) -> Report:
        """The report shown as ``slot`` ("A" or "B") to this reader."""
        return self.study_case.ai_report if slot == self.ai_slot else self.study_case.reference_report


class Answer(models.Model):
    """The current value of one questionnaire item of one assignment (see ``questionnaire``)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(max_length=64)
    value = models.JSONField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["assignment", "item"]
        constraints = [models.UniqueConstraint(fields=["assignment", "item"], name="answer_one_per_item")]


class AnswerChange(models.Model):
    """Audit history: every change of an answer, who made it and when, old and new value."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="answer_changes")
    item = models.CharField(max_length=64)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    after_submit = models.BooleanField(default=False)

    class Meta:
        # Row ids follow the assignment's row lock, so they are the true order of changes;
        # ``changed_at`` is taken when a request starts and two requests may cross.
        ordering = ["assignment", "id"]


class BlindingAudit(models.Model):
    """One run of the blinding audit over a study's pairs as displayed (``studies/blinding.py``).

    Kept, never overwritten: the paper reports the audit made before reading started beside the
    readers' own "which is AI?" accuracy, and later audits show what changed since."""

    study = models.ForeignKey(ReaderStudy, on_delete=models.CASCADE, related_name="blinding_audits")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pair_count = models.PositiveIntegerField()
    accuracy = models.FloatField(null=True, blank=True)  # None: too few pairs to audit
    threshold = models.FloatField()
    result = models.JSONField()  # AuditResult.as_json() plus the withheld counts per arm

    class Meta:
        ordering = ["study", "-created_at", "-id"]
        get_latest_by = ["created_at", "id"]

    @property
    def exceeds_threshold(self) -> bool:
        return self.accuracy is not None and self.accuracy > self.threshold
