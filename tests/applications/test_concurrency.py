"""Two people acting on the same proposal at the same moment, on the real PostgreSQL."""

import threading

import pytest
import time_machine
from django.db import connection

from applications.errors import ProposalError
from applications.models import Proposal, ProposalState
from applications.services import create_proposal, perform_transition
from tests.factories import complete_pro_forma, london


def race(*calls):
    """Run the calls in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_submissions_at_once_make_one_submission_and_one_audit_row(attempt, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    with time_machine.travel(london(2014, 12, 1, 9)):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
        Proposal.objects.filter(pk=proposal.pk).update(pro_forma=complete_pro_forma("delegated"))
        results = race(
            lambda: perform_transition(proposal=proposal.pk, transition="submit", by=staff),
            lambda: perform_transition(proposal=proposal.pk, transition="submit", by=staff),
        )
    successes = [r for r in results if isinstance(r, Proposal)]
    failures = [r for r in results if isinstance(r, ProposalError)]
    assert len(successes) == 1, results
    assert len(failures) == 1, results
    assert "submitted" in failures[0].message
    assert proposal.transitions.filter(name="submit").count() == 1
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.SUBMITTED


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_one_wins_the_other_is_told(ccg, cycle, actors, region):
    from tests.factories import reviewer

    first, second = actors["regional_reviewer"], reviewer(region)
    with time_machine.travel(london(2014, 12, 1, 9)):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=actors["lead_ccg_staff"])
    Proposal.objects.filter(pk=proposal.pk).update(state=ProposalState.UNDER_REVIEW)
    results = race(
        lambda: perform_transition(proposal=proposal.pk, transition="approve_joint", by=first),
        lambda: perform_transition(
            proposal=proposal.pk, transition="request_changes", by=second, reason="More detail"
        ),
    )
    assert sum(isinstance(r, Proposal) for r in results) == 1, results
    assert sum(isinstance(r, ProposalError) for r in results) == 1, results
    decided = proposal.transitions.exclude(name="create")
    assert decided.count() == 1
    assert Proposal.objects.get(pk=proposal.pk).state == decided.get().to_state
