"""Regional review and the Commissioning Committee in Chromium: a reviewer asks for changes,
the CCG resubmits through its own pages, the reviewer recommends; the committee secretary
builds an agenda, generates the sign-off pack (eager Celery), records a decision with a
condition, records the condition met, and the proposal shows it is ready to go live.
axe-core checks every page; screenshots go to test-artifacts/."""

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications import actions
from applications.models import Proposal, ProposalState
from approvals.models import AgendaItem, DecisionLetter, Review, SignOffPack
from approvals.services import recommend_to_committee, save_review, start_review
from tests import factories
from tests.applications.view_helpers import ready_to_submit
from tests.approvals.conftest import ALL_YES

pytestmark = pytest.mark.django_db(transaction=True)

PRIVATE = "Private: the LMC vote was close; watch the conflicts register."


@pytest.fixture
def people(open_cycle):
    region = factories.RegionFactory(code="Y55", name="Midlands and East of England")
    team = factories.AreaTeamFactory(
        code="Q55", name="Derbyshire and Nottinghamshire", region=region
    )
    ccg = factories.CCGFactory(ods_code="04K", name="NHS Nottingham City CCG", area_team=team)
    other = factories.CCGFactory(
        ods_code="04E", name="NHS Mansfield and Ashfield CCG", area_team=team
    )
    lead = factories.ccg_staff(ccg, username="ccg.nottingham", first_name="Priya", last_name="Shah")
    reviewer = factories.reviewer(
        region, username="reviewer.midlands", first_name="Sam", last_name="Hughes"
    )
    factories.secretary(username="secretary", first_name="Ruth", last_name="Adeyemi")
    # Ours: submitted through the services (the CCG's pages have their own journey).
    proposal = ready_to_submit(ccg, open_cycle, lead)
    proposal = actions.submit(
        proposal=proposal, by=lead, expected_version=proposal.version
    ).proposal
    # Another CCG's proposal, already recommended, for the agenda.
    other_staff = factories.ccg_staff(other)
    waiting = ready_to_submit(other, open_cycle, other_staff)
    waiting = actions.submit(
        proposal=waiting, by=other_staff, expected_version=waiting.version
    ).proposal
    start_review(proposal=waiting, by=reviewer)
    save_review(review=waiting.reviews.get(), by=reviewer, answers=ALL_YES)
    recommend_to_committee(proposal=waiting, by=reviewer, recommend=True)
    return {"cycle": open_cycle, "proposal": proposal, "other": waiting, "ccg": ccg}


def answer_checklist(page, answers: dict[str, int]) -> None:
    """answers: field -> 0 (yes), 1 (no) or 2 (not applicable)."""
    for name, index in answers.items():
        page.locator(f"#id_{name}_{index}").check()


def test_review_changes_recommendation_committee_pack_decision_condition_go_live(
    journey, people, mailoutbox, tmp_path
):
    page, proposal, cycle = journey.page, people["proposal"], people["cycle"]
    reference = proposal.reference

    # -- the reviewer asks for changes -------------------------------------------------------
    journey.sign_in("reviewer.midlands")
    journey.check("home-reviewer")
    journey.click_link("Review proposals from your region's CCGs")
    expect(page.locator("h1")).to_have_text("Proposals to review")
    expect(page.get_by_text("Committee sign-off:").first).to_be_visible()
    journey.check("review-queue", screenshot=True)
    page.get_by_label("Model").select_option("delegated")
    page.get_by_label("Status").select_option("submitted")
    journey.click_button("Apply filters")
    expect(page.get_by_role("status")).to_have_text("1 proposal match the filters.")
    journey.check("review-queue-filtered")
    journey.click_link(reference)
    expect(page.locator("h1")).to_have_text("Review of the delegated commissioning proposal")
    journey.check("review-submitted", screenshot=True)
    journey.click_button("Start the review")
    expect(page.get_by_text(f"You started the review of {reference}.")).to_be_visible()
    answer_checklist(
        page, {"governance_compliant": 0, "constitution_acceptable": 0, "conflicts_managed": 1}
    )
    page.get_by_label("Comments for the CCG").fill("Say who chairs the committee.")
    page.get_by_label("Private notes").fill(PRIVATE)
    journey.click_button("Save draft")
    expect(page.get_by_text("Your review was saved as a draft.")).to_be_visible()
    expect(page.get_by_text("'conflicts of interest managed' is answered no.")).to_be_visible()
    journey.check("review-checklist-draft", screenshot=True)

    journey.click_link("Ask the CCG for changes")
    expect(page.get_by_label("What must the CCG change?")).to_have_value(
        "Say who chairs the committee."
    )
    page.get_by_label("What must the CCG change?").fill("")
    journey.click_button("Send the request for changes")
    assert journey.error_summary() == ["Enter the changes you are asking the CCG to make"]
    expect(page).to_have_title(re.compile("^Error: Ask the CCG for changes"))
    journey.check("decide-request-changes-errors", screenshot=True)
    page.get_by_label("What must the CCG change?").fill(
        "Say who chairs the committee and how GP members leave the room."
    )
    journey.click_button("Send the request for changes")
    expect(page.get_by_text("You asked NHS Nottingham City CCG for changes")).to_be_visible()
    expect(page.locator(".nhsuk-summary-list").first).to_contain_text("Changes requested")
    journey.check("review-changes-requested")
    journey.sign_out()

    # -- the CCG resubmits through its own pages -----------------------------------------------
    journey.sign_in("ccg.nottingham")
    journey.goto(f"/proposals/{reference}/")
    expect(page.locator("blockquote")).to_have_text(
        "Say who chairs the committee and how GP members leave the room."
    )
    assert "LMC vote" not in page.content()  # private notes never reach the CCG
    journey.check("ccg-overview-changes-requested")
    page.get_by_role("link", name="Conflicts of interest arrangements", exact=True).click()
    page.get_by_label("How will the CCG manage conflicts of interest?").fill(
        "The lay chair chairs the committee; GP members declare interests and leave the room."
    )
    journey.click_button("Save and continue")
    journey.click_link("Check your answers and resubmit")
    page.get_by_label("What did you change?").fill("Named the chair; GP members leave the room.")
    journey.click_button("Resubmit proposal")
    expect(page.locator(".nhsuk-panel__heading")).to_have_text("Proposal resubmitted")
    journey.sign_out()

    # -- the reviewer recommends -------------------------------------------------------------
    journey.sign_in("reviewer.midlands")
    journey.goto(f"/review/{reference}/")
    expect(page.get_by_text("Compare the submitted versions (2 versions)")).to_be_visible()
    journey.click_button("Start the review")
    answer_checklist(
        page,
        {
            "governance_compliant": 0,
            "constitution_acceptable": 0,
            "conflicts_managed": 0,
            "pooled_budget_compliant": 2,
            "special_measures_risk_accepted": 2,
        },
    )
    page.get_by_label("Your recommendation").fill("Recommended: the conflicts plan is now sound.")
    page.get_by_label("Conditions you propose").fill("Publish the conflicts of interest register")
    journey.click_button("Save draft")
    journey.click_link("Recommend to the Commissioning Committee")
    expect(page.get_by_text("The checklist is not complete")).to_have_count(0)
    journey.check("decide-recommend", screenshot=True)
    journey.click_button("Recommend to the committee")
    expect(
        page.get_by_text(f"You recommended {reference} to the Commissioning Committee.")
    ).to_be_visible()
    journey.check("review-recommended", screenshot=True)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.RECOMMENDED
    assert proposal.reviews.count() == 2
    journey.sign_out()

    # -- the secretary builds the agenda -------------------------------------------------------
    journey.sign_in("secretary")
    journey.check("home-secretary")
    journey.click_link("Commissioning Committee meetings, agendas and sign-off packs")
    journey.check("meetings-empty")
    journey.click_link("Create a meeting")
    journey.click_button("Create meeting")
    assert journey.error_summary() == [
        "Select the year the meeting decides proposals for",
        "Enter the date of the meeting",
        "Enter the time the meeting starts",
    ]
    journey.check("meeting-create-errors", screenshot=True)
    meets_on = timezone.localdate() + dt.timedelta(days=40)
    page.get_by_label(str(cycle), exact=True).check()
    journey.fill_date("meets_on", meets_on)
    page.get_by_label("Time").fill("10:00")
    page.get_by_label("Location (optional)").fill("Skipton House, London")
    page.get_by_label("Members (optional)").fill(
        "Sir Malcolm Grant, Chair\nSimon Stevens, Chief Executive"
    )
    journey.click_button("Create meeting")
    expect(page.locator("h1")).to_contain_text("Meeting on")
    journey.check("meeting-new", screenshot=True)
    page.get_by_role("button", name="Add NHS Mansfield and Ashfield CCG to the agenda").click()
    page.get_by_role("button", name="Add NHS Nottingham City CCG to the agenda").click()
    expect(
        page.get_by_text("NHS Nottingham City CCG added to the agenda as item 2.")
    ).to_be_visible()
    page.get_by_role("button", name="Up item 2, NHS Nottingham City CCG").click()
    page.wait_for_load_state("load")
    items = list(AgendaItem.objects.order_by("position").values_list("proposal_id", flat=True))
    assert items == [proposal.pk, people["other"].pk]
    journey.check("meeting-agenda", screenshot=True)

    # -- the sign-off pack -------------------------------------------------------------------
    journey.click_link("Generate or download the sign-off pack")
    journey.check("pack-none")
    journey.click_button("Generate pack")
    expect(page.get_by_text("Download the sign-off pack (PDF,")).to_be_visible()
    pack = SignOffPack.objects.get()
    assert pack.status == SignOffPack.Status.READY, pack.error
    expect(page.get_by_text(pack.sha256)).to_be_visible()
    journey.check("pack-ready", screenshot=True)
    with page.expect_download() as download:
        page.get_by_text("Download the sign-off pack (PDF,").click()
    saved = tmp_path / "pack.pdf"
    download.value.save_as(saved)
    assert hashlib.sha256(Path(saved).read_bytes()).hexdigest() == pack.sha256
    journey.click_link("Back to the meeting")

    # -- decisions: one with a condition, one in bulk ---------------------------------------------
    journey.click_link("Record decision on item 1, NHS Nottingham City CCG")
    journey.check("item-decision")
    page.get_by_label("Approved with conditions").check()
    journey.click_button("Record the decision")
    assert journey.error_summary() == ["Enter at least one condition, one per line"]
    journey.check("item-decision-errors", screenshot=True)
    page.get_by_label("Conditions", exact=True).fill("Publish the conflicts of interest register")
    page.get_by_label("Minute", exact=True).fill("Approved subject to publication of the register.")
    journey.click_button("Record the decision")
    expect(
        page.get_by_text("Decision recorded for item 1, NHS Nottingham City CCG")
    ).to_be_visible()
    expect(page.get_by_text("1 condition not met")).to_be_visible()
    page.get_by_label("Item 2: NHS Mansfield and Ashfield CCG").check()
    page.get_by_label("Deferred").check()
    journey.click_button("Record decision for the selected items")
    expect(page.get_by_text("Decision recorded for 1 item: deferred.")).to_be_visible()
    letter = DecisionLetter.objects.get(proposal=proposal)
    expect(
        page.get_by_role(
            "link", name=re.compile("NHS Nottingham City CCG: approved with conditions")
        )
    ).to_be_visible()
    journey.check("meeting-decided", screenshot=True)
    assert any(
        m.subject == f"Decision on NHS Nottingham City CCG's proposal {reference}"
        for m in mailoutbox
    )
    with page.expect_download() as download:
        page.get_by_role(
            "link", name=re.compile("NHS Nottingham City CCG: approved with conditions")
        ).click()
    assert download.value.suggested_filename == f"Decision letter {reference}.pdf"
    assert letter.sha256

    journey.click_link("Generate or download the sign-off pack")
    expect(page.get_by_text("This pack is out of date")).to_be_visible()
    journey.check("pack-out-of-date", screenshot=True)
    journey.click_link("Back to the meeting")

    # -- the condition is met; the proposal is ready to go live -----------------------------------
    page.get_by_role("link", name=re.compile("^Mark met")).click()
    journey.click_button("Mark as met")
    assert journey.error_summary() == ["Enter how the condition was met"]
    journey.check("condition-met-errors", screenshot=True)
    page.get_by_label("How was the condition met?").fill("Register published on the CCG's website.")
    journey.click_button("Mark as met")
    expect(
        page.get_by_text("Condition recorded as met for NHS Nottingham City CCG.")
    ).to_be_visible()
    expect(page.get_by_text("Ready to go live").first).to_be_visible()
    journey.check("meeting-ready-to-go-live", screenshot=True)
    page.get_by_role("link", name="NHS Nottingham City CCG", exact=True).click()
    go_live = page.locator("#go-live")
    expect(go_live).to_contain_text("Ready to go live")
    expect(go_live).to_contain_text(f"1 April {cycle.starts_on.year}")
    journey.check("review-ready-to-go-live", screenshot=True)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.APPROVED_WITH_CONDITIONS
    assert all(c.met_at for c in proposal.conditions.all())
    assert Review.objects.filter(proposal=proposal, private_notes=PRIVATE).exists()
    journey.sign_out()

    # The CCG's own letter, through the permission-checked download.
    journey.sign_in("ccg.nottingham")
    response = page.request.get(journey.base_url + f"/letters/{letter.pk}/")
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    assert page.request.get(journey.base_url + f"/committee/{pack.meeting_id}/pack/").status == 403


def test_the_pack_page_follows_a_pack_being_generated(journey, people):
    """With a real worker the pack takes a while: the page polls and shows it when ready."""
    from approvals.documents import generate_sign_off_pack
    from approvals.services import add_to_agenda, create_meeting

    secretary = factories.secretary(username="secretary.two")
    meeting = create_meeting(
        cycle=people["cycle"], meets_at=timezone.now() + dt.timedelta(days=30), by=secretary
    )
    add_to_agenda(meeting=meeting, proposal=people["other"], by=secretary)
    pack = SignOffPack.objects.create(meeting=meeting, requested_by=secretary)  # not relayed
    page = journey.page
    journey.sign_in("secretary.two")
    journey.goto(f"/committee/{meeting.pk}/pack/")
    expect(page.get_by_role("status")).to_contain_text("Status: Queued")
    journey.check("pack-queued", screenshot=True)
    generate_sign_off_pack(pack_id=pack.pk)  # the worker, here
    expect(page.get_by_text("Download the sign-off pack (PDF,")).to_be_visible(timeout=10_000)
    assert Proposal.objects.get(pk=people["other"].pk).state == ProposalState.RECOMMENDED
