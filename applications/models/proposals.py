from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .. import permissions as can
from .. import pro_forma as pro_forma_rules
from .choices import REVIEWED_MODELS, CommissioningModel
from .cycles import Cycle, DeadlineEvent
from .organisations import CCG


class ProposalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    RECORDED = "recorded", "Recorded"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under regional review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    RESUBMITTED = "resubmitted", "Resubmitted"
    RECOMMENDED = "recommended", "Recommended to the Commissioning Committee"
    NOT_RECOMMENDED = "not_recommended", "Not recommended to the Commissioning Committee"
    DEFERRED = "deferred", "Deferred by the Commissioning Committee"
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
    NOT_APPROVED = "not_approved", "Not approved"
    DECLINED = "declined", "Declined by the Commissioning Committee"
    WITHDRAWN = "withdrawn", "Withdrawn"
    LAPSED = "lapsed", "Closed at the deadline"
    LIVE = "live", "Live"


S = ProposalState

# Before a decision: the CCG may still withdraw, and only one such proposal per CCG and
# cycle may exist at a time.
IN_FLIGHT_STATES = (
    S.DRAFT,
    S.SUBMITTED,
    S.UNDER_REVIEW,
    S.CHANGES_REQUESTED,
    S.RESUBMITTED,
    S.RECOMMENDED,
    S.NOT_RECOMMENDED,
    S.DEFERRED,
)
WITHDRAWABLE_STATES = IN_FLIGHT_STATES
AWAITING_COMMITTEE_STATES = (S.RECOMMENDED, S.NOT_RECOMMENDED, S.DEFERRED)
REVIEWABLE_STATES = (S.SUBMITTED, S.RESUBMITTED)
APPROVED_STATES = (S.APPROVED, S.APPROVED_WITH_CONDITIONS)
# An arrangement in force or agreed: the CCG's current level of co-commissioning.
ARRANGEMENT_STATES = (S.RECORDED, S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.LIVE)
FINAL_STATES = (S.RECORDED, S.NOT_APPROVED, S.DECLINED, S.WITHDRAWN, S.LAPSED, S.LIVE)


def condition(message: str) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Attach the sentence a person is shown when the condition is not met."""

    def decorate(check: Callable[..., bool]) -> Callable[..., bool]:
        check.message = message  # type: ignore[attr-defined]
        return check

    return decorate


@condition("Greater involvement is recorded, not submitted for approval.")
def is_reviewed_model(proposal: "Proposal") -> bool:
    return proposal.model in REVIEWED_MODELS


@condition("Only a greater involvement arrangement is recorded without review.")
def is_greater_involvement(proposal: "Proposal") -> bool:
    return proposal.model == CommissioningModel.GREATER_INVOLVEMENT


@condition("Only joint proposals are approved by the regional office.")
def is_joint(proposal: "Proposal") -> bool:
    return proposal.model == CommissioningModel.JOINT


@condition("Only delegated proposals go to the Commissioning Committee.")
def is_delegated(proposal: "Proposal") -> bool:
    return proposal.model == CommissioningModel.DELEGATED


@condition("Every section of the pro forma must be complete.")
def pro_forma_complete(proposal: "Proposal") -> bool:
    return not proposal.missing_pro_forma_sections()


@condition("Every partner CCG must confirm its governing body's agreement.")
def partners_agreed(proposal: "Proposal") -> bool:
    return all(p.agreed_at is not None for p in proposal.partner_links.all())


@condition("No submission deadline is set for this model in this cycle.")
def has_submission_deadline(proposal: "Proposal") -> bool:
    return proposal.submission_deadline is not None


@condition("The deadline for submitting this proposal has passed.")
def before_submission_deadline(proposal: "Proposal") -> bool:
    deadline = proposal.submission_deadline
    return deadline is not None and timezone.now() < deadline.due_at


@condition("The submission deadline has not passed yet.")
def submission_deadline_passed(proposal: "Proposal") -> bool:
    deadline = proposal.submission_deadline
    return deadline is not None and timezone.now() >= deadline.due_at


@condition("The go-live date has not been reached.")
def go_live_date_reached(proposal: "Proposal") -> bool:
    deadline = proposal.cycle.deadline(DeadlineEvent.GO_LIVE)
    return deadline is not None and timezone.now() >= deadline.due_at


@condition("Every condition set by the Commissioning Committee must be met first.")
def no_open_conditions(proposal: "Proposal") -> bool:
    # .all() rather than a filtered query so a sweep's prefetch_related answers it.
    return all(c.met_at is not None for c in proposal.conditions.all())


@condition("Approval with conditions needs at least one condition.")
def has_open_conditions(proposal: "Proposal") -> bool:
    return not no_open_conditions(proposal)


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> "ProposalQuerySet":
        """The proposals a person may see. Every list and detail page starts here, so a
        CCG's staff can never reach another CCG's proposal, even by guessing its id."""
        from .users import Role

        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return self.none()
        if user.role == Role.NATIONAL_ADMIN:
            return self.all()
        if user.role == Role.CCG_STAFF:
            partner_of = ProposalPartner.objects.filter(ccg_id=user.ccg_id).values("proposal_id")
            return self.filter(Q(ccg_id=user.ccg_id) | Q(pk__in=partner_of))
        if user.role == Role.AREA_TEAM:
            partner_of = ProposalPartner.objects.filter(ccg__area_team_id=user.area_team_id).values(
                "proposal_id"
            )
            return self.filter(Q(ccg__area_team_id=user.area_team_id) | Q(pk__in=partner_of))
        if user.role == Role.REGIONAL_REVIEWER:
            return self.filter(ccg__area_team__region_id=user.region_id)
        if user.role == Role.COMMITTEE_SECRETARY:
            return self.filter(model=CommissioningModel.DELEGATED).exclude(
                state__in=[
                    S.DRAFT,
                    S.SUBMITTED,
                    S.UNDER_REVIEW,
                    S.CHANGES_REQUESTED,
                    S.RESUBMITTED,
                    S.LAPSED,
                ]
            )
        return self.none()

    def in_flight(self) -> "ProposalQuerySet":
        return self.filter(state__in=IN_FLIGHT_STATES)


class Proposal(ConcurrentTransitionMixin, models.Model):
    """One CCG's proposal (for joint, a lead CCG's with its partners) to take up a
    co-commissioning model in a cycle. Moving up a level later is a new proposal that
    supersedes the arrangement in force."""

    reference = models.CharField(max_length=32, unique=True)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="proposals")
    ccg = models.ForeignKey(
        CCG, on_delete=models.PROTECT, related_name="proposals", verbose_name="lead CCG"
    )
    model = models.CharField(max_length=32, choices=CommissioningModel.choices)
    partners = models.ManyToManyField(
        CCG, through="ProposalPartner", related_name="partner_proposals", blank=True
    )
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The arrangement this proposal moves up from.",
    )
    carried_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_to",
        help_text="The proposal that closed at an earlier deadline and was carried forward.",
    )
    state = FSMField(
        default=ProposalState.DRAFT, choices=ProposalState.choices, protected=True, db_index=True
    )
    pro_forma = models.JSONField(default=dict, blank=True)
    # Bumped on every change, so a page can tell its user the proposal changed under them
    # and a sign-off pack can tell it is out of date.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    live_at = models.DateTimeField(null=True, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ccg", "cycle"],
                condition=Q(state__in=IN_FLIGHT_STATES),
                name="one_in_flight_proposal_per_ccg_and_cycle",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "model", "state"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.ccg} ({self.get_model_display()}, {self.cycle})"

    # -- questions the workflow asks --------------------------------------------------------

    @property
    def submission_deadline(self):
        return self.cycle.deadline(DeadlineEvent.PROPOSALS_DUE, self.model)

    def missing_pro_forma_sections(self) -> list[pro_forma_rules.Section]:
        return pro_forma_rules.missing_sections(self.model, self.pro_forma)

    # -- the state machine ----------------------------------------------------------------
    # Each transition names its sources, target, conditions and who may perform it. They
    # are called only through applications.services / approvals.services, which lock the
    # row, check permission and conditions, and write the audit row in one transaction.

    @transition(
        field=state,
        source=S.DRAFT,
        target=S.RECORDED,
        conditions=[is_greater_involvement, pro_forma_complete],
        permission=can.is_lead_ccg_or_area_team_staff,
    )
    def record(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=S.DRAFT,
        target=S.SUBMITTED,
        conditions=[
            is_reviewed_model,
            has_submission_deadline,
            before_submission_deadline,
            pro_forma_complete,
            partners_agreed,
        ],
        permission=can.is_lead_ccg_staff,
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=S.CHANGES_REQUESTED,
        target=S.RESUBMITTED,
        conditions=[is_reviewed_model, pro_forma_complete, partners_agreed],
        permission=can.is_lead_ccg_staff,
    )
    def resubmit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=list(WITHDRAWABLE_STATES),
        target=S.WITHDRAWN,
        permission=can.is_lead_ccg_staff,
    )
    def withdraw(self) -> None:
        pass

    @transition(
        field=state,
        source=S.DRAFT,
        target=S.LAPSED,
        conditions=[is_reviewed_model, submission_deadline_passed],
        permission=can.is_system,
    )
    def lapse(self) -> None:
        pass

    @transition(
        field=state,
        source=list(REVIEWABLE_STATES),
        target=S.UNDER_REVIEW,
        conditions=[is_reviewed_model],
        permission=can.is_regional_reviewer,
    )
    def start_review(self) -> None:
        pass

    @transition(
        field=state,
        source=S.UNDER_REVIEW,
        target=S.CHANGES_REQUESTED,
        conditions=[is_reviewed_model],
        permission=can.is_regional_reviewer,
    )
    def request_changes(self) -> None:
        pass

    @transition(
        field=state,
        source=S.UNDER_REVIEW,
        target=S.APPROVED,
        conditions=[is_joint],
        permission=can.is_regional_reviewer,
    )
    def approve_joint(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=S.UNDER_REVIEW,
        target=S.NOT_APPROVED,
        conditions=[is_joint],
        permission=can.is_regional_reviewer,
    )
    def not_approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=S.UNDER_REVIEW,
        target=S.RECOMMENDED,
        conditions=[is_delegated],
        permission=can.is_regional_reviewer,
    )
    def recommend(self) -> None:
        pass

    @transition(
        field=state,
        source=S.UNDER_REVIEW,
        target=S.NOT_RECOMMENDED,
        conditions=[is_delegated],
        permission=can.is_regional_reviewer,
    )
    def not_recommend(self) -> None:
        pass

    @transition(
        field=state,
        source=list(AWAITING_COMMITTEE_STATES),
        target=S.APPROVED,
        conditions=[is_delegated],
        permission=can.is_committee_secretary,
    )
    def committee_approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=list(AWAITING_COMMITTEE_STATES),
        target=S.APPROVED_WITH_CONDITIONS,
        conditions=[is_delegated, has_open_conditions],
        permission=can.is_committee_secretary,
    )
    def committee_approve_with_conditions(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=[S.RECOMMENDED, S.NOT_RECOMMENDED],
        target=S.DEFERRED,
        conditions=[is_delegated],
        permission=can.is_committee_secretary,
    )
    def committee_defer(self) -> None:
        pass

    @transition(
        field=state,
        source=list(AWAITING_COMMITTEE_STATES),
        target=S.DECLINED,
        conditions=[is_delegated],
        permission=can.is_committee_secretary,
    )
    def committee_decline(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=list(APPROVED_STATES),
        target=S.LIVE,
        conditions=[go_live_date_reached, no_open_conditions],
        permission=can.is_system_or_national_admin,
    )
    def go_live(self) -> None:
        self.live_at = timezone.now()


class ProposalPartner(models.Model):
    """A partner CCG in a joint proposal, and its governing body's agreement."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="partner_links")
    ccg = models.ForeignKey(CCG, on_delete=models.PROTECT, related_name="partner_links")
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    governing_body_agreed_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "ccg"], name="partner_once_per_proposal")
        ]

    def __str__(self) -> str:
        return f"{self.ccg} in {self.proposal.reference}"


class ProposalCondition(models.Model):
    """A condition the Commissioning Committee set on an approval; go-live waits for all."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="conditions")
    text = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    met_at = models.DateTimeField(null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    met_note = models.TextField(blank=True)

    class Meta:
        ordering = ["set_at", "pk"]

    def __str__(self) -> str:
        return self.text


class ProposalTransitionQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The proposal audit trail cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The proposal audit trail cannot be deleted.")


class ProposalTransition(models.Model):
    """The audit trail: one row per state change, written in the same database
    transaction as the change. The database refuses UPDATE and DELETE on this table
    (a trigger, see the migration), so not even a bug or an admin can rewrite history."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="transitions")
    name = models.CharField("transition", max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Copied at the time, so the record stays true if the person later changes role or name.
    actor_name = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    proposal_version = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    objects = ProposalTransitionQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["proposal", "at"])]

    def __str__(self) -> str:
        return (
            f"{self.proposal_id}: {self.from_state or '-'} -> {self.to_state} by {self.actor_name}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The proposal audit trail cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The proposal audit trail cannot be deleted.")

    @property
    def from_state_label(self) -> str:
        return ProposalState(self.from_state).label if self.from_state else "New"

    @property
    def to_state_label(self) -> str:
        return ProposalState(self.to_state).label
