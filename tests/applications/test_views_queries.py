"""Pages with lists run a fixed number of queries, however long the lists get (no N+1)."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import actions
from applications.services import create_proposal, record_event
from tests import factories
from tests.applications.view_helpers import JANUARY_2ND, attach_all, fill_in, ready_to_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_january_2015(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(JANUARY_2ND, tick=False):
        yield


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def more_ccgs(area_team, how_many):
    return [factories.CCGFactory(area_team=area_team) for _ in range(how_many)]


def test_the_proposal_list_does_not_grow_with_the_proposals(
    client, area_team, cycle, actors, django_assert_num_queries
):
    client.force_login(actors["area_team_staff"])
    url = reverse("proposal_list")

    def add(n):
        for ccg in more_ccgs(area_team, n):
            staff = factories.ccg_staff(ccg)
            proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff)
            actions.set_partners(proposal=proposal, partners=more_ccgs(area_team, 2), by=staff)

    add(2)
    small = count(client, url)
    add(8)
    with django_assert_num_queries(small):
        response = client.get(url)
    # session, user, the user's area team (page caption), proposals, their partners (with
    # CCGs), and saving the session (savepoint, update, release: it is renewed every request)
    assert small == 8
    assert len(response.context["proposals"]) == 10


def test_the_ccg_start_page_does_not_grow_with_proposals_cycles_or_partners(
    client, ccg, partner_ccg, area_team, cycle, next_cycle, actors, django_assert_num_queries
):
    lead, partner = actors["lead_ccg_staff"], actors["partner_ccg_staff"]
    client.force_login(partner)
    url = reverse("ccg_start")
    first = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=lead)
    actions.set_partners(proposal=first, partners=[partner_ccg], by=lead)
    small = count(client, url)
    # More proposals: its own (withdrawn and new), and more it is a partner of.
    own = create_proposal(ccg=partner_ccg, cycle=next_cycle, model="delegated", by=partner)
    actions.withdraw(proposal=own, by=partner, reason="Not this year")
    create_proposal(ccg=partner_ccg, cycle=next_cycle, model="delegated", by=partner)
    for other in more_ccgs(area_team, 3):
        staff = factories.ccg_staff(other)
        joint = create_proposal(ccg=other, cycle=cycle, model="joint", by=staff)
        actions.set_partners(proposal=joint, partners=[partner_ccg], by=staff)
    with django_assert_num_queries(small):
        response = client.get(url)
    # session, user, the data version (page cache), the CCG (with area team and region),
    # cycles, deadlines, proposals, partners, and saving the session (3)
    assert small == 11
    assert len(response.context["as_partner"]) == 4


def test_the_proposal_page_does_not_grow_with_documents_comments_partners_or_history(
    client, ccg, partner_ccg, area_team, cycle, actors, django_assert_num_queries
):
    lead, area = actors["lead_ccg_staff"], actors["area_team_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=lead)
    url = reverse("proposal_overview", args=[proposal.reference])
    client.force_login(area)
    small = count(client, url)
    actions.set_partners(
        proposal=proposal, partners=[partner_ccg, *more_ccgs(area_team, 3)], by=lead
    )
    fill_in(proposal, lead)
    attach_all(proposal, lead)
    attach_all(proposal, lead)
    for n in range(5):
        record_event(proposal=proposal, kind="comment", by=area, detail=f"Comment {n}")
    with django_assert_num_queries(small):
        client.get(url)
    assert small == 13  # 3 of them save the session, 1 reads the data version

    client.force_login(lead)
    small = count(client, reverse("proposal_check", args=[proposal.reference]))
    attach_all(proposal, lead)
    with django_assert_num_queries(small):
        client.get(reverse("proposal_check", args=[proposal.reference]))
    assert small == 12


def test_the_version_comparison_does_not_grow_with_versions(
    client, ccg, cycle, actors, django_assert_num_queries
):
    from approvals.services import request_changes, start_review

    lead, reviewer = actors["lead_ccg_staff"], actors["regional_reviewer"]
    proposal = ready_to_submit(ccg, cycle, lead)
    proposal = actions.submit(
        proposal=proposal, by=lead, expected_version=proposal.version
    ).proposal
    url = reverse("proposal_changes", args=[proposal.reference])
    client.force_login(reviewer)
    small = count(client, url)
    for round_ in range(3):
        start_review(proposal=proposal, by=reviewer)
        request_changes(proposal=proposal, by=reviewer, comments=f"Round {round_}")
        proposal.refresh_from_db()
        proposal = actions.save_section(
            proposal=proposal,
            section="resources",
            answers={"resources_agreed": f"Version {round_}"},
            by=lead,
        )
        proposal = actions.submit(
            proposal=proposal,
            by=lead,
            expected_version=proposal.version,
            summary_of_changes=f"Round {round_}",
        ).proposal
    with django_assert_num_queries(small):
        response = client.get(url)
    assert len(response.context["comparisons"]) == 3
    assert small == 8
