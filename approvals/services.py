"""Regional review and Commissioning Committee decisions. The state machine itself lives
on applications.Proposal; these are the write paths reviewers and the secretary use."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from applications.errors import InvalidProposal, NotPermitted
from applications.models import Proposal, ProposalCondition, User
from applications.permissions import is_committee_secretary
from applications.services import perform_transition


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidProposal(f"Enter {what}.")
    return text


def start_review(*, proposal: Proposal, by: User) -> Proposal:
    return perform_transition(proposal=proposal, transition="start_review", by=by)


def request_changes(
    *, proposal: Proposal, by: User, comments: str, expected_version: int | None = None
) -> Proposal:
    return perform_transition(
        proposal=proposal,
        transition="request_changes",
        by=by,
        reason=_reason(comments, "the changes you are asking the CCG to make"),
        expected_version=expected_version,
    )


def approve_joint_proposal(
    *, proposal: Proposal, by: User, comments: str = "", expected_version: int | None = None
) -> Proposal:
    return perform_transition(
        proposal=proposal,
        transition="approve_joint",
        by=by,
        reason=comments.strip(),
        expected_version=expected_version,
    )


def not_approve_proposal(
    *, proposal: Proposal, by: User, reason: str, expected_version: int | None = None
) -> Proposal:
    return perform_transition(
        proposal=proposal,
        transition="not_approve",
        by=by,
        reason=_reason(reason, "the reason the proposal is not approved"),
        expected_version=expected_version,
    )


def recommend_to_committee(
    *,
    proposal: Proposal,
    by: User,
    recommend: bool,
    comments: str = "",
    expected_version: int | None = None,
) -> Proposal:
    return perform_transition(
        proposal=proposal,
        transition="recommend" if recommend else "not_recommend",
        by=by,
        reason=comments.strip() if recommend else _reason(comments, "why you do not recommend it"),
        expected_version=expected_version,
    )


COMMITTEE_DECISIONS = {
    "approved": "committee_approve",
    "approved_with_conditions": "committee_approve_with_conditions",
    "deferred": "committee_defer",
    "declined": "committee_decline",
}


def record_committee_decision(
    *,
    proposal: Proposal,
    by: User,
    decision: str,
    conditions: Iterable[str] = (),
    minute: str = "",
) -> Proposal:
    """Record the committee's decision on one item. Conditions are written in the same
    transaction as the decision, so an approval with conditions never exists without them."""
    if decision not in COMMITTEE_DECISIONS:
        raise InvalidProposal("Choose approved, approved with conditions, deferred or declined.")
    conditions = [c.strip() for c in conditions if c and c.strip()]
    if decision == "approved_with_conditions" and not conditions:
        raise InvalidProposal("Enter at least one condition.")
    if decision != "approved_with_conditions" and conditions:
        raise InvalidProposal("Conditions go only with 'approved with conditions'.")
    with transaction.atomic():
        for text in conditions:
            ProposalCondition.objects.create(proposal=proposal, text=text, set_by=by)
        return perform_transition(
            proposal=proposal,
            transition=COMMITTEE_DECISIONS[decision],
            by=by,
            reason=minute.strip(),
        )


def record_condition_met(*, condition: ProposalCondition, by: User, note: str) -> ProposalCondition:
    with transaction.atomic():
        locked = ProposalCondition.objects.select_for_update().get(pk=condition.pk)
        if not is_committee_secretary(locked.proposal, by):
            raise NotPermitted("Only the committee secretary can record that a condition is met.")
        if locked.met_at is not None:
            raise InvalidProposal("This condition is already recorded as met.")
        locked.met_at = timezone.now()
        locked.met_by = by
        locked.met_note = _reason(note, "how the condition was met")
        locked.save()
    return locked
