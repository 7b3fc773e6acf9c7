"""Read paths for the review and committee pages. Proposals come only from
``Proposal.objects.visible_to(user)`` (another region's proposal is a 404, as if it did not
exist); lists fetch what they show in a fixed number of queries."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from applications.models import (
    CommissioningModel,
    Cycle,
    DeadlineEvent,
    Proposal,
    ProposalCondition,
    ProposalEvent,
    ProposalPartner,
    ProposalState,
    Role,
)
from applications.models.proposals import (
    APPROVED_STATES,
    AWAITING_COMMITTEE_STATES,
    REVIEWABLE_STATES,
)
from applications.pagination import page_span
from applications.permissions import is_regional_reviewer
from applications.selectors import time_left

from .models import AgendaItem, CommitteeMeeting, ConflictOfInterest, Review, SignOffPack

S = ProposalState

# -- who may see which page -----------------------------------------------------------------


def is_reviewer(user: Any) -> bool:
    return getattr(user, "role", None) == Role.REGIONAL_REVIEWER


def is_secretary(user: Any) -> bool:
    return getattr(user, "role", None) == Role.COMMITTEE_SECRETARY


def is_national(user: Any) -> bool:
    return getattr(user, "role", None) == Role.NATIONAL_ADMIN


def sees_reviews(user: Any) -> bool:
    """NHS England people who read reviews, private notes included: the regional reviewers
    (their region, through visible_to), the committee secretary (delegated proposals from
    recommendation on) and the national programme team. Never CCG or area team staff."""
    return is_reviewer(user) or is_secretary(user) or is_national(user)


def sees_committee(user: Any) -> bool:
    return is_secretary(user) or is_national(user)


# -- the relevant deadline ------------------------------------------------------------------


@dataclass
class DueDate:
    label: str
    due_at: dt.datetime
    left: str
    passed: bool


def relevant_deadline(proposal: Proposal, now: dt.datetime | None = None) -> DueDate | None:
    """The date that matters next: the submission deadline while the CCG holds the pen, the
    committee's sign-off for a delegated proposal with NHS England, the go-live date for a
    joint one under review. None once decided. Reads the cycle's prefetched deadlines."""
    now = now or timezone.now()
    cycle = proposal.cycle
    if proposal.state in (S.DRAFT, S.CHANGES_REQUESTED):
        deadline = cycle.deadline(DeadlineEvent.PROPOSALS_DUE, proposal.model)
        label = "Submission deadline"
    elif proposal.model == CommissioningModel.DELEGATED and proposal.state in (
        *REVIEWABLE_STATES,
        S.UNDER_REVIEW,
        *AWAITING_COMMITTEE_STATES,
    ):
        deadline = cycle.deadline(DeadlineEvent.COMMITTEE_SIGN_OFF)
        label = "Committee sign-off"
    elif proposal.model == CommissioningModel.JOINT and proposal.state in (
        *REVIEWABLE_STATES,
        S.UNDER_REVIEW,
    ):
        deadline = cycle.deadline(DeadlineEvent.GO_LIVE)
        label = "Go-live"
    else:
        return None
    if deadline is None:
        return None
    return DueDate(label, deadline.due_at, time_left(deadline.due_at, now), now >= deadline.due_at)


def go_live_date(proposal: Proposal) -> dt.datetime | None:
    deadline = proposal.cycle.deadline(DeadlineEvent.GO_LIVE)
    return deadline.due_at if deadline else None


def ready_to_go_live(proposal: Proposal, conditions: list[ProposalCondition]) -> bool:
    """Approved, and every condition the committee set is met: the sweep switches it on at
    the go-live date."""
    return proposal.state in APPROVED_STATES and all(c.met_at is not None for c in conditions)


# -- the reviewer's queue -------------------------------------------------------------------


def standing_conflicts(user: Any) -> set[int]:
    """The CCGs this reviewer has declared an interest in (one query)."""
    if not is_reviewer(user):
        return set()
    return set(
        ConflictOfInterest.objects.filter(reviewer=user, ended_at__isnull=True).values_list(
            "ccg_id", flat=True
        )
    )


ACTIVE_FIRST = {
    S.SUBMITTED: 0,
    S.RESUBMITTED: 0,
    S.UNDER_REVIEW: 1,
    S.CHANGES_REQUESTED: 2,
    S.DRAFT: 3,
}


@dataclass
class QueueRow:
    proposal: Proposal
    partners: list[ProposalPartner]
    due: DueDate | None
    conflicted: bool
    action: str  # "start", "continue" or ""


QUEUE_PAGE_SIZE = 50


class _Ordering(NamedTuple):
    """What relevant_deadline reads of a proposal, without building a model instance for
    each of thousands of rows."""

    state: str
    model: str
    cycle: Any


@dataclass
class Queue:
    rows: list[QueueRow]
    total: int
    number: int  # the page shown (1-based), after clamping to the pages there are


def queue(user: Any, filters: dict[str, Any], page: int = 1) -> Queue:
    """The region's proposals for a reviewer (everything for the national team), filtered,
    things to do first, then by the nearest deadline; one page of them. The order needs each
    proposal's relevant deadline, so it is worked out from a narrow list of every matching
    proposal (one query), and only the page's proposals are read in full: a fixed number of
    queries, and rendering that does not grow with years of history."""
    proposals = Proposal.objects.visible_to(user)
    if filters.get("cycle"):
        proposals = proposals.filter(cycle_id=filters["cycle"])
    if filters.get("model"):
        proposals = proposals.filter(model=filters["model"])
    if filters.get("state"):
        proposals = proposals.filter(state=filters["state"])
    if filters.get("area_team"):
        proposals = proposals.filter(ccg__area_team_id=filters["area_team"])
    if filters.get("region"):
        proposals = proposals.filter(ccg__area_team__region_id=filters["region"])
    cycles = {
        c.pk: c
        for c in Cycle.objects.filter(pk__in=proposals.values("cycle_id")).prefetch_related(
            "deadlines"
        )
    }
    now = timezone.now()
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    order = []
    for pk, state, model, cycle_id, ccg_name, reference in proposals.values_list(
        "pk", "state", "model", "cycle_id", "ccg__name", "reference"
    ).order_by():
        due = relevant_deadline(_Ordering(state, model, cycles[cycle_id]), now)
        order.append(
            ((ACTIVE_FIRST.get(state, 9), due.due_at if due else far, ccg_name, reference), pk)
        )
    order.sort()
    number, _, start = page_span(len(order), QUEUE_PAGE_SIZE, page)
    shown = [pk for _, pk in order[start : start + QUEUE_PAGE_SIZE]]
    found = {
        p.pk: p
        for p in Proposal.objects.filter(pk__in=shown)
        .select_related("ccg__area_team")
        .prefetch_related(
            Prefetch("partner_links", queryset=ProposalPartner.objects.select_related("ccg"))
        )
    }
    conflicts = standing_conflicts(user)
    rows = []
    for pk in shown:
        proposal = found[pk]
        proposal.cycle = cycles[proposal.cycle_id]  # deadlines already prefetched
        partners = list(proposal.partner_links.all())
        conflicted = bool(conflicts & {proposal.ccg_id, *(p.ccg_id for p in partners)})
        action = ""
        if is_reviewer(user) and not conflicted:
            if proposal.state in REVIEWABLE_STATES:
                action = "start"
            elif proposal.state == S.UNDER_REVIEW:
                action = "continue"
        rows.append(
            QueueRow(proposal, partners, relevant_deadline(proposal, now), conflicted, action)
        )
    return Queue(rows=rows, total=len(order), number=number)


# -- one proposal's review ------------------------------------------------------------------


def proposal_for_review(user: Any, reference: str) -> Proposal:
    proposal = (
        Proposal.objects.visible_to(user)
        .select_related("cycle", "ccg__area_team__region")
        .prefetch_related("cycle__deadlines")
        .filter(reference=reference)
        .first()
    )
    if proposal is None:
        raise Http404("No such proposal")
    return proposal


@dataclass
class HistoryEntry:
    at: dt.datetime
    what: str
    detail: str
    who: str


def history(proposal: Proposal, transitions: list, events: list) -> list[HistoryEntry]:
    """Transitions and events together, oldest first."""
    entries = [
        HistoryEntry(t.at, t.to_state_label if t.from_state else "Started", t.reason, t.actor_name)
        for t in transitions
    ]
    entries += [HistoryEntry(e.at, e.get_kind_display(), e.detail, e.actor_name) for e in events]
    entries.sort(key=lambda e: e.at)
    return entries


@dataclass
class ReviewPage:
    proposal: Proposal
    reviews: list[Review]
    open_review: Review | None
    conflicted: bool
    may_act: bool
    conditions: list[ProposalCondition]
    agenda_items: list[AgendaItem]
    letters: list = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)


def review_page(user: Any, proposal: Proposal, transitions: list | None = None) -> ReviewPage:
    """Everything about a proposal's review. `transitions`: its audit rows, oldest first,
    when the caller has them already (applications.selectors.overview reads them)."""
    from .services import has_conflict

    reviews = list(proposal.reviews.select_related("reviewer").order_by("-round"))
    open_review = reviews[0] if reviews and reviews[0].completed_at is None else None
    for review in reviews:
        review.proposal = proposal
    conflicted = is_reviewer(user) and has_conflict(user, proposal)
    events = list(
        ProposalEvent.objects.filter(proposal=proposal)
        .exclude(kind=ProposalEvent.Kind.REMINDER_SENT)
        .order_by("at", "pk")
    )
    if transitions is None:
        transitions = list(proposal.transitions.order_by("at", "pk"))
    return ReviewPage(
        proposal=proposal,
        reviews=reviews,
        open_review=open_review,
        conflicted=conflicted,
        may_act=is_regional_reviewer(proposal, user) and not conflicted,
        conditions=list(proposal.conditions.select_related("met_by").order_by("pk")),
        agenda_items=list(
            proposal.agenda_items.select_related("meeting", "decided_by").order_by(
                "meeting__meets_at"
            )
        ),
        letters=list(proposal.decision_letters.order_by("-generated_at")),
        history=history(proposal, transitions, events),
    )


# -- the committee --------------------------------------------------------------------------


def meetings() -> list[CommitteeMeeting]:
    from django.db.models import Count, Q

    return list(
        CommitteeMeeting.objects.select_related("cycle")
        .annotate(
            item_count=Count("items", distinct=True),
            decided_count=Count("items", filter=~Q(items__decision=""), distinct=True),
        )
        .order_by("-meets_at")
    )


def meeting_or_404(pk: int) -> CommitteeMeeting:
    meeting = CommitteeMeeting.objects.select_related("cycle").filter(pk=pk).first()
    if meeting is None:
        raise Http404("No such meeting")
    return meeting


def agenda(meeting: CommitteeMeeting) -> list[AgendaItem]:
    items = list(
        meeting.items.select_related(
            "proposal__ccg__area_team__region", "proposal__cycle", "decided_by"
        )
        .prefetch_related(
            "proposal__cycle__deadlines",
            Prefetch(
                "proposal__conditions",
                queryset=ProposalCondition.objects.select_related("met_by").order_by("pk"),
            ),
            Prefetch("proposal__reviews", queryset=Review.objects.order_by("-round")),
            "letters",
        )
        .order_by("position")
    )
    for item in items:
        proposal = item.proposal
        item.conditions = list(proposal.conditions.all())
        reviews = list(proposal.reviews.all())
        item.review = reviews[0] if reviews else None
        item.ready = ready_to_go_live(proposal, item.conditions)
        item.go_live_at = go_live_date(proposal)
        item.open_conditions = [c for c in item.conditions if c.met_at is None]
    return items


def awaiting_committee(user: Any, meeting: CommitteeMeeting) -> list[Proposal]:
    """Proposals the region has recommended (or not), or the committee deferred (at another
    meeting), that are on no agenda still to be decided: the secretary's list to add from."""
    on_an_agenda = AgendaItem.objects.filter(decision="").values("proposal_id")
    return list(
        Proposal.objects.visible_to(user)
        .filter(model=CommissioningModel.DELEGATED, state__in=AWAITING_COMMITTEE_STATES)
        .exclude(pk__in=on_an_agenda)
        .exclude(pk__in=meeting.items.values("proposal_id"))  # deferred here: a later meeting
        .select_related("ccg__area_team__region", "cycle")
        .order_by("cycle__starts_on", "ccg__name")
    )


def packs_of(meeting: CommitteeMeeting) -> list[SignOffPack]:
    return list(meeting.packs.select_related("requested_by").order_by("-requested_at", "-pk"))


PACK_IN_PROGRESS = (SignOffPack.Status.QUEUED, SignOffPack.Status.GENERATING)
