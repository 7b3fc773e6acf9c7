from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import CommissioningModel


class Cycle(models.Model):
    """A commissioning cycle: the arrangements that go live on one date (2015/16 went live
    on 1 April 2015). Its deadlines are rows, editable by the national programme team."""

    name = models.CharField(max_length=7, unique=True, help_text="For example 2015/16.")
    starts_on = models.DateField(help_text="The first day of the financial year.")

    class Meta:
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return self.name

    @property
    def code(self) -> str:
        """2015/16 -> 1516, for reference numbers."""
        first, second = self.name.split("/")
        return first[-2:] + second[-2:]

    def deadline(self, event: str, model: str = "") -> "Deadline | None":
        """The deadline for an event, preferring one specific to the model."""
        deadlines = [d for d in self.deadlines.all() if d.event == event]
        for deadline in deadlines:
            if deadline.model == model:
                return deadline
        return next((d for d in deadlines if d.model == ""), None)


class DeadlineEvent(models.TextChoices):
    PROPOSALS_DUE = "proposals_due", "Proposals due"
    COMMITTEE_SIGN_OFF = "committee_sign_off", "Commissioning Committee sign-off"
    GO_LIVE = "go_live", "Arrangements go live"


def default_reminder_days() -> list[int]:
    return [14, 7, 1]


class Deadline(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="deadlines")
    event = models.CharField(max_length=32, choices=DeadlineEvent.choices)
    # Blank means the deadline applies to every model (go-live, committee sign-off).
    model = models.CharField(
        max_length=32,
        blank=True,
        choices=[
            (m.value, m.label) for m in (CommissioningModel.JOINT, CommissioningModel.DELEGATED)
        ],
    )
    due_at = models.DateTimeField(help_text="Europe/London time.")
    description = models.CharField(max_length=200, blank=True)
    reminder_days = models.JSONField(
        default=default_reminder_days,
        blank=True,
        help_text="Days before the deadline on which CCGs with unsubmitted drafts are "
        "reminded, for example [14, 7, 1].",
    )

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "event", "model"], name="one_deadline_per_cycle_event_model"
            ),
            models.CheckConstraint(
                name="submission_deadlines_name_a_model",
                condition=~Q(event="proposals_due") | ~Q(model=""),
            ),
        ]

    def __str__(self) -> str:
        label = self.get_event_display()
        if self.model:
            label = f"{self.get_model_display()}: {label.lower()}"
        return f"{self.cycle} {label}, {timezone.localtime(self.due_at):%-d %B %Y}"

    @property
    def has_passed(self) -> bool:
        return timezone.now() >= self.due_at
