"""Regional review and Commissioning Committee write paths. The state machine itself lives
on applications.Proposal; these functions add the assurance, agenda and paperwork around
each transition, in the same transaction."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from applications.errors import InvalidProposal, NotPermitted, ProposalChanged, TransitionRefused
from applications.models import Cycle, Proposal, ProposalCondition, ProposalEvent, Role, User
from applications.models.proposals import AWAITING_COMMITTEE_STATES
from applications.outbox import enqueue_task
from applications.permissions import is_committee_secretary, is_regional_reviewer
from applications.services import perform_transition, record_event, require_text

from .models import (
    AgendaItem,
    Checklist,
    CommitteeMeeting,
    ConflictOfInterest,
    Decision,
    MeetingRecord,
    Review,
    SignOffPack,
)

# -- conflicts of interest ----------------------------------------------------------------


def has_conflict(reviewer: User, proposal: Proposal) -> bool:
    ccg_ids = {proposal.ccg_id, *proposal.partner_links.values_list("ccg_id", flat=True)}
    return ConflictOfInterest.objects.filter(
        reviewer=reviewer, ccg_id__in=ccg_ids, ended_at__isnull=True
    ).exists()


def _ensure_may_review(proposal: Proposal, by: User) -> None:
    if not is_regional_reviewer(proposal, by):
        raise NotPermitted("Only a reviewer in the CCG's regional office can review this proposal.")
    if has_conflict(by, proposal):
        raise NotPermitted(
            f"You have declared an interest in {proposal.ccg} (or a partner CCG), so you "
            "cannot review this proposal. Ask another reviewer in your region."
        )


def declare_conflict(*, reviewer: User, ccg, description: str) -> ConflictOfInterest:
    if reviewer.role != Role.REGIONAL_REVIEWER:
        raise InvalidProposal("Only regional reviewers declare interests here.")
    description = require_text(description, "the interest")
    try:
        with transaction.atomic():
            return ConflictOfInterest.objects.create(
                reviewer=reviewer, ccg=ccg, description=description
            )
    except IntegrityError:  # one standing declaration per reviewer and CCG
        raise InvalidProposal(f"You have already declared an interest in {ccg}.") from None


# -- review -------------------------------------------------------------------------------


def current_review(proposal: Proposal) -> Review | None:
    return proposal.reviews.order_by("-round").first()


def start_review(*, proposal: Proposal, by: User, expected_version: int | None = None) -> Review:
    _ensure_may_review(proposal, by)
    with transaction.atomic():
        started = perform_transition(
            proposal=proposal, transition="start_review", by=by, expected_version=expected_version
        )
        last = started.reviews.aggregate(last=Max("round"))["last"] or 0
        return Review.objects.create(
            proposal=started, round=last + 1, reviewer=by, proposal_version=started.version
        )


REVIEW_FIELDS = (
    *Review.CHECKLIST_FIELDS,
    "comments",
    "private_notes",
    "recommendation",
    "proposed_conditions",
)


def save_review(
    *, review: Review, by: User, answers: dict, expected_version: int | None = None
) -> Review:
    """Save the checklist and notes as a draft; nothing is decided until an action."""
    with transaction.atomic():
        # The proposal first, then the review: the order every decision takes its locks in
        # (locking both in one join deadlocked against a decision made at the same moment).
        proposal = (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("ccg__area_team")
            .get(pk=review.proposal_id)
        )
        review = Review.objects.select_for_update().get(pk=review.pk)
        review.proposal = proposal
        _ensure_may_review(proposal, by)
        if expected_version is not None and proposal.version != expected_version:
            raise ProposalChanged(
                f"{proposal.reference} was changed by someone else while you were looking at it "
                f"(it is now {proposal.get_state_display().lower()}). Your changes were not "
                "saved: check it and try again."
            )
        if review.completed_at is not None:
            raise TransitionRefused("This review is finished; a resubmission starts a new one.")
        for name in REVIEW_FIELDS:
            if name in answers:
                value = answers[name] or ""
                if name in Review.CHECKLIST_FIELDS and value not in {"", *Checklist.values}:
                    raise InvalidProposal("Answer each check with yes, no or not applicable.")
                setattr(review, name, value.strip() if isinstance(value, str) else value)
        review.reviewer = by
        review.save()
    return review


def assurance_problems(review: Review) -> list[str]:
    """What stops a positive recommendation or an approval: every check answered, none
    failed, and the checks that depend on the proposal answered as they must be."""
    proposal = review.proposal
    problems = [f"Answer '{name}'." for name in review.unanswered()]
    failed = [
        review._meta.get_field(name).verbose_name
        for name in Review.CHECKLIST_FIELDS
        if getattr(review, name) == Checklist.NO
    ]
    problems += [f"'{name}' is answered no." for name in failed]
    pooled = (proposal.pro_forma.get("pooled_budget") or {}).get("pooled_budget") == "yes"
    if pooled and review.pooled_budget_compliant == Checklist.NOT_APPLICABLE:
        problems.append(
            "The proposal pools a budget: confirm it complies with financial instructions."
        )
    if proposal.ccg.in_special_measures and review.special_measures_risk_accepted != Checklist.YES:
        problems.append(
            f"{proposal.ccg} is in special measures: the risk must be explicitly accepted."
        )
    return problems


def _finish(review: Review, outcome: str) -> None:
    review.outcome = outcome
    review.completed_at = timezone.now()
    review.save(update_fields=["outcome", "completed_at"])


def _decide(
    *,
    proposal: Proposal,
    by: User,
    transition: str,
    reason: str,
    needs_assurance: bool,
    expected_version: int | None,
) -> Proposal:
    _ensure_may_review(proposal, by)
    with transaction.atomic():
        # Lock first and compare versions before anything else, so a page that is out of
        # date is told so (not that the review is finished) whoever got there first.
        locked = Proposal.objects.select_for_update(of=("self",)).get(pk=proposal.pk)
        if expected_version is not None and locked.version != expected_version:
            raise ProposalChanged(
                f"{locked.reference} was changed by someone else while you were looking at it "
                f"(it is now {locked.get_state_display().lower()}). Check it and try again."
            )
        review = current_review(proposal)
        if review is None or review.completed_at is not None:
            raise TransitionRefused("Start the review before deciding on it.")
        if needs_assurance:
            problems = assurance_problems(review)
            if problems:
                raise TransitionRefused(" ".join(problems), unmet=problems)
        decided = perform_transition(
            proposal=proposal,
            transition=transition,
            by=by,
            reason=reason,
            expected_version=expected_version,
        )
        _finish(review, transition)
    return decided


def request_changes(
    *, proposal: Proposal, by: User, comments: str, expected_version: int | None = None
) -> Proposal:
    comments = require_text(comments, "the changes you are asking the CCG to make")
    with transaction.atomic():
        decided = _decide(
            proposal=proposal,
            by=by,
            transition="request_changes",
            reason=comments,
            needs_assurance=False,
            expected_version=expected_version,
        )
        # The comments sent are the review's comments for the CCG (the same words as the
        # transition's reason, which the CCG's proposal page shows).
        review = current_review(decided)
        Review.objects.filter(pk=review.pk).update(comments=comments)
        return decided


def approve_joint_proposal(
    *, proposal: Proposal, by: User, comments: str = "", expected_version: int | None = None
) -> Proposal:
    return _decide(
        proposal=proposal,
        by=by,
        transition="approve_joint",
        reason=comments.strip(),
        needs_assurance=True,
        expected_version=expected_version,
    )


def not_approve_proposal(
    *, proposal: Proposal, by: User, reason: str, expected_version: int | None = None
) -> Proposal:
    return _decide(
        proposal=proposal,
        by=by,
        transition="not_approve",
        reason=require_text(reason, "the reason the proposal is not approved"),
        needs_assurance=False,
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
    return _decide(
        proposal=proposal,
        by=by,
        transition="recommend" if recommend else "not_recommend",
        reason=comments.strip()
        if recommend
        else require_text(comments, "why you do not recommend it"),
        needs_assurance=recommend,
        expected_version=expected_version,
    )


# -- the Commissioning Committee ----------------------------------------------------------


def _ensure_secretary(by: User) -> None:
    if not is_committee_secretary(None, by):
        raise NotPermitted("Only the Commissioning Committee secretary can do this.")


def _log(meeting: CommitteeMeeting, action: str, by: User, proposal=None, detail="") -> None:
    MeetingRecord.objects.create(
        meeting=meeting,
        proposal=proposal,
        action=action,
        actor=by,
        actor_name=by.get_full_name() or by.get_username(),
        detail=detail,
    )


def create_meeting(
    *,
    cycle: Cycle,
    meets_at: datetime,
    by: User,
    title: str = "",
    location: str = "",
    members: str = "",
) -> CommitteeMeeting:
    _ensure_secretary(by)
    with transaction.atomic():
        meeting = CommitteeMeeting.objects.create(
            cycle=cycle,
            meets_at=meets_at,
            title=title.strip() or "NHS England Commissioning Committee",
            location=location.strip(),
            members=members.strip(),
            created_by=by,
        )
        _log(meeting, "created the meeting", by)
    return meeting


def add_to_agenda(*, meeting: CommitteeMeeting, proposal: Proposal, by: User) -> AgendaItem:
    _ensure_secretary(by)
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state not in AWAITING_COMMITTEE_STATES:
            raise TransitionRefused(
                f"{proposal.reference} is {proposal.get_state_display().lower()}: only proposals "
                "the region has recommended (or not) can go on the committee's agenda."
            )
        if (
            AgendaItem.objects.filter(proposal=proposal, decision="")
            .exclude(meeting=meeting)
            .exists()
        ):
            raise InvalidProposal(f"{proposal.reference} is already on another meeting's agenda.")
        if meeting.items.filter(proposal=proposal).exists():
            raise InvalidProposal(f"{proposal.reference} is already on this agenda.")
        position = (meeting.items.aggregate(last=Max("position"))["last"] or 0) + 1
        item = AgendaItem.objects.create(
            meeting=meeting, proposal=proposal, position=position, added_by=by
        )
        _log(meeting, "added to the agenda", by, proposal)
    return item


def remove_from_agenda(*, item: AgendaItem, by: User) -> None:
    _ensure_secretary(by)
    with transaction.atomic():
        item = AgendaItem.objects.select_for_update().get(pk=item.pk)
        if item.decision:
            raise InvalidProposal(
                "A decided item stays on the agenda as the record of the meeting."
            )
        meeting, proposal = item.meeting, item.proposal
        item.delete()
        _renumber(meeting)
        _log(meeting, "removed from the agenda", by, proposal)


def _renumber(meeting: CommitteeMeeting) -> None:
    items = list(meeting.items.order_by("position", "pk"))
    for index, item in enumerate(items, start=1):
        item.position = index
    AgendaItem.objects.bulk_update(items, ["position"])


def move_agenda_item(*, item: AgendaItem, by: User, offset: int) -> None:
    """Move an item up (offset -1) or down (+1) the agenda."""
    _ensure_secretary(by)
    with transaction.atomic():
        meeting = CommitteeMeeting.objects.select_for_update().get(pk=item.meeting_id)
        items = list(meeting.items.order_by("position", "pk"))
        index = next(i for i, candidate in enumerate(items) if candidate.pk == item.pk)
        target = index + offset
        if not 0 <= target < len(items):
            return
        items[index], items[target] = items[target], items[index]
        for position, candidate in enumerate(items, start=1):
            candidate.position = position
        AgendaItem.objects.bulk_update(items, ["position"])
        _log(meeting, "moved up" if offset < 0 else "moved down", by, item.proposal)


COMMITTEE_TRANSITIONS = {
    Decision.APPROVED: "committee_approve",
    Decision.APPROVED_WITH_CONDITIONS: "committee_approve_with_conditions",
    Decision.DEFERRED: "committee_defer",
    Decision.DECLINED: "committee_decline",
}


def record_committee_decision(
    *,
    proposal: Proposal,
    by: User,
    decision: str,
    conditions: Iterable[str] = (),
    minute: str = "",
    item: AgendaItem | None = None,
) -> Proposal:
    """Record the committee's decision on one proposal: the transition, its conditions, the
    agenda item and the decision letter's generation, in one transaction."""
    if decision not in COMMITTEE_TRANSITIONS:
        raise InvalidProposal("Choose approved, approved with conditions, deferred or declined.")
    conditions = [c.strip() for c in conditions if c and c.strip()]
    if decision == Decision.APPROVED_WITH_CONDITIONS and not conditions:
        raise InvalidProposal("Enter at least one condition.")
    if decision != Decision.APPROVED_WITH_CONDITIONS and conditions:
        raise InvalidProposal("Conditions go only with 'approved with conditions'.")
    with transaction.atomic():
        if item is not None:
            item = (
                AgendaItem.objects.select_for_update(of=("self",))
                .select_related("meeting")
                .get(pk=item.pk)
            )
            if item.proposal_id != proposal.pk:
                raise InvalidProposal("That agenda item is for another proposal.")
            if item.decision:
                # A second press of the button, or a second tab: the first decision stands.
                raise InvalidProposal(
                    f"The decision on item {item.position} is already recorded: "
                    f"{item.get_decision_display().lower()}."
                )
        for text in conditions:
            ProposalCondition.objects.create(proposal=proposal, text=text, set_by=by)
        decided = perform_transition(
            proposal=proposal,
            transition=COMMITTEE_TRANSITIONS[decision],
            by=by,
            reason=minute.strip(),
        )
        if item is not None:
            item.decision = decision
            item.minute = minute.strip()
            item.decided_at = timezone.now()
            item.decided_by = by
            item.save(update_fields=["decision", "minute", "decided_at", "decided_by"])
            _log(
                item.meeting,
                f"recorded the decision: {Decision(decision).label.lower()}",
                by,
                decided,
            )
        if decision != Decision.DEFERRED:
            enqueue_task(
                key=f"letter:{decided.pk}:{decided.version}",
                task="approvals.generate_decision_letter",
                kwargs={"proposal_id": decided.pk, "item_id": item.pk if item else None},
            )
    return decided


def record_item_decisions(
    *, items: Sequence[AgendaItem], by: User, decision: str, minute: str = ""
) -> list[Proposal]:
    """The same decision for several items at once: all of them or none."""
    if not items:
        raise InvalidProposal("Select at least one item.")
    if decision == Decision.APPROVED_WITH_CONDITIONS:
        raise InvalidProposal("Conditions differ per proposal: record those one at a time.")
    with transaction.atomic():
        return [
            record_committee_decision(
                proposal=item.proposal, by=by, decision=decision, minute=minute, item=item
            )
            for item in items
        ]


def record_condition_met(*, condition: ProposalCondition, by: User, note: str) -> ProposalCondition:
    with transaction.atomic():
        locked = (
            ProposalCondition.objects.select_for_update()
            .select_related("proposal")
            .get(pk=condition.pk)
        )
        if not is_committee_secretary(locked.proposal, by):
            raise NotPermitted("Only the committee secretary can record that a condition is met.")
        if locked.met_at is not None:
            raise InvalidProposal("This condition is already recorded as met.")
        locked.met_at = timezone.now()
        locked.met_by = by
        locked.met_note = require_text(note, "how the condition was met")
        locked.save()
        Proposal.objects.filter(pk=locked.proposal_id).update(version=locked.proposal.version + 1)
        record_event(
            proposal=locked.proposal,
            kind=ProposalEvent.Kind.CONDITION_MET,
            by=by,
            detail=f"{locked.text} — {locked.met_note}",
            data={"condition": locked.pk},
        )
    return locked


# -- sign-off packs -----------------------------------------------------------------------


# A pack still queued or generating after this long is taken to be stuck (a worker died
# mid-way): asking again queues a new one.
PACK_STUCK_AFTER = timedelta(minutes=10)


def request_sign_off_pack(*, meeting: CommitteeMeeting, by: User | None) -> SignOffPack:
    """Queue a pack; a worker builds it. `by` is None when the deadline sweep asks."""
    if by is not None:
        _ensure_secretary(by)
    with transaction.atomic():
        # One pack in the making at a time: a double click (or the sweep and the secretary
        # together) gets the pack already queued.
        CommitteeMeeting.objects.select_for_update().filter(pk=meeting.pk).first()
        in_progress = meeting.packs.filter(
            status__in=[SignOffPack.Status.QUEUED, SignOffPack.Status.GENERATING],
            requested_at__gte=timezone.now() - PACK_STUCK_AFTER,
        ).first()
        if in_progress is not None:
            return in_progress
        pack = SignOffPack.objects.create(meeting=meeting, requested_by=by)
        enqueue_task(
            key=f"pack:{pack.pk}",
            task="approvals.generate_sign_off_pack",
            kwargs={"pack_id": pack.pk},
        )
        if by is not None:
            _log(meeting, "asked for a sign-off pack", by)
    return pack
