"""Regional review, the Commissioning Committee and its paperwork. All of it builds on
applications.Proposal, whose state machine records every decision; these models hold the
assurance, agenda and document detail around those decisions."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from applications.models import CCG, Cycle, Proposal, ProposalState


class ConflictOfInterest(models.Model):
    """A reviewer's declared interest in a CCG: while it stands, they cannot review the
    CCG's proposals."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="declared_interests"
    )
    ccg = models.ForeignKey(CCG, on_delete=models.PROTECT, related_name="declared_interests")
    description = models.TextField()
    declared_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "declared conflict of interest"
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "ccg"],
                condition=Q(ended_at__isnull=True),
                name="one_standing_declaration_per_reviewer_and_ccg",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} declared an interest in {self.ccg}"


class Checklist(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_APPLICABLE = "n/a", "Not applicable"


class Review(models.Model):
    """A regional reviewer's assurance of one submission of a proposal. A resubmission
    starts a new review, so each round's checklist and comments stay as they were."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="reviews")
    round = models.PositiveIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    started_at = models.DateTimeField(default=timezone.now)
    proposal_version = models.PositiveIntegerField()
    # The verbose names are what the pages, the pack and the assurance messages call each check.
    governance_compliant = models.CharField(
        "governance complies with the framework",
        max_length=3,
        choices=Checklist.choices,
        blank=True,
    )
    constitution_acceptable = models.CharField(
        "constitution amendment acceptable", max_length=3, choices=Checklist.choices, blank=True
    )
    conflicts_managed = models.CharField(
        "conflicts of interest managed", max_length=3, choices=Checklist.choices, blank=True
    )
    pooled_budget_compliant = models.CharField(
        "pooled budget complies with financial instructions",
        max_length=3,
        choices=Checklist.choices,
        blank=True,
    )
    special_measures_risk_accepted = models.CharField(
        "special measures risk accepted", max_length=3, choices=Checklist.choices, blank=True
    )
    comments = models.TextField(blank=True, help_text="Shared with the CCG.")
    private_notes = models.TextField(blank=True, help_text="Seen only by NHS England reviewers.")
    recommendation = models.TextField(blank=True)
    proposed_conditions = models.TextField(blank=True)
    outcome = models.CharField(max_length=32, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    CHECKLIST_FIELDS = (
        "governance_compliant",
        "constitution_acceptable",
        "conflicts_managed",
        "pooled_budget_compliant",
        "special_measures_risk_accepted",
    )

    class Meta:
        ordering = ["proposal", "round"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "round"], name="one_review_per_round")
        ]

    def __str__(self) -> str:
        return f"Review {self.round} of {self.proposal.reference}"

    def unanswered(self) -> list[str]:
        return [
            self._meta.get_field(name).verbose_name
            for name in self.CHECKLIST_FIELDS
            if not getattr(self, name)
        ]

    OUTCOME_LABELS = {
        "request_changes": "Changes requested",
        "approve_joint": "Approved",
        "not_approve": "Not approved",
        "recommend": "Recommended to the committee",
        "not_recommend": "Not recommended to the committee",
    }

    @property
    def outcome_label(self) -> str:
        return self.OUTCOME_LABELS.get(self.outcome, self.outcome)

    def checklist_items(self) -> list[tuple[str, str]]:
        return [
            (
                self._meta.get_field(name).verbose_name.capitalize(),
                getattr(self, f"get_{name}_display")(),
            )
            for name in self.CHECKLIST_FIELDS
        ]


class CommitteeMeeting(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="committee_meetings")
    meets_at = models.DateTimeField()
    title = models.CharField(max_length=200, default="NHS England Commissioning Committee")
    location = models.CharField(max_length=200, blank=True)
    members = models.TextField(blank=True, help_text="One member per line: name, role.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meets_at"]

    def __str__(self) -> str:
        return f"{self.title}, {timezone.localtime(self.meets_at):%-d %B %Y}"

    def member_list(self) -> list[str]:
        return [line.strip() for line in self.members.splitlines() if line.strip()]

    def contents_version(self, items=None) -> str:
        """A fingerprint of everything a sign-off pack shows: which items, in what order,
        each proposal's version and decision. A pack whose fingerprint differs is stale."""
        items = items if items is not None else self.items.select_related("proposal")
        parts = [
            f"{i.position}:{i.proposal_id}:{i.proposal.version}:{i.decision}:{i.minute}"
            for i in items
        ]
        parts.append(f"{self.meets_at.isoformat()}|{self.title}|{self.members}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
    DEFERRED = "deferred", "Deferred"
    DECLINED = "declined", "Declined"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(CommitteeMeeting, on_delete=models.PROTECT, related_name="items")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveIntegerField()
    decision = models.CharField(max_length=32, choices=Decision.choices, blank=True)
    minute = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "proposal"], name="proposal_once_per_agenda"
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.position}: {self.proposal.reference}"


class SignOffPack(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        GENERATING = "generating", "Generating"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    meeting = models.ForeignKey(CommitteeMeeting, on_delete=models.PROTECT, related_name="packs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="packs/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    contents_version = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    item_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        get_latest_by = "requested_at"

    def __str__(self) -> str:
        return f"Sign-off pack for {self.meeting} ({self.get_status_display()})"

    def is_out_of_date(self, current_version: str | None = None) -> bool:
        if self.status != self.Status.READY:
            return False
        return self.contents_version != (current_version or self.meeting.contents_version())


class DecisionLetter(models.Model):
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="decision_letters"
    )
    agenda_item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    decision = models.CharField(max_length=32)
    file = models.FileField(upload_to="letters/%Y/")
    sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-generated_at"]

    def __str__(self) -> str:
        return f"Decision letter for {self.proposal.reference}"

    @property
    def decision_label(self) -> str:
        return ProposalState(self.decision).label if self.decision in ProposalState.values else ""


class MeetingRecord(models.Model):
    """What the secretary did to a meeting's agenda and paperwork, and when. Append-only:
    decisions themselves are proposal transitions; this records the rest."""

    meeting = models.ForeignKey(CommitteeMeeting, on_delete=models.PROTECT, related_name="records")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("Meeting records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Meeting records cannot be deleted.")
