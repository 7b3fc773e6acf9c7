from django.conf import settings
from django.db import models
from django.utils import timezone


class ProposalEvent(models.Model):
    """Something that happened to a proposal without changing its state: a comment, a
    reminder, an escalation, a document, a condition met. Append-only, like the audit."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        DOCUMENT_ADDED = "document_added", "Document added"
        DOCUMENT_REMOVED = "document_removed", "Document removed"
        PARTNER_AGREED = "partner_agreed", "Partner CCG agreed"
        REMINDER_SENT = "reminder_sent", "Deadline reminder sent"
        ESCALATED = "escalated", "Review escalated to the region"
        CONDITION_MET = "condition_met", "Committee condition met"
        NOT_LIVE = "not_live", "Could not go live"
        OTHER = "other", "Other"

    proposal = models.ForeignKey(
        "applications.Proposal", on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)
    detail = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["proposal", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.proposal_id} by {self.actor_name}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("Proposal events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Proposal events cannot be deleted.")


class SweepRun(models.Model):
    """One pass of the deadline sweep: when, what it did, and what failed, for the
    national programme team to check the scheduler is alive and doing its job."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Sweep at {timezone.localtime(self.started_at):%d %b %Y %H:%M}"

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and not self.failures
