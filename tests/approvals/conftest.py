import pytest
import time_machine

from applications.models import Proposal
from applications.services import create_proposal, submit_proposal
from approvals.services import save_review, start_review
from tests.factories import CCGFactory, ccg_staff, complete_pro_forma, london

ALL_YES = {
    "governance_compliant": "yes",
    "constitution_acceptable": "yes",
    "conflicts_managed": "yes",
    "pooled_budget_compliant": "n/a",
    "special_measures_risk_accepted": "n/a",
    "recommendation": "Recommended: governance and conflicts arrangements are sound.",
}


def submitted_proposal(ccg, cycle, model="delegated", staff=None):
    staff = staff or ccg_staff(ccg, email=f"staff.{ccg.ods_code}@example.nhs.uk")
    with time_machine.travel(london(2014, 12, 10, 10), tick=False):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model=model, by=staff)
        Proposal.objects.filter(pk=proposal.pk).update(pro_forma=complete_pro_forma(model))
        return submit_proposal(proposal=proposal, by=staff)


def reviewed_proposal(ccg, cycle, reviewer, model="delegated", answers=None):
    proposal = submitted_proposal(ccg, cycle, model)
    review = start_review(proposal=proposal, by=reviewer)
    save_review(review=review, by=reviewer, answers=answers or ALL_YES)
    return Proposal.objects.get(pk=proposal.pk)


@pytest.fixture
def make_ccg(area_team):
    return lambda **kwargs: CCGFactory(area_team=area_team, **kwargs)
