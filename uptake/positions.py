"""Where each CCG stands: its position in a cycle (for the dashboard) and its current
arrangement (for the public register). Both are SQL expressions to annotate a CCG queryset
with, so every figure built on them is computed by the database in one query, whatever the
number of CCGs and proposals.

A CCG takes part in a proposal as its lead CCG or as a partner in a joint proposal; both
count (a partner is covered by the joint committee as much as the lead is).

Position in a cycle (see docs/uptake.md):
- the CCG's proposals for the cycle, and its arrangements agreed in earlier cycles (they stay
  in force), are the candidates;
- the one that counts is the highest level still in play (in progress, agreed or live), so a
  CCG moving up from joint to delegated counts as delegated while its proposal is reviewed;
- if none is in play, the latest proposal for the cycle that ended without an arrangement
  (withdrawn, not approved, declined, closed at the deadline) makes the CCG "none";
- with no proposal at all the CCG has "not yet decided".

Current arrangement (the register): the highest-level agreed or live arrangement, exactly
as `applications.services.current_arrangement` chooses a lead CCG's.

Both are worked out in Python from two queries that read each proposal and each partner
once (`positions_in`, `highest_arrangements`): the rules pick one proposal per CCG by an ordering,
which as correlated SQL subqueries cost CCGs x proposals (seconds at 211 CCGs and three
years; ADR 0006).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet

from applications.models import CommissioningModel, Cycle, Proposal, ProposalPartner, ProposalState
from applications.models.proposals import ARRANGEMENT_STATES, IN_FLIGHT_STATES

S = ProposalState
M = CommissioningModel

IN_PLAY_STATES = (*IN_FLIGHT_STATES, *ARRANGEMENT_STATES)
ENDED_STATES = (S.WITHDRAWN, S.NOT_APPROVED, S.DECLINED, S.LAPSED)
# Every state is exactly one of these (tests/uptake/test_positions.py checks it), so a new
# state must be placed before it can be counted.


class Category(models.TextChoices):
    """A CCG's position by model, the way the January 2015 survey counted CCGs."""

    DELEGATED = M.DELEGATED.value, "Delegated commissioning"
    JOINT = M.JOINT.value, "Joint commissioning"
    GREATER_INVOLVEMENT = M.GREATER_INVOLVEMENT.value, "Greater involvement"
    NONE = "none", "None"
    NOT_DECIDED = "not_decided", "Not yet decided"


CATEGORY_HINTS = {
    Category.DELEGATED: "",
    Category.JOINT: "",
    Category.GREATER_INVOLVEMENT: "",
    Category.NONE: "Proposals for the year ended without an arrangement",
    Category.NOT_DECIDED: "No proposal yet",
}

NO_PROPOSAL = "no_proposal"


class Stage(models.TextChoices):
    """States grouped for tables with one column each."""

    NO_PROPOSAL = "no_proposal", "No proposal"
    DRAFT = "draft", "Draft"
    WITH_NHS_ENGLAND = "with_nhs_england", "With NHS England"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    AGREED = "agreed", "Agreed or recorded"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


STAGE_STATES = {
    Stage.DRAFT: (S.DRAFT,),
    Stage.WITH_NHS_ENGLAND: (
        S.SUBMITTED,
        S.UNDER_REVIEW,
        S.RESUBMITTED,
        S.RECOMMENDED,
        S.NOT_RECOMMENDED,
        S.DEFERRED,
    ),
    Stage.CHANGES_REQUESTED: (S.CHANGES_REQUESTED,),
    Stage.AGREED: (S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.RECORDED),
    Stage.LIVE: (S.LIVE,),
    Stage.ENDED: ENDED_STATES,
}

# The order states are listed in: the way a proposal moves, then the ways it can end.
STATE_ORDER = [NO_PROPOSAL, *[s for states in STAGE_STATES.values() for s in states]]


def state_label(state: str) -> str:
    return "No proposal" if state == NO_PROPOSAL else ProposalState(state).label


def stage_of(state: str) -> str:
    for stage, states in STAGE_STATES.items():
        if state in states:
            return stage
    return Stage.NO_PROPOSAL


LEVELS = {M.DELEGATED: 3, M.JOINT: 2, M.GREATER_INVOLVEMENT: 1}


@dataclass(frozen=True)
class Candidate:
    """A proposal as the position and arrangement rules see it."""

    pk: int
    cycle_id: int
    model: str
    state: str
    starts_on: dt.date
    created_at: dt.datetime

    @property
    def level(self) -> int:
        return LEVELS.get(self.model, 1)

    @property
    def in_play(self) -> int:
        return 1 if self.state in IN_PLAY_STATES else 0

    @property
    def category(self) -> str:
        return self.model if self.state in IN_PLAY_STATES else Category.NONE.value

    @property
    def stage(self) -> str:
        return stage_of(self.state)


def _involving(ccgs: QuerySet | None) -> Q:
    """Proposals these CCGs lead or are partners in (every proposal for None)."""
    if ccgs is None:
        return Q()
    ids = ccgs.values("pk")
    as_partner = ProposalPartner.objects.filter(ccg_id__in=ids).values("proposal_id")
    return Q(ccg_id__in=ids) | Q(pk__in=as_partner)


def _by_ccg(proposals: QuerySet) -> dict[int, list[Candidate]]:
    """Each CCG's candidates among these proposals, as lead or as partner: two queries, one
    row per proposal and one per partner, so the work grows with the proposals, never with
    CCGs times proposals."""
    found: dict[int, list[Candidate]] = defaultdict(list)
    leads: dict[int, Candidate] = {}
    for pk, ccg_id, cycle_id, model, state, starts_on, created_at in proposals.values_list(
        "pk", "ccg_id", "cycle_id", "model", "state", "cycle__starts_on", "created_at"
    ).order_by():
        candidate = Candidate(pk, cycle_id, model, state, starts_on, created_at)
        leads[pk] = candidate
        found[ccg_id].append(candidate)
    partners = ProposalPartner.objects.filter(proposal_id__in=proposals.values("pk")).values_list(
        "proposal_id", "ccg_id"
    )
    for proposal_id, ccg_id in partners.order_by():
        if proposal_id in leads:
            found[ccg_id].append(leads[proposal_id])
    return found


def _position_key(candidate: Candidate) -> tuple:
    return (
        candidate.in_play,
        candidate.level,
        candidate.starts_on,
        candidate.created_at,
        candidate.pk,
    )


def positions_in(cycle: Cycle, ccgs: QuerySet | None = None) -> dict[int, Candidate]:
    """Each CCG's position in the cycle (by CCG id; a CCG with no candidate is missing:
    it has not yet decided). ``ccgs`` limits the work to those CCGs."""
    proposals = Proposal.objects.filter(_involving(ccgs)).filter(
        Q(cycle_id=cycle.pk) | Q(cycle__starts_on__lt=cycle.starts_on, state__in=ARRANGEMENT_STATES)
    )
    return {
        ccg_id: max(candidates, key=_position_key)
        for ccg_id, candidates in _by_ccg(proposals).items()
    }


def _arrangement_key(candidate: Candidate) -> tuple:
    return (candidate.level, candidate.created_at, candidate.pk)


def highest_arrangements(
    until: Cycle | None = None, ccgs: QuerySet | None = None
) -> dict[int, Candidate]:
    """Each CCG's highest agreed or live arrangement (in cycles up to ``until``), by CCG
    id; a CCG with none is missing."""
    proposals = Proposal.objects.filter(_involving(ccgs), state__in=ARRANGEMENT_STATES)
    if until is not None:
        proposals = proposals.filter(cycle__starts_on__lte=until.starts_on)
    return {
        ccg_id: max(candidates, key=_arrangement_key)
        for ccg_id, candidates in _by_ccg(proposals).items()
    }


def category_of(position: Candidate | None) -> str:
    return position.category if position is not None else Category.NOT_DECIDED.value


def state_of(position: Candidate | None) -> str:
    return position.state if position is not None else NO_PROPOSAL
