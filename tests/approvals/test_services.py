import pytest
import time_machine

from applications.errors import InvalidProposal, NotPermitted, TransitionRefused
from applications.models import ProposalCondition, ProposalState
from applications.services import create_proposal, go_live, resubmit_proposal, submit_proposal
from approvals.services import (
    approve_joint_proposal,
    recommend_to_committee,
    record_committee_decision,
    record_condition_met,
    request_changes,
    start_review,
)
from tests.factories import complete_pro_forma, london

pytestmark = pytest.mark.django_db


def submitted(ccg, cycle, staff, model):
    from applications.models import Proposal

    proposal = create_proposal(ccg=ccg, cycle=cycle, model=model, by=staff)
    Proposal.objects.filter(pk=proposal.pk).update(pro_forma=complete_pro_forma(model))
    return submit_proposal(proposal=proposal, by=staff)


def test_delegated_route_with_a_change_request_and_a_conditional_approval(ccg, cycle, actors):
    staff, reviewer, secretary = (
        actors["lead_ccg_staff"],
        actors["regional_reviewer"],
        actors["committee_secretary"],
    )
    with time_machine.travel(london(2014, 12, 1, 9), tick=False):
        proposal = submitted(ccg, cycle, staff, "delegated")
    with time_machine.travel(london(2015, 1, 12, 9), tick=False):
        proposal = start_review(proposal=proposal, by=reviewer)
        with pytest.raises(InvalidProposal, match="Enter the changes"):
            request_changes(proposal=proposal, by=reviewer, comments="")
        proposal = request_changes(
            proposal=proposal, by=reviewer, comments="Say who chairs the committee."
        )
        proposal = resubmit_proposal(proposal=proposal, by=staff, summary_of_changes="Added chair")
        proposal = start_review(proposal=proposal, by=reviewer)
        proposal = recommend_to_committee(proposal=proposal, by=reviewer, recommend=True)
    assert proposal.state == ProposalState.RECOMMENDED

    with time_machine.travel(london(2015, 2, 16, 11), tick=False):
        with pytest.raises(InvalidProposal, match="at least one condition"):
            record_committee_decision(
                proposal=proposal, by=secretary, decision="approved_with_conditions"
            )
        with pytest.raises(NotPermitted):
            record_committee_decision(
                proposal=proposal,
                by=reviewer,
                decision="approved_with_conditions",
                conditions=["x"],
            )
        assert not ProposalCondition.objects.exists()
        proposal = record_committee_decision(
            proposal=proposal,
            by=secretary,
            decision="approved_with_conditions",
            conditions=["Publish the conflicts of interest register"],
        )
    assert proposal.state == ProposalState.APPROVED_WITH_CONDITIONS

    with time_machine.travel(london(2015, 4, 1, 0, 5), tick=False):
        with pytest.raises(TransitionRefused, match="condition set by the Commissioning Committee"):
            go_live(proposal=proposal)
        condition = proposal.conditions.get()
        with pytest.raises(NotPermitted):
            record_condition_met(condition=condition, by=staff, note="Done")
        record_condition_met(condition=condition, by=secretary, note="Register published 20 March")
        proposal = go_live(proposal=proposal)
    assert proposal.state == ProposalState.LIVE
    assert list(proposal.transitions.values_list("to_state", flat=True)) == [
        "draft",
        "submitted",
        "under_review",
        "changes_requested",
        "resubmitted",
        "under_review",
        "recommended",
        "approved_with_conditions",
        "live",
    ]


def test_joint_route_ends_with_regional_approval(ccg, cycle, actors):
    with time_machine.travel(london(2015, 1, 20, 9), tick=False):
        proposal = submitted(ccg, cycle, actors["lead_ccg_staff"], "joint")
        proposal = start_review(proposal=proposal, by=actors["regional_reviewer"])
        with pytest.raises(NotPermitted):
            approve_joint_proposal(proposal=proposal, by=actors["other_region_reviewer"])
        proposal = approve_joint_proposal(proposal=proposal, by=actors["regional_reviewer"])
    assert proposal.state == ProposalState.APPROVED
    assert proposal.decided_at == london(2015, 1, 20, 9)


def test_not_recommending_needs_a_reason(ccg, cycle, actors):
    with time_machine.travel(london(2014, 12, 20, 9), tick=False):
        proposal = submitted(ccg, cycle, actors["lead_ccg_staff"], "delegated")
        proposal = start_review(proposal=proposal, by=actors["regional_reviewer"])
        with pytest.raises(InvalidProposal):
            recommend_to_committee(
                proposal=proposal, by=actors["regional_reviewer"], recommend=False
            )
        proposal = recommend_to_committee(
            proposal=proposal,
            by=actors["regional_reviewer"],
            recommend=False,
            comments="Conflicts of interest plan is not convincing",
        )
    assert proposal.state == ProposalState.NOT_RECOMMENDED
