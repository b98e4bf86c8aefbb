"""The abstract model every background job extends (docs/decisions/0019-job-lifecycle.md).

A job is claimed by one worker at a time under a lease: ``lease_expires_at`` is pushed forward by
every heartbeat (each progress write). A running job whose lease has run out has lost its worker
(killed, machine restarted); another worker may claim it again, and ``attempts`` counts the
claims. Each kind sets ``LEASE``: how long it may go without a heartbeat.
"""

from datetime import datetime, timedelta
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class BackgroundJob(models.Model):
    State = JobState
    LEASE: ClassVar[timedelta] = timedelta(minutes=5)

    state = models.CharField(_("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_owner = models.CharField(_("worker"), max_length=128, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def lease(cls) -> timedelta:
        """How long a claim lasts without a heartbeat (a kind may read it from the settings)."""
        return cls.LEASE

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def is_stalled(self, *, now: datetime) -> bool:
        """Running, but its worker has not renewed the lease in time."""
        return (
            self.state == JobState.RUNNING
            and self.lease_expires_at is not None
            and self.lease_expires_at < now
        )
