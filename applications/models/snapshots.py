from django.conf import settings
from django.db import models
from django.utils import timezone


class ProposalSnapshot(models.Model):
    """What the CCG sent, frozen at each submission, resubmission or recording, so that a
    reviewer can see exactly what changed between versions. Append-only, like the audit
    trail (a database trigger refuses UPDATE and DELETE)."""

    proposal = models.ForeignKey(
        "applications.Proposal", on_delete=models.PROTECT, related_name="snapshots"
    )
    # The proposal's version once submitted: the same number as the audit row's.
    version = models.PositiveIntegerField()
    transition = models.CharField(max_length=64)
    pro_forma = models.JSONField(default=dict)
    # [{"ccg": "04L", "name": ..., "agreed_on": "2015-01-14" | None}]
    partners = models.JSONField(default=list)
    # [{"id": 3, "kind": ..., "name": ..., "sha256": ...}], the current documents.
    documents = models.JSONField(default=list)
    summary_of_changes = models.TextField(blank=True)
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["proposal", "version"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "version"], name="one_snapshot_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} version {self.version}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("Submitted versions cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Submitted versions cannot be deleted.")
