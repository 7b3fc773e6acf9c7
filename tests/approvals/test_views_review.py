"""The regional reviewer's pages as a reviewer uses them: the queue and its filters, the review
page, the checklist saved as a draft, each decision with its confirmation, declared
interests, and a page that went out of date while it was open."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from applications import actions
from applications.models import Proposal, ProposalState
from approvals.models import ConflictOfInterest, Review
from approvals.services import request_changes, save_review, start_review
from tests import factories
from tests.applications.view_helpers import JANUARY_2ND, ready_to_submit
from tests.approvals import world as worlds
from tests.approvals.conftest import ALL_YES, submitted_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _during_review(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(worlds.REVIEW_DAY, tick=False):
        yield


@pytest.fixture
def world(ccg, area_team, cycle, next_cycle, actors):
    return worlds.build(
        ccg=ccg, area_team=area_team, cycle=cycle, next_cycle=next_cycle, actors=actors
    )


def text(response) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#x27;", "'")


def errors(response) -> list[str]:
    summary = re.search(
        r'<ul class="nhsuk-list nhsuk-error-summary__list">(.*?)</ul>',
        response.content.decode(),
        re.S,
    )
    if not summary:
        return []
    items = re.findall(r"<li>(.*?)</li>", summary.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", i).strip().replace("&#x27;", "'") for i in items]


def banner(response) -> str:
    return " ".join(
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(
            r'nhsuk-notification-banner__heading">(.*?)</p>', response.content.decode(), re.S
        )
    ).replace("&#x27;", "'")


# -- the queue -------------------------------------------------------------------------------


def test_the_queue_lists_the_region_with_deadlines_flags_and_filters(client, world, actors, cycle):
    reviewer = actors["regional_reviewer"]
    world["S"].ccg.in_special_measures = True
    world["S"].ccg.save()
    client.force_login(reviewer)
    response = client.get(reverse("approvals:queue"))
    assert response.status_code == 200
    rows = response.context["rows"]
    references = [row.proposal.reference for row in rows]
    assert set(references) == {w.reference for k, w in world.items() if k in "J S P R R2 X"}
    # Things to do first: the submitted proposal, then those under review.
    assert references[0] == world["S"].reference
    page = text(response)
    assert "Special measures" in page
    # Committee sign-off is 16 February 2015 10am; today is 12 January.
    s_row = rows[0]
    assert (s_row.due.label, s_row.due.left) == ("Committee sign-off", "35 days left")
    j_row = next(r for r in rows if r.proposal == world["J"])
    assert (j_row.due.label, j_row.due.left) == ("Go-live", "79 days left")
    assert "Committee sign-off: 16 Feb 2015, 10am" in page

    filtered = client.get(reverse("approvals:queue"), {"model": "joint", "cycle": cycle.pk})
    assert [r.proposal for r in filtered.context["rows"]] == [world["J"]]
    assert "1 proposal match the filters" in text(filtered)
    by_state = client.get(reverse("approvals:queue"), {"state": "recommended"})
    assert {r.proposal for r in by_state.context["rows"]} == {world["R"], world["R2"]}
    other_team = factories.AreaTeamFactory(code="Q56", region=reviewer.region)
    by_team = client.get(reverse("approvals:queue"), {"area_team": other_team.pk})
    assert by_team.context["rows"] == []
    assert "There are no proposals matching these filters" in text(by_team)
    # A value that is not a choice is an error, shown in the summary, not a crash.
    bad = client.get(reverse("approvals:queue"), {"model": "everything"})
    assert errors(bad) == ["Select a valid choice. everything is not one of the available choices."]


def test_another_regions_reviewer_sees_none_of_it(client, world, actors):
    client.force_login(actors["other_region_reviewer"])
    assert client.get(reverse("approvals:queue")).context["rows"] == []


def test_a_declared_interest_is_flagged_and_not_actionable(client, world, actors):
    reviewer = actors["regional_reviewer"]
    client.force_login(reviewer)
    url = reverse("approvals:declare_interest", args=[world["S"].reference])
    response = client.post(url, {"ccg": world["S"].ccg_id, "description": ""})
    assert errors(response) == ["Describe your interest"]
    response = client.post(
        url, {"ccg": world["S"].ccg_id, "description": "My sister is a partner at a practice."}
    )
    assert response.status_code == 302
    assert ConflictOfInterest.objects.filter(reviewer=reviewer, ccg=world["S"].ccg).exists()

    queue = client.get(response["Location"])
    assert "You declared an interest in NHS Bassetlaw CCG" in banner(queue)
    row = next(r for r in queue.context["rows"] if r.proposal == world["S"])
    assert row.conflicted and row.action == ""
    assert "You cannot review this proposal" in text(queue)

    page = client.get(reverse("approvals:review", args=[world["S"].reference]))
    assert "You declared an interest" in text(page)
    assert "Start the review" not in text(page)
    start = reverse("approvals:start_review", args=[world["S"].reference])
    assert client.post(start, {"version": world["S"].version}).status_code == 403
    assert Proposal.objects.get(pk=world["S"].pk).state == ProposalState.SUBMITTED
    # Declaring again for the same CCG: nothing left to declare.
    again = client.get(url)
    assert again.status_code == 302
    # Another reviewer in the region can review it.
    colleague = factories.reviewer(reviewer.region)
    client.force_login(colleague)
    assert client.post(start, {"version": world["S"].version}).status_code == 302
    assert Proposal.objects.get(pk=world["S"].pk).state == ProposalState.UNDER_REVIEW


def test_a_conflicted_reviewer_does_not_read_colleagues_private_notes(client, world, actors):
    reviewer = factories.reviewer(actors["regional_reviewer"].region)
    ConflictOfInterest.objects.create(reviewer=reviewer, ccg=world["J"].ccg, description="x")
    client.force_login(reviewer)
    page = client.get(reverse("approvals:review", args=[world["J"].reference]))
    assert worlds.PRIVATE not in page.content.decode()
    response = client.post(
        reverse("approvals:review", args=[world["J"].reference]),
        {"version": world["J"].version, "private_notes": "overwritten"},
    )
    assert response.status_code == 403
    assert Review.objects.get(proposal=world["J"]).private_notes == worlds.PRIVATE


# -- the review page -------------------------------------------------------------------------


def test_the_review_page_shows_answers_documents_versions_and_history(client, ccg, cycle, actors):
    lead, reviewer = actors["lead_ccg_staff"], actors["regional_reviewer"]
    with time_machine.travel(JANUARY_2ND, tick=False):
        proposal = ready_to_submit(ccg, cycle, lead)
        proposal = actions.submit(proposal=proposal, by=lead, expected_version=proposal.version)
        proposal = proposal.proposal
    client.force_login(reviewer)
    url = reverse("approvals:review", args=[proposal.reference])
    response = client.get(url)
    page = text(response)
    assert "Review of the delegated commissioning proposal" in page
    assert "Lay chair; GPs declare and leave the room." in page  # a pro forma answer
    for document in proposal.documents.all():
        link = reverse("document_download", args=[proposal.reference, document.pk])
        assert f'href="{link}"' in response.content.decode()
        assert client.get(link).status_code == 200
    assert "Start the review" in page
    assert "Compare the submitted versions" not in page  # one version so far
    assert response.context["form"] is None

    client.post(
        reverse("approvals:start_review", args=[proposal.reference]),
        {"version": proposal.version},
    )
    proposal.refresh_from_db()
    request_changes(proposal=proposal, by=reviewer, comments="Name the chair.")
    with time_machine.travel(JANUARY_2ND, tick=False):
        proposal.refresh_from_db()
        actions.submit(
            proposal=proposal,
            by=lead,
            expected_version=proposal.version,
            summary_of_changes="Named the chair.",
        )
    response = client.get(url)
    page = text(response)
    assert "Compare the submitted versions (2 versions)" in page
    history = [(e.what, e.detail) for e in response.context["page"].history]
    assert ("Changes requested", "Name the chair.") in history
    assert ("Resubmitted", "Named the chair.") in history
    assert any(what == "Document added" for what, _ in history)  # events, not only transitions
    assert "Start the review" in page  # a resubmission starts a second round


def test_the_checklist_is_saved_as_a_draft(client, world, actors):
    client.force_login(actors["regional_reviewer"])
    proposal = world["J"]
    url = reverse("approvals:review", args=[proposal.reference])
    form = client.get(url).context["form"]
    assert form["governance_compliant"].value() == "yes"
    assert form["private_notes"].value() == worlds.PRIVATE
    response = client.post(
        url,
        {
            "version": proposal.version,
            "governance_compliant": "yes",
            "constitution_acceptable": "no",
            "conflicts_managed": "",
            "comments": "Please name the chair.",
            "private_notes": "Spoke to the area team.",
            "recommendation": "",
            "proposed_conditions": "Publish the register\nReview in a year",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#checklist")
    review = Review.objects.get(proposal=proposal)
    assert (review.constitution_acceptable, review.conflicts_managed) == ("no", "")
    assert review.proposed_conditions == "Publish the register\nReview in a year"
    page = client.get(url)
    assert "Your review was saved as a draft." in banner(page)
    assert "'constitution amendment acceptable' is answered no." in text(page)
    # Nothing was decided.
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.UNDER_REVIEW


def test_a_stale_checklist_is_not_saved_over_a_change(client, world, actors):
    proposal = world["J"]
    client.force_login(actors["regional_reviewer"])
    url = reverse("approvals:review", args=[proposal.reference])
    # The proposal changes after the page loaded (a new version).
    Proposal.objects.filter(pk=proposal.pk).update(version=proposal.version + 1)
    response = client.post(url, {"version": proposal.version, "private_notes": "Stale words"})
    assert response.status_code == 200
    assert errors(response) == [
        f"{proposal.reference} was changed by someone else while you were looking at it (it is "
        "now under regional review). Your changes were not saved: check it and try again."
    ]
    assert response.context["title"].startswith("Error: ")
    assert Review.objects.get(proposal=proposal).private_notes == worlds.PRIVATE
    # What they typed is still there, and the form now carries the current version.
    assert response.context["form"]["private_notes"].value() == "Stale words"
    assert str(response.context["form"]["version"].value()) == str(proposal.version + 1)


# -- decisions -------------------------------------------------------------------------------


def test_asking_for_changes_needs_the_changes_and_the_ccg_sees_them_not_private_notes(
    client, world, actors
):
    proposal = world["J"]
    reviewer, lead = actors["regional_reviewer"], actors["lead_ccg_staff"]
    client.force_login(reviewer)
    review_page = client.get(reverse("approvals:review", args=[proposal.reference]))
    link = reverse("approvals:decide", args=[proposal.reference, "request-changes"])
    assert f"{link}?version={proposal.version}" in review_page.content.decode()
    confirm = client.get(link, {"version": proposal.version})
    # The comments for the CCG from the checklist are offered as the request.
    assert confirm.context["form"]["text"].value() == worlds.SHARED
    response = client.post(link, {"version": proposal.version, "text": "  "})
    assert errors(response) == ["Enter the changes you are asking the CCG to make"]
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.UNDER_REVIEW

    asked = "Name who chairs the joint committee and how GP members' interests are handled."
    response = client.post(link, {"version": proposal.version, "text": asked})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.CHANGES_REQUESTED
    review = Review.objects.get(proposal=proposal)
    assert (review.comments, review.outcome) == (asked, "request_changes")
    assert review.private_notes == worlds.PRIVATE

    client.force_login(lead)
    ccg_page = client.get(reverse("proposal_overview", args=[proposal.reference]))
    assert ccg_page.status_code == 200
    body = ccg_page.content.decode()
    assert "The regional office asked for changes" in text(ccg_page)
    assert asked.replace("'", "&#x27;") in body
    assert worlds.PRIVATE.replace("'", "&#x27;") not in body
    assert worlds.PRIVATE not in body
    # Nor on the page comparing versions, nor the start page.
    for url in [
        reverse("proposal_changes", args=[proposal.reference]),
        reverse("ccg_start"),
    ]:
        assert "LMC chair" not in client.get(url).content.decode()


def test_approving_needs_a_complete_checklist(client, world, actors):
    proposal = world["J"]
    client.force_login(actors["regional_reviewer"])
    save_review(
        review=Review.objects.get(proposal=proposal),
        by=actors["regional_reviewer"],
        answers={"conflicts_managed": ""},
    )
    link = reverse("approvals:decide", args=[proposal.reference, "approve"])
    confirm = client.get(link, {"version": proposal.version})
    assert "Answer 'conflicts of interest managed'." in text(confirm)
    assert "Approve proposal" not in text(confirm)  # no button until it is complete
    response = client.post(link, {"version": proposal.version, "text": ""})
    assert errors(response) == ["Answer 'conflicts of interest managed'."]
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.UNDER_REVIEW

    save_review(
        review=Review.objects.get(proposal=proposal),
        by=actors["regional_reviewer"],
        answers=ALL_YES,
    )
    assert "Approve proposal" in text(client.get(link, {"version": proposal.version}))
    response = client.post(link, {"version": proposal.version, "text": "Well made."})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert f"You approved {proposal.reference}." in banner(page)
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.APPROVED
    assert proposal.transitions.get(name="approve_joint").reason == "Well made."


def test_not_approving_needs_a_reason(client, world, actors):
    proposal = world["J"]
    client.force_login(actors["regional_reviewer"])
    link = reverse("approvals:decide", args=[proposal.reference, "not-approve"])
    response = client.post(link, {"version": proposal.version, "text": ""})
    assert errors(response) == ["Enter the reason the proposal is not approved"]
    response = client.post(link, {"version": proposal.version, "text": "No pooled budget plan."})
    assert response.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.NOT_APPROVED


def test_recommending_and_not_recommending_a_delegated_proposal(client, world, actors, make_ccg):
    reviewer = actors["regional_reviewer"]
    client.force_login(reviewer)
    proposal = world["P"]
    link = reverse("approvals:decide", args=[proposal.reference, "recommend"])
    response = client.post(link, {"version": proposal.version, "text": ""})
    assert response.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.RECOMMENDED

    other = submitted_proposal(make_ccg(), world["P"].cycle)
    start_review(proposal=other, by=reviewer)
    other.refresh_from_db()
    link = reverse("approvals:decide", args=[other.reference, "not-recommend"])
    response = client.post(link, {"version": other.version, "text": ""})
    assert errors(response) == ["Enter why you do not recommend it"]
    response = client.post(link, {"version": other.version, "text": "Conflicts plan is weak."})
    assert response.status_code == 302
    assert Proposal.objects.get(pk=other.pk).state == ProposalState.NOT_RECOMMENDED


def test_a_decision_from_a_page_that_went_out_of_date_is_refused(client, world, actors, region):
    """Reviewer A opens the confirmation page; reviewer B decides first; A's decision is
    refused with 'changed', and B's stands."""
    proposal = world["J"]
    first, second = actors["regional_reviewer"], factories.reviewer(region)
    client.force_login(first)
    link = reverse("approvals:decide", args=[proposal.reference, "approve"])
    seen = client.get(link).context["form"]["version"].value()

    other = Client()  # the second reviewer's own browser
    other.force_login(second)
    changes = reverse("approvals:decide", args=[proposal.reference, "request-changes"])
    assert other.post(changes, {"version": seen, "text": "Name the chair."}).status_code == 302

    response = client.post(link, {"version": seen, "text": ""})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert banner(page) == (
        f"{proposal.reference} was changed by someone else while you were looking at it "
        "(it is now changes requested). Check it and try again."
    )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.CHANGES_REQUESTED
    assert list(proposal.transitions.values_list("name", flat=True)) == [
        "create",
        "submit",
        "start_review",
        "request_changes",
    ]


def test_the_home_page_links_each_role_to_its_pages(client, actors):
    queue, meetings = reverse("approvals:queue"), reverse("approvals:meetings")
    expected = {
        "lead_ccg_staff": (False, False),
        "area_team_staff": (False, False),
        "regional_reviewer": (True, False),
        "committee_secretary": (False, True),
        "national_admin": (True, True),
    }
    for role, (to_queue, to_meetings) in expected.items():
        client.force_login(actors[role])
        body = client.get(reverse("home")).content.decode()
        assert (f'href="{queue}"' in body, f'href="{meetings}"' in body) == (
            to_queue,
            to_meetings,
        ), role
    # The CCG's own entry is still there.
    client.force_login(actors["lead_ccg_staff"])
    assert (
        "Go to NHS Nottingham City CCG's proposals" in client.get(reverse("home")).content.decode()
    )
