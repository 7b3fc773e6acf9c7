"""Two reviewers acting on the same proposal at the same moment through the pages, on the
real PostgreSQL: each loaded the review page, so each posts the version it showed. One
decision is made; the other reviewer is told the proposal changed, and nothing of theirs is
applied."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import Proposal, ProposalState
from approvals.models import Review
from tests import factories
from tests.applications.test_concurrency import race
from tests.approvals.conftest import reviewed_proposal

pytestmark = pytest.mark.django_db(transaction=True)


def banner(response) -> str:
    found = re.findall(
        r'nhsuk-notification-banner__heading">(.*?)</p>', response.content.decode(), re.S
    )
    return " ".join(re.sub(r"\s+", " ", f).strip() for f in found).replace("&#x27;", "'")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def decide(client, proposal, action, version, text=""):
    """POST the confirmation page as the person saw it, then read the page it lands on."""
    url = reverse("approvals:decide", args=[proposal.reference, action])
    response = client.post(url, {"version": version, "text": text})
    assert response.status_code == 302, response.status_code
    return banner(client.get(response["Location"]))


@pytest.mark.parametrize("attempt", range(3))
def test_two_reviewers_deciding_at_once_one_wins_the_other_is_told_it_changed(
    attempt, ccg, cycle, actors, region
):
    first, second = actors["regional_reviewer"], factories.reviewer(region)
    proposal = reviewed_proposal(ccg, cycle, first, model="joint")
    a, b = browser(first), browser(second)
    # Both open the review page: both see the same version.
    seen_a = a.get(reverse("approvals:review", args=[proposal.reference])).context["form"]
    seen_b = b.get(reverse("approvals:review", args=[proposal.reference])).context["form"]
    version = seen_a["version"].value()
    assert seen_b["version"].value() == version == proposal.version

    said = race(
        lambda: decide(a, proposal, "approve", version, "Assured."),
        lambda: decide(b, proposal, "request-changes", version, "Name the chair."),
    )
    proposal.refresh_from_db()
    changed = (
        f"{proposal.reference} was changed by someone else while you were looking at it "
        f"(it is now {proposal.get_state_display().lower()}). Check it and try again."
    )
    winners = [s for s in said if s != changed]
    assert said.count(changed) == 1, said
    assert len(winners) == 1 and not isinstance(winners[0], Exception), said
    decisions = list(proposal.transitions.exclude(name__in=["create", "submit", "start_review"]))
    assert len(decisions) == 1
    if decisions[0].name == "approve_joint":
        assert proposal.state == ProposalState.APPROVED
        assert winners[0] == f"You approved {proposal.reference}."
        # The loser's request for changes did not reach the review's comments either.
        assert Review.objects.get(proposal=proposal).comments == ""
    else:
        assert proposal.state == ProposalState.CHANGES_REQUESTED
        assert winners[0] == f"You asked {ccg.name} for changes to {proposal.reference}."
        assert Review.objects.get(proposal=proposal).comments == "Name the chair."
    assert Review.objects.get(proposal=proposal).outcome == decisions[0].name
    assert Proposal.objects.get(pk=proposal.pk).version == version + 1


def test_a_draft_saved_while_a_colleague_decides_is_not_applied(ccg, cycle, actors, region):
    first, second = actors["regional_reviewer"], factories.reviewer(region)
    proposal = reviewed_proposal(ccg, cycle, first, model="joint")
    a, b = browser(first), browser(second)
    url = reverse("approvals:review", args=[proposal.reference])
    form = a.get(url).context["form"]
    version = form["version"].value()
    # Everything the page's form holds, as the browser sends it, with one note added.
    data = {name: form[name].value() or "" for name in form.fields}
    data["private_notes"] = "Late thought"
    said = race(
        lambda: a.post(url, data),
        lambda: decide(b, proposal, "approve", version),
    )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.APPROVED
    review = Review.objects.get(proposal=proposal)
    if review.private_notes != "Late thought":
        # The save came second: refused as changed (a page, or back to it with a message).
        page = said[0]
        body = page.content.decode() if page.status_code == 200 else banner(a.get(page["Location"]))
        assert "was changed by someone else while you were looking at it" in body
