import pytest
from django.contrib.auth.models import AnonymousUser

from applications.models import Proposal, ProposalPartner, ProposalState
from applications.services import create_proposal
from tests.factories import ccg_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposals(ccg, partner_ccg, foreign_ccg, cycle, actors):
    own = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=actors["lead_ccg_staff"])
    ProposalPartner.objects.create(proposal=own, ccg=partner_ccg)
    foreign = create_proposal(
        ccg=foreign_ccg, cycle=cycle, model="delegated", by=actors["foreign_ccg_staff"]
    )
    return {"own": own, "foreign": foreign}


def visible(user):
    return set(Proposal.objects.visible_to(user).values_list("reference", flat=True))


def test_each_person_sees_only_the_proposals_that_are_theirs_to_see(proposals, actors):
    own, foreign = proposals["own"].reference, proposals["foreign"].reference
    assert visible(actors["lead_ccg_staff"]) == {own}
    assert visible(actors["partner_ccg_staff"]) == {own}
    assert visible(actors["foreign_ccg_staff"]) == {foreign}
    assert visible(actors["area_team_staff"]) == {own}
    assert visible(actors["regional_reviewer"]) == {own}
    assert visible(actors["other_region_reviewer"]) == {foreign}
    assert visible(actors["national_admin"]) == {own, foreign}
    assert visible(AnonymousUser()) == set()


def test_the_committee_secretary_sees_delegated_proposals_once_recommended(proposals, actors):
    foreign = proposals["foreign"]
    assert visible(actors["committee_secretary"]) == set()
    Proposal.objects.filter(pk=foreign.pk).update(state=ProposalState.RECOMMENDED)
    assert visible(actors["committee_secretary"]) == {foreign.reference}


def test_a_deactivated_person_sees_nothing(proposals, ccg):
    leaver = ccg_staff(ccg, is_active=False)
    assert visible(leaver) == set()
