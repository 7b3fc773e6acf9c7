"""The whole CCG journey in Chromium, for a delegated and a joint proposal: signing in, the
start page, a validation error, a saved draft, uploads (one refused), check your answers,
submitting and the confirmation; a partner CCG's agreement; area team comments; a request
for changes, resubmission and the version comparison. axe-core checks every page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Proposal, ProposalState
from tests import factories
from tests.applications.view_helpers import docx_bytes, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(open_cycle):
    region = factories.RegionFactory(code="Y55", name="Midlands and East of England")
    team = factories.AreaTeamFactory(
        code="Q55", name="Derbyshire and Nottinghamshire", region=region
    )
    lead_ccg = factories.CCGFactory(ods_code="04K", name="NHS Nottingham City CCG", area_team=team)
    partner_ccg = factories.CCGFactory(
        ods_code="04L", name="NHS Nottingham North and East CCG", area_team=team
    )
    return {
        "lead": factories.ccg_staff(
            lead_ccg, username="ccg.nottingham", first_name="Priya", last_name="Shah"
        ),
        "partner": factories.ccg_staff(
            partner_ccg, username="ccg.nne", first_name="Tom", last_name="Ellis"
        ),
        "area": factories.area_team_staff(
            team, username="area.derbynotts", first_name="Grace", last_name="Okafor"
        ),
        "reviewer": factories.reviewer(
            region, username="reviewer.midlands", first_name="Sam", last_name="Hughes"
        ),
        "partner_ccg": partner_ccg,
        "cycle": open_cycle,
    }


def recent(days_ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)


def upload(journey, kind_label: str, name: str, content: bytes, mime: str) -> None:
    page = journey.page
    page.get_by_label(kind_label, exact=True).check()
    page.locator("#id_file").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}]
    )
    journey.click_button("Upload")


def fill_contact(journey) -> None:
    page = journey.page
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Job title").fill("Head of primary care")
    page.get_by_label("Email address").fill("priya.shah@example.nhs.uk")
    page.get_by_label("Telephone number").fill("0115 496 0000")
    journey.click_button("Save and continue")


def open_task(journey, title: str, check_name: str | None = None) -> None:
    journey.page.get_by_role("link", name=title, exact=True).click()
    journey.page.wait_for_load_state("load")
    if check_name:
        journey.check(check_name, screenshot=True)


def test_a_delegated_proposal_from_sign_in_to_confirmation(journey, people, mailoutbox):
    page, cycle = journey.page, people["cycle"]
    journey.goto("/")
    journey.check("home-signed-out")
    journey.goto("/sign-in/")
    journey.check("sign-in")
    journey.sign_in("ccg.nottingham")
    journey.check("home-ccg-staff")
    journey.click_link("Go to NHS Nottingham City CCG's proposals")
    expect(page.locator("h1")).to_have_text("NHS Nottingham City CCG")
    expect(page.get_by_text("14 days left")).to_be_visible()
    journey.check("ccg-start", screenshot=True)

    # Choosing a model: first without choosing, which is refused with an error summary.
    journey.click_link("Start a new proposal")
    journey.check("proposal-start")
    journey.click_button("Start proposal")
    assert journey.error_summary() == [
        "Select the level of co-commissioning you propose",
        "Select the year the arrangement should start in",
    ]
    expect(page).to_have_title(re.compile("^Error: Start a proposal"))
    journey.check("proposal-start-errors", screenshot=True)
    page.locator(".nhsuk-error-summary").get_by_role("link").first.click()
    expect(page.locator("#id_model_0")).to_be_focused()
    page.get_by_label("Delegated commissioning").check()
    page.get_by_label(f"{cycle} (from 1 April {cycle.starts_on.year})").check()
    journey.click_button("Start proposal")
    proposal = Proposal.objects.get()
    expect(page.locator("h1")).to_have_text("Delegated commissioning proposal")
    expect(page.get_by_text(proposal.reference).first).to_be_visible()
    journey.check("task-list-new", screenshot=True)

    # A saved draft: half the contact details, saved, then the page left and come back to.
    open_task(journey, "CCG and contact details", "section-contact")
    page.get_by_label("Full name").fill("Priya Shah")
    journey.click_button("Save as draft")
    assert journey.task_status("CCG and contact details") == "In progress"
    journey.sign_out()
    journey.sign_in("ccg.nottingham")
    journey.goto(f"/proposals/{proposal.reference}/")
    open_task(journey, "CCG and contact details")
    expect(page.get_by_label("Full name")).to_have_value("Priya Shah")

    # A validation error keeps what was typed.
    page.get_by_label("Job title").fill("Head of primary care")
    page.get_by_label("Email address").fill("priya.shah at nhs")
    journey.click_button("Save and continue")
    assert journey.error_summary() == [
        "Enter an email address in the correct format, like name@example.nhs.uk",
        "Enter the contact's telephone number",
    ]
    expect(page.get_by_label("Job title")).to_have_value("Head of primary care")
    expect(page.get_by_label("Email address")).to_have_value("priya.shah at nhs")
    journey.check("section-contact-errors", screenshot=True)
    fill_contact(journey)
    assert journey.task_status("CCG and contact details") == "Completed"

    open_task(journey, "Chosen model and start date", "section-model-and-start")
    journey.fill_date("start_date", cycle.starts_on)
    journey.click_button("Save and continue")

    open_task(journey, "Functions taken on", "section-delegated-functions")
    expect(page.get_by_text("Performers lists")).to_be_visible()
    page.get_by_label("GMS, PMS and APMS contracts").check()
    page.get_by_label("Enhanced services (LES and DES)").check()
    page.get_by_label("Quality and Outcomes Framework (QOF)").check()
    journey.click_button("Save and continue")

    open_task(journey, "Conflicts of interest arrangements")
    page.get_by_label("How will the CCG manage conflicts of interest?").fill(
        "A lay member chairs the committee; GP members declare interests and leave the room."
    )
    journey.click_button("Save and continue")

    open_task(
        journey, "Governing body approval and member practice engagement", "section-governance"
    )
    journey.fill_date("governing_body_approved_on", recent(1) + dt.timedelta(days=3))
    page.get_by_label("How did you engage your member practices?").fill("All 58 practices voted.")
    journey.click_button("Save and continue")
    assert journey.error_summary() == [
        "The date the governing body approved the proposal must be today or in the past"
    ]
    journey.check("section-governance-errors", screenshot=True)
    journey.fill_date("governing_body_approved_on", recent(7))
    journey.click_button("Save and continue")

    open_task(journey, "Resources agreed with the area team")
    page.get_by_label("What resources have you agreed with the area team?").fill(
        "Two band 7 posts transfer from the area team."
    )
    journey.click_button("Save and continue")

    open_task(journey, "Constitution amendment")
    page.get_by_label("What does the constitution amendment change?").fill(
        "Adds the primary care commissioning committee."
    )
    journey.fill_date("constitution_amendment_agreed_on", recent(10))
    journey.click_button("Save and continue")

    # Uploads: one refused (a web page renamed .pdf), three accepted.
    open_task(journey, "Supporting documents", "documents")
    upload(
        journey,
        "Constitution amendment",
        "constitution.pdf",
        b"<html><body>hi</body></html>",
        "application/pdf",
    )
    assert journey.error_summary() == [
        "The selected file is not a real PDF. Save or export it again as a PDF or .docx and "
        "upload that."
    ]
    journey.check("documents-upload-error", screenshot=True)
    upload(
        journey, "Constitution amendment", "Constitution 2015.pdf", pdf_bytes(), "application/pdf"
    )
    upload(
        journey,
        "Conflicts of interest policy",
        "Conflicts of interest policy.docx",
        docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    upload(
        journey,
        "Governing body resolution",
        "Resolution.pdf",
        pdf_bytes("Resolved"),
        "application/pdf",
    )
    expect(
        page.get_by_text("You have uploaded every document this proposal needs.")
    ).to_be_visible()
    journey.check("documents-uploaded", screenshot=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Constitution 2015.pdf (download)").click()
    assert download.value.suggested_filename == "Constitution 2015.pdf"
    page.get_by_role("link", name="Remove Resolution.pdf").click()
    journey.check("document-remove")
    page.get_by_role("link", name="No, keep it").click()
    journey.click_link("Return to your proposal")
    for title in ["CCG and contact details", "Constitution amendment", "Supporting documents"]:
        assert journey.task_status(title) == "Completed"
    journey.check("task-list-complete", screenshot=True)

    # Check your answers, change one answer from there, submit, confirmation.
    journey.click_link("Check your answers and submit")
    journey.check("check-answers", screenshot=True)
    page.get_by_role("link", name="Change job title").click()
    page.get_by_label("Job title").fill("Director of primary care")
    journey.click_button("Save and continue")
    expect(page.locator("h1")).to_contain_text("Check your answers before submitting")
    expect(page.get_by_text("Director of primary care")).to_be_visible()
    journey.click_button("Submit proposal")
    expect(page.locator(".nhsuk-panel__heading")).to_have_text("Proposal submitted")
    expect(page.locator(".nhsuk-panel__body")).to_contain_text(proposal.reference)
    journey.check("confirmation", screenshot=True)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.SUBMITTED
    assert [m.subject for m in mailoutbox] == [
        f"NHS Nottingham City CCG's proposal {proposal.reference} has been submitted"
    ]
    assert "priya.shah@example.nhs.uk" in mailoutbox[0].to

    # The browser's back button and a re-post do not submit again.
    page.go_back()
    page.wait_for_load_state("load")
    journey.goto(f"/proposals/{proposal.reference}/")
    journey.check("overview-submitted", screenshot=True)
    assert proposal.transitions.filter(name="submit").count() == 1
    journey.click_link("Withdraw this proposal")
    journey.check("withdraw")
    journey.click_button("Withdraw proposal")
    assert journey.error_summary() == ["Enter why you are withdrawing the proposal"]
    journey.check("withdraw-errors")


def test_a_joint_proposal_with_a_partner_then_comments_changes_and_resubmission(
    journey, people, mailoutbox
):
    page, cycle = journey.page, people["cycle"]
    journey.sign_in("ccg.nottingham")
    journey.goto("/proposals/start/")
    page.get_by_label("Joint commissioning").check()
    page.get_by_label(f"{cycle} (from 1 April {cycle.starts_on.year})").check()
    journey.click_button("Start proposal")
    proposal = Proposal.objects.get()

    open_task(journey, "CCG and contact details")
    fill_contact(journey)
    open_task(journey, "Chosen model and start date")
    journey.fill_date("start_date", cycle.starts_on)
    journey.click_button("Save and continue")

    open_task(journey, "Partner CCGs", "partners")
    page.get_by_label("NHS Nottingham North and East CCG").check()
    journey.click_button("Save and continue")
    assert journey.task_status("Partner CCGs") == "Waiting for partners"

    open_task(journey, "Joint committee or committee in common", "section-joint-committee")
    page.get_by_label("A joint committee with the area team").check()
    page.get_by_label("Terms of reference").fill("Model terms of reference adopted unchanged.")
    journey.click_button("Save and continue")

    # With a pooled budget, its compliance with the financial instructions is required.
    open_task(journey, "Pooled budget")
    follow_up = page.get_by_label(
        "How will the pooled budget comply with the financial instructions?"
    )
    page.get_by_label("Yes", exact=True).check()
    journey.click_button("Save and continue")
    assert journey.error_summary() == [
        "Enter how the pooled budget will comply with the financial instructions"
    ]
    journey.check("section-pooled-budget-errors", screenshot=True)
    page.locator(".nhsuk-error-summary").get_by_role("link").first.click()
    expect(follow_up).to_be_focused()
    follow_up.fill("Hosted by the CCG under its standing financial instructions.")
    journey.click_button("Save and continue")

    open_task(journey, "Constitution amendment")
    page.get_by_label("What does the constitution amendment change?").fill(
        "Adds the joint committee."
    )
    journey.fill_date("constitution_amendment_agreed_on", recent(10))
    journey.click_button("Save and continue")
    open_task(journey, "Supporting documents")
    upload(journey, "Constitution amendment", "Constitution.pdf", pdf_bytes(), "application/pdf")
    upload(
        journey,
        "Terms of reference of the joint committee",
        "ToR.pdf",
        pdf_bytes("ToR"),
        "application/pdf",
    )
    journey.click_link("Return to your proposal")

    journey.click_link("Check your answers and submit")
    expect(
        page.get_by_text(
            "NHS Nottingham North and East CCG must confirm its governing body's agreement."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Submit proposal")).to_have_count(0)
    journey.check("check-answers-waiting", screenshot=True)
    journey.sign_out()

    # The partner CCG confirms its governing body's agreement.
    journey.sign_in("ccg.nne")
    journey.click_link("Go to NHS Nottingham North and East CCG's proposals")
    expect(page.get_by_text("waiting for your governing body's agreement")).to_be_visible()
    journey.check("partner-start")
    journey.click_link(proposal.reference)
    journey.check("overview-partner", screenshot=True)
    journey.click_link("Confirm your governing body's agreement")
    journey.check("agreement")
    journey.click_button("Confirm agreement")
    assert journey.error_summary() == [
        "Enter the date your governing body agreed to join",
        "Confirm your governing body has agreed",
    ]
    journey.check("agreement-errors", screenshot=True)
    journey.fill_date("governing_body_agreed_on", recent(3))
    page.get_by_label("I confirm my CCG's governing body has agreed").check()
    journey.click_button("Confirm agreement")
    expect(
        page.get_by_text("You confirmed NHS Nottingham North and East CCG's agreement")
    ).to_be_visible()
    journey.sign_out()

    # The lead submits.
    journey.sign_in("ccg.nottingham")
    journey.goto(f"/proposals/{proposal.reference}/check/")
    journey.click_button("Submit proposal")
    expect(page.locator(".nhsuk-panel__heading")).to_have_text("Proposal submitted")
    journey.sign_out()

    # The area team reads and comments.
    journey.sign_in("area.derbynotts")
    journey.click_link("See proposals")
    journey.check("proposal-list", screenshot=True)
    journey.click_link(proposal.reference)
    journey.click_button("Add comment")
    assert journey.error_summary() == ["Enter your comment"]
    journey.check("overview-comment-error")
    page.get_by_label("Add a comment").fill("The LMC supports this proposal.")
    journey.click_button("Add comment")
    expect(page.get_by_text("The LMC supports this proposal.")).to_be_visible()
    journey.check("overview-area-team", screenshot=True)
    journey.sign_out()

    # The region asks for changes (its pages are another issue's: use the service).
    from approvals.services import request_changes, start_review

    reviewer = people["reviewer"]
    start_review(proposal=proposal, by=reviewer)
    request_changes(proposal=proposal, by=reviewer, comments="Name the pooled budget's host.")

    journey.sign_in("ccg.nottingham")
    journey.goto(f"/proposals/{proposal.reference}/")
    expect(page.locator("blockquote")).to_have_text("Name the pooled budget's host.")
    journey.check("overview-changes-requested", screenshot=True)
    open_task(journey, "Pooled budget")
    page.get_by_label("How will the pooled budget comply with the financial instructions?").fill(
        "Hosted by NHS Nottingham City CCG under its standing financial instructions."
    )
    journey.click_button("Save and continue")
    journey.click_link("Check your answers and resubmit")
    journey.click_button("Resubmit proposal")
    assert journey.error_summary() == ["Enter a summary of what you changed"]
    journey.check("check-answers-resubmit-errors", screenshot=True)
    page.get_by_label("What did you change?").fill("Named the host of the pooled budget.")
    journey.click_button("Resubmit proposal")
    expect(page.locator(".nhsuk-panel__heading")).to_have_text("Proposal resubmitted")
    journey.sign_out()

    journey.sign_in("reviewer.midlands")
    journey.goto(f"/proposals/{proposal.reference}/")
    journey.check("overview-reviewer")
    journey.click_link("Compare the submitted versions")
    expect(page.get_by_text("Hosted by NHS Nottingham City CCG under its standing")).to_be_visible()
    expect(page.get_by_text("Named the host of the pooled budget.")).to_be_visible()
    journey.check("version-comparison", screenshot=True)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.RESUBMITTED
    subjects = [m.subject for m in mailoutbox]
    assert (
        f"NHS Nottingham City CCG's proposal {proposal.reference} has been resubmitted" in subjects
    )


def test_greater_involvement_and_the_error_pages(journey, people, open_cycle):
    page = journey.page
    journey.sign_in("ccg.nottingham")
    journey.goto("/proposals/start/")
    page.get_by_label("Greater involvement").check()
    page.get_by_label(f"{open_cycle} (from 1 April {open_cycle.starts_on.year})").check()
    journey.click_button("Start proposal")
    proposal = Proposal.objects.get()
    open_task(journey, "CCG and contact details")
    fill_contact(journey)
    open_task(journey, "Arrangement agreed with the area team", "section-greater-involvement")
    page.get_by_label("What have you agreed with the area team?").fill("Monthly joint review.")
    journey.fill_date("agreed_with_area_team_on", recent(2))
    journey.click_button("Save and continue")
    journey.click_link("Check your answers and record")
    journey.check("check-answers-greater-involvement")
    journey.click_button("Record the arrangement")
    expect(page.locator(".nhsuk-panel__heading")).to_have_text("Arrangement recorded")
    journey.check("confirmation-greater-involvement", screenshot=True)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.RECORDED

    journey.goto("/proposals/CC9999-XXX-J1/")
    expect(page.locator("h1")).to_have_text("Page not found")
    journey.check("not-found")
    journey.goto("/proposals/")
    journey.check("proposal-list-ccg")
    journey.goto(f"/proposals/{proposal.reference}/agreement/")
    expect(page.locator("h1")).to_have_text("You do not have permission to view this page")
    journey.check("forbidden")
