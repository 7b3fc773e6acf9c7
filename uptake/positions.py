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
"""

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

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


LEVEL = Case(
    When(model=M.DELEGATED, then=Value(3)),
    When(model=M.JOINT, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)


def _involving_outer_ccg() -> Q:
    """Proposals the CCG of the enclosing query leads or is a partner in."""
    as_partner = ProposalPartner.objects.filter(
        proposal_id=OuterRef("pk"), ccg_id=OuterRef(OuterRef("pk"))
    )
    return Q(ccg_id=OuterRef("pk")) | Q(Exists(as_partner))


def position_candidates(cycle: Cycle) -> QuerySet:
    """The outer CCG's proposals that can be its position in the cycle, best first."""
    return (
        Proposal.objects.filter(_involving_outer_ccg())
        .filter(
            Q(cycle_id=cycle.pk)
            | Q(cycle__starts_on__lt=cycle.starts_on, state__in=ARRANGEMENT_STATES)
        )
        .annotate(
            in_play=Case(
                When(state__in=IN_PLAY_STATES, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            level=LEVEL,
        )
        .order_by("-in_play", "-level", "-cycle__starts_on", "-created_at", "-pk")
    )


def _first(candidates: QuerySet, expression, default: str) -> Coalesce:
    value = Subquery(candidates.annotate(value=expression).values("value")[:1])
    return Coalesce(value, Value(default), output_field=CharField())


def category_in(cycle: Cycle) -> Coalesce:
    """The CCG's Category in the cycle, as an expression on a CCG queryset."""
    return _first(
        position_candidates(cycle),
        Case(
            When(state__in=IN_PLAY_STATES, then=F("model")),
            default=Value(Category.NONE.value),
            output_field=CharField(),
        ),
        Category.NOT_DECIDED,
    )


def state_in(cycle: Cycle) -> Coalesce:
    """The state of the proposal that is the CCG's position, or 'no_proposal'."""
    return _first(position_candidates(cycle), F("state"), NO_PROPOSAL)


def _stage_case() -> Case:
    return Case(
        *[
            When(state__in=states, then=Value(stage.value))
            for stage, states in STAGE_STATES.items()
        ],
        output_field=CharField(),
    )


def stage_in(cycle: Cycle) -> Coalesce:
    return _first(position_candidates(cycle), _stage_case(), Stage.NO_PROPOSAL)


def position_id_in(cycle: Cycle) -> Subquery:
    return Subquery(position_candidates(cycle).values("pk")[:1])


def arrangement_candidates(until: Cycle | None = None) -> QuerySet:
    """The outer CCG's agreed or live arrangements, highest level first (then newest)."""
    candidates = Proposal.objects.filter(_involving_outer_ccg(), state__in=ARRANGEMENT_STATES)
    if until is not None:
        candidates = candidates.filter(cycle__starts_on__lte=until.starts_on)
    return candidates.annotate(level=LEVEL).order_by("-level", "-created_at", "-pk")


def arrangement_id(until: Cycle | None = None) -> Subquery:
    return Subquery(arrangement_candidates(until).values("pk")[:1])


def arrangement_model(until: Cycle | None = None) -> Coalesce:
    return _first(arrangement_candidates(until), F("model"), Category.NONE)
