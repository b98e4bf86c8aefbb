"""The access log: who opened which case, study images, export or run, and when.

Rows are only ever inserted (``access_log.record_access``); nothing in the app updates or deletes
them, and the admin shows them read-only. The username is copied into each row so the log still
names the person after their account is deleted (the foreign key is then set to NULL).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessEvent(models.Model):
    class Action(models.TextChoices):
        CASE_VIEWER = "case_viewer", _("Opened a case in the viewer")
        READING_CASE = "reading_case", _("Opened a reading case")
        DICOMWEB_STUDY = "dicomweb_study", _("Read a study's images over DICOMweb")
        EXPORT_RATINGS = "export_ratings", _("Exported ratings")
        EXPORT_ANSWERS = "export_answers", _("Exported answers")
        EXPORT_UNBLINDING = "export_unblinding", _("Exported the unblinding key")
        EXPORT_AUDIT = "export_audit", _("Exported the audit history")
        ANALYSIS_DASHBOARD = "analysis_dashboard", _("Opened an analysis dashboard")
        ANALYSIS_BUNDLE = "analysis_bundle", _("Downloaded an analysis bundle")
        GENERATION_RUN = "generation_run", _("Opened a generation run")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_events",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    # A case id, a DICOM Study Instance UID, a reader study id or a run id, as text.
    target = models.CharField(_("target"), max_length=128)
    study = models.PositiveIntegerField(_("reader study"), null=True, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        indexes = [
            models.Index(fields=["target", "at"], name="access_event_target_at"),
            models.Index(fields=["username", "at"], name="access_event_username_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.target}"


# The share of the reading page's width given to the images (the rest holds the reports), as the
# reader may set it by dragging the divider: the bounds keep both columns usable.
READING_SPLIT_MIN = 0.35
READING_SPLIT_MAX = 0.8


class UserPreference(models.Model):
    """One person's interface language and time zone, applied to every request they make, and the
    reading page's split between images and reports.

    Blank means "not chosen": the language then comes from the browser (LocaleMiddleware), the
    time zone from settings.TIME_ZONE and the split from ``preferences.DEFAULT_READING_SPLIT``.
    Written by ``preferences.save_preference`` and ``preferences.save_reading_split`` alone.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    # A code of settings.LANGUAGES (checked by the form, not a choices list: no migration per language).
    language = models.CharField(_("language"), max_length=16, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    reading_split = models.FloatField(_("reading page split"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reading_split__isnull=True)
                | models.Q(reading_split__gte=READING_SPLIT_MIN, reading_split__lte=READING_SPLIT_MAX),
                name="user_preference_reading_split_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'} {self.time_zone or '-'}"
