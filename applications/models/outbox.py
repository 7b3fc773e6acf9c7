from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A side effect (an email, a follow-up task) written in the same transaction as the
    change that causes it, and relayed afterwards. If the broker or mail server is down
    the row waits; nothing a person was told has happened is ever lost."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        TASK = "task", "Celery task"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The same event enqueued twice (a replayed request, a sweep run twice) is one row.
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key}"
