import pytest
import time_machine
from django.db import IntegrityError

from applications.errors import InvalidProposal, NotPermitted, TransitionRefused
from applications.models import Proposal, ProposalPartner, ProposalState
from applications.permissions import SYSTEM
from applications.services import (
    carry_forward,
    confirm_partner_agreement,
    create_proposal,
    go_live,
    lapse_proposal,
    perform_transition,
    record_greater_involvement,
    save_pro_forma_section,
    submit_proposal,
    withdraw_proposal,
)
from tests.factories import COMPLETE_ANSWERS, london

pytestmark = pytest.mark.django_db

DECEMBER = london(2014, 12, 1, 9)


def fill_in(proposal, user):
    from applications.pro_forma import sections_for

    for section in sections_for(proposal.model):
        proposal = save_pro_forma_section(
            proposal=proposal, section=section.key, answers=COMPLETE_ANSWERS[section.key], by=user
        )
    return proposal


@time_machine.travel(DECEMBER, tick=False)
def test_a_ccg_drafts_completes_and_submits_a_delegated_proposal(ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    assert proposal.reference == "CC1516-04K-D1"
    assert proposal.state == ProposalState.DRAFT

    with pytest.raises(TransitionRefused) as refused:
        submit_proposal(proposal=proposal, by=staff)
    assert refused.value.unmet == ["Every section of the pro forma must be complete."]

    proposal = fill_in(proposal, staff)
    proposal = submit_proposal(proposal=proposal, by=staff)
    assert proposal.state == ProposalState.SUBMITTED
    assert proposal.submitted_at == DECEMBER
    history = list(proposal.transitions.values_list("name", "from_state", "to_state", "actor_id"))
    assert history == [
        ("create", "", "draft", staff.pk),
        ("submit", "draft", "submitted", staff.pk),
    ]


def test_submission_after_the_deadline_is_refused_with_the_reason(ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    with time_machine.travel(DECEMBER, tick=False):
        proposal = fill_in(
            create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff), staff
        )
    with (
        time_machine.travel(london(2015, 1, 6, 0, 0), tick=False),
        pytest.raises(TransitionRefused, match="deadline for submitting this proposal has passed"),
    ):
        submit_proposal(proposal=proposal, by=staff)
    # One minute before midnight on 5 January is still in time.
    with time_machine.travel(london(2015, 1, 5, 23, 58), tick=False):
        assert submit_proposal(proposal=proposal, by=staff).state == ProposalState.SUBMITTED


@time_machine.travel(DECEMBER, tick=False)
def test_a_joint_proposal_waits_for_every_partner_to_agree(ccg, partner_ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(
        ccg=ccg, cycle=cycle, model="joint", by=staff, partners=[partner_ccg]
    )
    proposal = fill_in(proposal, staff)
    with pytest.raises(TransitionRefused, match="partner CCG must confirm"):
        submit_proposal(proposal=proposal, by=staff)
    with pytest.raises(NotPermitted):
        confirm_partner_agreement(
            proposal=proposal, partner=partner_ccg, by=staff, governing_body_agreed_on=None
        )
    confirm_partner_agreement(
        proposal=proposal,
        partner=partner_ccg,
        by=actors["partner_ccg_staff"],
        governing_body_agreed_on="2015-01-14",
    )
    assert submit_proposal(proposal=proposal, by=staff).state == ProposalState.SUBMITTED


@time_machine.travel(DECEMBER, tick=False)
def test_only_a_joint_proposal_has_partners_and_the_lead_is_not_its_own_partner(
    ccg, partner_ccg, cycle, actors
):
    staff = actors["lead_ccg_staff"]
    with pytest.raises(InvalidProposal, match="Only a joint proposal"):
        create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff, partners=[partner_ccg])
    with pytest.raises(InvalidProposal, match="cannot also be a partner"):
        create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff, partners=[ccg])
    assert not Proposal.objects.exists()


@time_machine.travel(DECEMBER, tick=False)
def test_only_the_ccgs_own_staff_can_start_its_proposal(ccg, cycle, actors):
    for who in ["partner_ccg_staff", "area_team_staff", "regional_reviewer", "national_admin"]:
        with pytest.raises(NotPermitted):
            create_proposal(ccg=ccg, cycle=cycle, model="joint", by=actors[who])
    assert not Proposal.objects.exists()


@time_machine.travel(DECEMBER, tick=False)
def test_one_proposal_in_progress_per_ccg_and_cycle(ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    first = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff)
    with pytest.raises(InvalidProposal, match="already has a proposal in progress"):
        create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    withdraw_proposal(proposal=first, by=staff, reason="Going for delegated instead")
    second = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    assert second.reference == "CC1516-04K-D2"


def test_the_database_also_refuses_two_proposals_in_progress(ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff)
    with pytest.raises(IntegrityError):
        Proposal.objects.create(reference="X", ccg=ccg, cycle=cycle, model="delegated")


@time_machine.travel(DECEMBER, tick=False)
def test_greater_involvement_is_recorded_not_approved(ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="greater_involvement", by=staff)
    with pytest.raises(TransitionRefused, match="recorded, not submitted"):
        submit_proposal(proposal=proposal, by=staff)
    proposal = fill_in(proposal, staff)
    proposal = record_greater_involvement(proposal=proposal, by=actors["area_team_staff"])
    assert proposal.state == ProposalState.RECORDED
    assert proposal.transitions.latest("pk").actor == actors["area_team_staff"]


@time_machine.travel(DECEMBER, tick=False)
def test_a_ccg_moves_up_a_level_but_not_down(ccg, cycle, next_cycle, actors):
    staff = actors["lead_ccg_staff"]
    gi = fill_in(
        create_proposal(ccg=ccg, cycle=cycle, model="greater_involvement", by=staff), staff
    )
    gi = record_greater_involvement(proposal=gi, by=staff)
    with pytest.raises(InvalidProposal, match="must move up to a higher level"):
        create_proposal(ccg=ccg, cycle=cycle, model="greater_involvement", by=staff)
    joint = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff)
    assert joint.supersedes == gi


@time_machine.travel(DECEMBER, tick=False)
def test_withdrawing_needs_a_reason(ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    with pytest.raises(InvalidProposal, match="Enter the reason"):
        withdraw_proposal(proposal=proposal, by=staff, reason="   ")
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.DRAFT
    proposal = withdraw_proposal(proposal=proposal, by=staff, reason="Governing body said no")
    assert proposal.state == ProposalState.WITHDRAWN
    assert proposal.transitions.latest("pk").reason == "Governing body said no"


def test_a_draft_lapses_at_its_deadline_and_is_carried_to_the_next_cycle(
    ccg, cycle, next_cycle, actors
):
    staff = actors["lead_ccg_staff"]
    with time_machine.travel(DECEMBER, tick=False):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
        proposal = save_pro_forma_section(
            proposal=proposal, section="contact", answers=COMPLETE_ANSWERS["contact"], by=staff
        )
        with pytest.raises(TransitionRefused, match="has not passed yet"):
            lapse_proposal(proposal=proposal)
    with time_machine.travel(london(2015, 1, 6, 0, 1), tick=False):
        lapsed = lapse_proposal(proposal=proposal)
        assert lapsed.state == ProposalState.LAPSED
        row = lapsed.transitions.latest("pk")
        assert (row.actor, row.actor_name, row.actor_role) == (None, SYSTEM.name, "system")
        carried = carry_forward(proposal=lapsed, to_cycle=next_cycle, by=staff)
        assert carried.cycle == next_cycle
        assert carried.state == ProposalState.DRAFT
        assert carried.pro_forma["contact"] == COMPLETE_ANSWERS["contact"]
        assert carried.carried_from == lapsed
        assert carried.transitions.get().reason == f"Carried forward from {lapsed.reference}"
        with pytest.raises(InvalidProposal, match="already carried forward"):
            carry_forward(
                proposal=Proposal.objects.get(pk=lapsed.pk), to_cycle=next_cycle, by=staff
            )


@time_machine.travel(DECEMBER, tick=False)
def test_people_cannot_perform_system_transitions(ccg, cycle, actors):
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=actors["lead_ccg_staff"])
    with time_machine.travel(london(2015, 2, 1), tick=False), pytest.raises(NotPermitted):
        perform_transition(proposal=proposal, transition="lapse", by=actors["national_admin"])


@time_machine.travel(DECEMBER, tick=False)
def test_pro_forma_edits_only_by_the_lead_ccg_and_only_while_it_holds_the_pen(ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = fill_in(create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff), staff)
    with pytest.raises(NotPermitted):
        save_pro_forma_section(
            proposal=proposal, section="contact", answers={}, by=actors["area_team_staff"]
        )
    with pytest.raises(InvalidProposal, match="no section"):
        save_pro_forma_section(proposal=proposal, section="pooled_budget", answers={}, by=staff)
    submit_proposal(proposal=proposal, by=staff)
    with pytest.raises(TransitionRefused, match="cannot be edited"):
        save_pro_forma_section(proposal=proposal, section="contact", answers={}, by=staff)


@time_machine.travel(DECEMBER, tick=False)
def test_a_page_loaded_before_a_change_is_told_the_proposal_changed(ccg, cycle, actors):
    from applications.errors import ProposalChanged

    staff = actors["lead_ccg_staff"]
    proposal = fill_in(create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff), staff)
    seen_version = proposal.version
    save_pro_forma_section(
        proposal=proposal, section="contact", answers=COMPLETE_ANSWERS["contact"], by=staff
    )
    with pytest.raises(ProposalChanged, match="changed by someone else"):
        submit_proposal(proposal=proposal, by=staff, expected_version=seen_version)
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.DRAFT


def test_go_live_waits_for_the_date(ccg, partner_ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    with time_machine.travel(DECEMBER, tick=False):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff)
    Proposal.objects.filter(pk=proposal.pk).update(state=ProposalState.APPROVED)
    with (
        time_machine.travel(london(2015, 3, 31, 23, 59), tick=False),
        pytest.raises(TransitionRefused, match="go-live date has not been reached"),
    ):
        go_live(proposal=proposal)
    with time_machine.travel(london(2015, 4, 1, 0, 0), tick=False):
        assert go_live(proposal=proposal).state == ProposalState.LIVE
    assert ProposalPartner.objects.count() == 0
