"""The transition table: every (state, transition, actor) combination is either allowed as
the domain specifies or refused, with the state, version and audit trail unchanged."""

import pytest
import time_machine

from applications.errors import ProposalError
from applications.models import Proposal, ProposalCondition, ProposalPartner, ProposalState
from applications.permissions import SYSTEM
from applications.services import create_proposal, perform_transition
from tests.factories import complete_pro_forma, london

GI, JOINT, DELEGATED = "greater_involvement", "joint", "delegated"
BEFORE_DECISION = {
    "draft",
    "submitted",
    "under_review",
    "changes_requested",
    "resubmitted",
    "recommended",
    "not_recommended",
    "deferred",
}
AT_COMMITTEE = {"recommended", "not_recommended", "deferred"}
REVIEWER = {"regional_reviewer"}
SECRETARY = {"committee_secretary"}

# Written from the domain description, independently of the model's decorators:
# transition -> (source states, target state, who may, which models).
SPEC = {
    "record": ({"draft"}, "recorded", {"lead_ccg_staff", "area_team_staff"}, {GI}),
    "submit": ({"draft"}, "submitted", {"lead_ccg_staff"}, {JOINT, DELEGATED}),
    "resubmit": ({"changes_requested"}, "resubmitted", {"lead_ccg_staff"}, {JOINT, DELEGATED}),
    "withdraw": (BEFORE_DECISION, "withdrawn", {"lead_ccg_staff"}, {GI, JOINT, DELEGATED}),
    "lapse": ({"draft"}, "lapsed", {"system"}, {JOINT, DELEGATED}),
    "start_review": ({"submitted", "resubmitted"}, "under_review", REVIEWER, {JOINT, DELEGATED}),
    "request_changes": ({"under_review"}, "changes_requested", REVIEWER, {JOINT, DELEGATED}),
    "approve_joint": ({"under_review"}, "approved", REVIEWER, {JOINT}),
    "not_approve": ({"under_review"}, "not_approved", REVIEWER, {JOINT}),
    "recommend": ({"under_review"}, "recommended", REVIEWER, {DELEGATED}),
    "not_recommend": ({"under_review"}, "not_recommended", REVIEWER, {DELEGATED}),
    "committee_approve": (AT_COMMITTEE, "approved", SECRETARY, {DELEGATED}),
    "committee_approve_with_conditions": (
        AT_COMMITTEE,
        "approved_with_conditions",
        SECRETARY,
        {DELEGATED},
    ),
    "committee_defer": ({"recommended", "not_recommended"}, "deferred", SECRETARY, {DELEGATED}),
    "committee_decline": (AT_COMMITTEE, "declined", SECRETARY, {DELEGATED}),
    "go_live": (
        {"approved", "approved_with_conditions"},
        "live",
        {"system", "national_admin"},
        {GI, JOINT, DELEGATED},
    ),
}

# When each transition is tried: inside its window (submission before the deadline,
# lapse after it, go-live on the day).
CLOCK = {
    ("lapse", JOINT): london(2015, 1, 31, 9),
    ("lapse", DELEGATED): london(2015, 1, 6, 9),
    ("go_live", GI): london(2015, 4, 1, 9),
    ("go_live", JOINT): london(2015, 4, 1, 9),
    ("go_live", DELEGATED): london(2015, 4, 1, 9),
}
DEFAULT_CLOCK = london(2014, 12, 1, 9)

ALL_STATES = [state.value for state in ProposalState]


def test_the_specification_covers_every_transition_of_the_model():
    declared = {
        name for name in dir(Proposal) if hasattr(getattr(Proposal, name, None), "_django_fsm")
    }
    assert declared == set(SPEC)


def _cases():
    for name, (_, _, _, models) in SPEC.items():
        for model in sorted(models | {GI, JOINT, DELEGATED}):
            yield pytest.param(name, model, id=f"{name}-{model}")


@pytest.mark.django_db
@pytest.mark.parametrize(("transition", "model"), list(_cases()))
def test_transition_table(transition, model, actors, ccg, partner_ccg, cycle):
    sources, target, allowed, models = SPEC[transition]
    with time_machine.travel(DEFAULT_CLOCK, tick=False):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model=model, by=actors["lead_ccg_staff"])
    Proposal.objects.filter(pk=proposal.pk).update(pro_forma=complete_pro_forma(model))
    if model == JOINT:
        ProposalPartner.objects.create(
            proposal=proposal,
            ccg=partner_ccg,
            agreed_at=DEFAULT_CLOCK,
            agreed_by=actors["partner_ccg_staff"],
        )
    if transition == "committee_approve_with_conditions":
        ProposalCondition.objects.create(
            proposal=proposal,
            text="Publish the conflicts register",
            set_by=actors["committee_secretary"],
        )
    everyone = {**actors, "system": SYSTEM}
    outcomes = {"allowed": 0, "refused": 0}

    with time_machine.travel(CLOCK.get((transition, model), DEFAULT_CLOCK), tick=False):
        for state in ALL_STATES:
            for who, actor in everyone.items():
                Proposal.objects.filter(pk=proposal.pk).update(state=state, version=7)
                audit_before = proposal.transitions.count()
                expected = state in sources and who in allowed and model in models
                if expected:
                    result = perform_transition(proposal=proposal, transition=transition, by=actor)
                    stored = Proposal.objects.get(pk=proposal.pk)
                    assert stored.state == target == result.state, (state, who)
                    assert stored.version == 8
                    row = proposal.transitions.latest("pk")
                    assert proposal.transitions.count() == audit_before + 1
                    assert (row.name, row.from_state, row.to_state) == (transition, state, target)
                    assert row.actor_id == getattr(actor, "pk", None)
                    assert row.actor_name
                    outcomes["allowed"] += 1
                else:
                    with pytest.raises(ProposalError):
                        perform_transition(proposal=proposal, transition=transition, by=actor)
                    stored = Proposal.objects.get(pk=proposal.pk)
                    assert (stored.state, stored.version) == (state, 7), (state, who)
                    assert proposal.transitions.count() == audit_before
                    outcomes["refused"] += 1

    expected_allowed = len(list(sources)) * len(allowed) if model in models else 0
    assert outcomes["allowed"] == expected_allowed
    assert outcomes["allowed"] + outcomes["refused"] == len(ALL_STATES) * len(everyone)
