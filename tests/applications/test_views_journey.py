"""The CCG's journey through the pages, with the test client: start page, choosing a model,
the task list, saving sections (with errors, as drafts, concurrently), check your answers,
submitting (once, even when posted twice), confirmation and email, joint partners, greater
involvement, changes requested and resubmission, withdrawal, area team comments."""

import html as htmllib
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from applications import actions
from applications.models import OutboxMessage, Proposal, ProposalSnapshot, ProposalState
from applications.services import create_proposal
from approvals.services import request_changes, start_review
from tests.applications.view_helpers import JANUARY_2ND, fill_in, ready_to_submit
from tests.factories import COMPLETE_ANSWERS, london

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_january_2015():
    # A test that needs another moment travels again inside this one.
    with time_machine.travel(JANUARY_2ND, tick=False):
        yield


def page(response) -> str:
    return htmllib.unescape(response.content.decode())


def error_summary(response) -> list[tuple[str, str]]:
    """(link target, message) for each error in the NHS.UK error summary."""
    html = page(response)
    block = re.search(r'<div class="nhsuk-error-summary".*?</ul>', html, re.S)
    assert block, "no error summary on the page"
    found = re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', block.group(0))
    return [(target, htmllib.unescape(message)) for target, message in found]


def section_url(proposal, key):
    return reverse("proposal_section", args=[proposal.reference, key])


# -- start page and choosing a model -------------------------------------------------------------


def test_the_start_page_shows_arrangement_proposals_and_deadlines_with_time_left(
    client, ccg, cycle, next_cycle, actors
):
    staff = actors["lead_ccg_staff"]
    client.force_login(staff)
    response = client.get(reverse("ccg_start"))
    html = page(response)
    assert response.status_code == 200
    assert "NHS Nottingham City CCG has no co-commissioning arrangement yet." in html
    assert "Delegated commissioning proposals due" in html
    assert "5 January 2015, 11:59pm" in html
    assert "3 days left" in html  # 2 January 10:00 to 5 January
    assert "28 days left" in html  # joint, 30 January
    assert "Start a new proposal" in html

    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    html = page(client.get(reverse("ccg_start")))
    assert proposal.reference in html
    assert "Draft" in html


def test_choosing_a_model_shows_errors_then_starts_a_draft(client, ccg, cycle, actors):
    client.force_login(actors["lead_ccg_staff"])
    url = reverse("proposal_start")
    response = client.post(url, {})
    assert response.status_code == 200
    assert error_summary(response) == [
        ("#id_model_0", "Select the level of co-commissioning you propose"),
        ("#id_cycle_0", "Select the year the arrangement should start in"),
    ]
    assert page(response).startswith("<!DOCTYPE html>")
    assert "<title>Error: Start a proposal" in page(response)

    response = client.post(url, {"model": "delegated", "cycle": cycle.pk})
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("proposal_overview", args=[proposal.reference])
    assert proposal.model == "delegated" and proposal.state == ProposalState.DRAFT
    assert proposal.transitions.get().actor == actors["lead_ccg_staff"]


@time_machine.travel(london(2015, 1, 6, 9), tick=False)
def test_a_model_whose_deadline_passed_cannot_be_started_and_the_choice_is_kept(
    client, ccg, cycle, actors
):
    client.force_login(actors["lead_ccg_staff"])
    response = client.post(reverse("proposal_start"), {"model": "delegated", "cycle": cycle.pk})
    assert error_summary(response) == [
        (
            "#id_cycle_0",
            "Proposals for delegated commissioning in 2015/16 closed on 5 January 2015. "
            "Choose a later year",
        )
    ]
    assert 'value="delegated" aria-describedby="id_model_2-hint" checked' in page(response)
    assert not Proposal.objects.exists()
    # Joint is still open until 30 January.
    assert (
        client.post(reverse("proposal_start"), {"model": "joint", "cycle": cycle.pk}).status_code
        == 302
    )


# -- the task list and sections ------------------------------------------------------------------


def test_the_task_list_shows_each_section_and_its_status(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    html = page(client.get(reverse("proposal_overview", args=[proposal.reference])))
    titles = re.findall(r'class="nhsuk-task-list__link nhsuk-link"[^>]*>([^<]+)</a>', html)
    assert titles == [
        "CCG and contact details",
        "Chosen model and start date",
        "Functions taken on",
        "Conflicts of interest arrangements",
        "Governing body approval and member practice engagement",
        "Resources agreed with the area team",
        "Constitution amendment",
        "Supporting documents",
    ]
    assert html.count("Not started") == 8


def test_a_section_with_errors_keeps_everything_typed_and_links_each_error(
    client, ccg, cycle, actors
):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    typed = {
        "contact_name": "Priya Shah",
        "contact_role": "",
        "contact_email": "priya at nhs",
        "contact_phone": "0115 496 0000",
        "action": "continue",
    }
    response = client.post(section_url(proposal, "contact"), typed)
    assert response.status_code == 200
    assert error_summary(response) == [
        ("#id_contact_role", "Enter the contact's job title"),
        (
            "#id_contact_email",
            "Enter an email address in the correct format, like name@example.nhs.uk",
        ),
    ]
    html = page(response)
    assert 'value="Priya Shah"' in html
    assert 'value="priya at nhs"' in html
    assert 'value="0115 496 0000"' in html
    assert 'id="id_contact_email_error"' in html
    proposal.refresh_from_db()
    assert proposal.pro_forma == {}


def test_save_as_draft_keeps_a_partial_section_and_the_task_list_says_in_progress(
    client, ccg, cycle, actors
):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    response = client.post(
        section_url(proposal, "contact"), {"contact_name": "Priya Shah", "action": "draft"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.pro_forma["contact"]["contact_name"] == "Priya Shah"
    saved = proposal.events.get(kind="other")
    assert (saved.actor, saved.detail) == (staff, "Saved 'CCG and contact details' as a draft")
    html = page(client.get(response["Location"]))
    assert "saved as a draft" in html
    assert re.search(r"CCG and contact details</a>.*?In progress", html, re.S)
    # Coming back later shows what was saved.
    assert 'value="Priya Shah"' in page(client.get(section_url(proposal, "contact")))
    # A draft still checks what was typed.
    response = client.post(
        section_url(proposal, "contact"), {"contact_email": "nope", "action": "draft"}
    )
    assert [m for _, m in error_summary(response)] == [
        "Enter an email address in the correct format, like name@example.nhs.uk"
    ]


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "", "", "Enter the date the governing body approved the proposal"),
        (
            "15",
            "",
            "2014",
            "The date the governing body approved the proposal must include a month",
        ),
        (
            "31",
            "2",
            "2014",
            "The date the governing body approved the proposal must be a real date",
        ),
        ("1", "2", "15", "The date the governing body approved the proposal must be a real date"),
        (
            "3",
            "1",
            "2015",
            "The date the governing body approved the proposal must be today or in the past",
        ),
        (
            "1",
            "1",
            "2012",
            "The date the governing body approved the proposal must be on or after 1 April 2013",
        ),
    ],
)
def test_dates_are_checked_with_nhs_messages_and_kept_as_typed(
    client, ccg, cycle, actors, day, month, year, message
):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    response = client.post(
        section_url(proposal, "governance"),
        {
            "governing_body_approved_on_day": day,
            "governing_body_approved_on_month": month,
            "governing_body_approved_on_year": year,
            "member_practice_engagement": "All practices voted.",
            "action": "continue",
        },
    )
    assert error_summary(response) == [("#id_governing_body_approved_on_0", message)]
    html = page(response)
    if year:
        assert (
            f'name="governing_body_approved_on_year" type="text" inputmode="numeric" value="{year}"'
            in html
        )
    assert "All practices voted." in html


def test_a_date_is_saved_in_iso_form_and_shown_in_three_boxes(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    response = client.post(
        section_url(proposal, "model_and_start"),
        {"start_date_day": "1", "start_date_month": "4", "start_date_year": "2015"},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.pro_forma["model_and_start"] == {"start_date": "2015-04-01"}
    html = page(client.get(section_url(proposal, "model_and_start")))
    assert 'name="start_date_day" type="text" inputmode="numeric" value="1"' in html
    assert 'name="start_date_year" type="text" inputmode="numeric" value="2015"' in html
    response = client.post(
        section_url(proposal, "model_and_start"),
        {"start_date_day": "1", "start_date_month": "4", "start_date_year": "2016"},
    )
    assert error_summary(response) == [
        (
            "#id_start_date_0",
            "Start date must be between 1 April 2015 and 31 March 2016, when 2015/16 "
            "arrangements can start",
        )
    ]


def test_a_pooled_budget_needs_its_compliance_statement_and_no_clears_it(
    client, ccg, cycle, actors
):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff)
    client.force_login(staff)
    url = section_url(proposal, "pooled_budget")
    response = client.post(url, {"pooled_budget": "yes", "action": "continue"})
    assert error_summary(response) == [
        (
            "#id_financial_instructions_compliance",
            "Enter how the pooled budget will comply with the financial instructions",
        )
    ]
    client.post(url, {"pooled_budget": "no", "financial_instructions_compliance": "stale"})
    proposal.refresh_from_db()
    assert proposal.pro_forma["pooled_budget"] == {
        "pooled_budget": "no",
        "financial_instructions_compliance": "",
    }


def test_delegated_functions_show_what_cannot_be_delegated(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    html = page(client.get(section_url(proposal, "delegated_functions")))
    for excluded in ["Performers lists", "Revalidation and appraisal", "List management"]:
        assert excluded in html
    assert "Quality and Outcomes Framework (QOF)" in html
    response = client.post(
        section_url(proposal, "delegated_functions"), {"functions": ["qof", "performers_lists"]}
    )
    assert [m for _, m in error_summary(response)] == [
        "Select a valid choice. performers_lists is not one of the available choices."
    ]


def test_a_section_saved_by_someone_else_meanwhile_is_not_overwritten(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    form_page = page(client.get(section_url(proposal, "resources")))
    loaded = re.search(r'name="loaded" value="([^"]+)"', form_page).group(1)
    # A colleague saves the same section first.
    actions.save_section(
        proposal=proposal,
        section="resources",
        answers={"resources_agreed": "Colleague's answer"},
        by=staff,
    )
    response = client.post(
        section_url(proposal, "resources"),
        {"resources_agreed": "My answer", "loaded": loaded, "action": "continue"},
    )
    assert response.status_code == 200
    assert "Someone else saved this section" in page(response)
    assert "My answer" in page(response)
    proposal.refresh_from_db()
    assert proposal.pro_forma["resources"] == {"resources_agreed": "Colleague's answer"}
    # Saving again, now knowingly, works.
    loaded = re.search(r'name="loaded" value="([^"]+)"', page(response)).group(1)
    response = client.post(
        section_url(proposal, "resources"),
        {"resources_agreed": "My answer", "loaded": loaded, "action": "continue"},
    )
    assert response.status_code == 302


# -- check your answers and submit ---------------------------------------------------------------


def test_check_your_answers_lists_what_is_missing_and_offers_no_button(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    html = page(client.get(reverse("proposal_check", args=[proposal.reference])))
    assert "You cannot submit yet" in html
    assert "Complete the section 'Functions taken on'." in html
    assert "Upload the conflicts of interest policy." in html
    assert "Submit proposal</button>" not in html
    # Posting anyway is refused with the same reasons, and nothing changes.
    response = client.post(
        reverse("proposal_check", args=[proposal.reference]), {"version": proposal.version}
    )
    assert response.status_code == 200
    assert "Every section of the pro forma must be complete." in page(response)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.DRAFT


def test_submitting_twice_makes_one_submission_one_email_and_one_confirmation(
    client, ccg, cycle, actors, django_capture_on_commit_callbacks
):
    staff = actors["lead_ccg_staff"]
    proposal = ready_to_submit(ccg, cycle, staff)
    client.force_login(staff)
    check = client.get(reverse("proposal_check", args=[proposal.reference]))
    html = page(check)
    assert "Priya Shah" in html and "Submit proposal</button>" in html
    assert 'Change<span class="nhsuk-u-visually-hidden"> full name</span>' in html
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            reverse("proposal_check", args=[proposal.reference]), {"version": version}
        )
        second = client.post(
            reverse("proposal_check", args=[proposal.reference]), {"version": version}
        )
    confirmation = reverse("proposal_confirmation", args=[proposal.reference])
    assert first["Location"] == second["Location"] == confirmation
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.SUBMITTED
    assert proposal.transitions.filter(name="submit").count() == 1
    assert ProposalSnapshot.objects.filter(proposal=proposal).count() == 1
    assert OutboxMessage.objects.filter(dedupe_key__startswith="submitted:").count() == 1
    assert len(mail.outbox) == 1
    assert "priya.shah@example.nhs.uk" in mail.outbox[0].to
    assert staff.email in mail.outbox[0].to
    assert proposal.reference in mail.outbox[0].subject

    html = page(client.get(confirmation))
    assert "Proposal submitted" in html
    assert f"<strong>{proposal.reference}</strong>" in html
    # The check page now sends them back to the proposal, which says it is submitted.
    response = client.get(reverse("proposal_check", args=[proposal.reference]))
    assert response.status_code == 302
    assert "Submitted" in page(client.get(response["Location"]))


def test_a_stale_check_page_is_told_the_proposal_changed(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = ready_to_submit(ccg, cycle, staff)
    client.force_login(staff)
    stale = proposal.version
    actions.save_section(
        proposal=proposal,
        section="resources",
        answers={"resources_agreed": "Changed in another tab"},
        by=staff,
    )
    response = client.post(reverse("proposal_check", args=[proposal.reference]), {"version": stale})
    assert response.status_code == 200
    assert "was changed since you checked your answers" in page(response)
    assert f'name="version" value="{stale + 1}"' in page(response)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.DRAFT


# -- joint proposals and partners ----------------------------------------------------------------


def test_a_joint_proposal_waits_for_its_partner_who_confirms_in_the_browser(
    client, ccg, partner_ccg, foreign_ccg, cycle, actors
):
    lead = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=lead)
    client.force_login(lead)
    partners_url = reverse("proposal_partners", args=[proposal.reference])
    html = page(client.get(partners_url))
    assert partner_ccg.name in html and foreign_ccg.name not in html  # same area team only
    response = client.post(partners_url, {"partners": [foreign_ccg.pk]})
    assert [m for _, m in error_summary(response)] == ["Select CCGs from the list"]
    assert client.post(partners_url, {"partners": [partner_ccg.pk]}).status_code == 302
    fill_in(proposal, lead)
    from tests.applications.view_helpers import attach_all

    attach_all(proposal, lead)
    html = page(client.get(reverse("proposal_check", args=[proposal.reference])))
    assert f"{partner_ccg.name} must confirm its governing body's agreement." in html

    partner = actors["partner_ccg_staff"]
    client.force_login(partner)
    html = page(client.get(reverse("ccg_start")))
    assert "waiting for your governing body's agreement" in html
    overview = page(client.get(reverse("proposal_overview", args=[proposal.reference])))
    assert "Confirm your governing body's agreement" in overview
    assert "Model terms of reference adopted." in overview  # partners can read the answers
    agreement = reverse("proposal_agreement", args=[proposal.reference])
    response = client.post(agreement, {"governing_body_agreed_on_day": "14"})
    assert [m for _, m in error_summary(response)] == [
        "The date your governing body agreed must include a month and a year",
        "Confirm your governing body has agreed",
    ]
    response = client.post(
        agreement,
        {
            "governing_body_agreed_on_day": "14",
            "governing_body_agreed_on_month": "12",
            "governing_body_agreed_on_year": "2014",
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    link = proposal.partner_links.get()
    assert link.agreed_by == partner and str(link.governing_body_agreed_on) == "2014-12-14"
    assert proposal.events.filter(kind="partner_agreed").count() == 1

    client.force_login(lead)
    proposal.refresh_from_db()
    response = client.post(
        reverse("proposal_check", args=[proposal.reference]), {"version": proposal.version}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.SUBMITTED
    snapshot = proposal.snapshots.get()
    assert snapshot.partners == [
        {"ccg": partner_ccg.ods_code, "name": partner_ccg.name, "agreed_on": "2014-12-14"}
    ]


# -- greater involvement -------------------------------------------------------------------------


def test_greater_involvement_is_a_short_form_recorded_without_review(
    client, ccg, cycle, actors, django_capture_on_commit_callbacks
):
    staff = actors["lead_ccg_staff"]
    client.force_login(staff)
    client.post(reverse("proposal_start"), {"model": "greater_involvement", "cycle": cycle.pk})
    proposal = Proposal.objects.get()
    html = page(client.get(reverse("proposal_overview", args=[proposal.reference])))
    titles = re.findall(r'class="nhsuk-task-list__link nhsuk-link"[^>]*>([^<]+)</a>', html)
    assert titles == ["CCG and contact details", "Arrangement agreed with the area team"]
    assert "Check your answers and record" in html
    fill_in(proposal, staff)
    proposal.refresh_from_db()
    html = page(client.get(reverse("proposal_check", args=[proposal.reference])))
    assert "Record the arrangement</button>" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("proposal_check", args=[proposal.reference]), {"version": proposal.version}
        )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.RECORDED
    assert "Arrangement recorded" in page(client.get(response["Location"]))
    assert len(mail.outbox) == 1 and "is recorded" in mail.outbox[0].subject
    assert "Greater involvement, recorded" in page(client.get(reverse("ccg_start")))


# -- changes requested, resubmission, the version comparison ---------------------------------------


def test_after_a_request_for_changes_the_ccg_edits_and_resubmits_and_reviewers_see_the_changes(
    client, ccg, cycle, actors
):
    staff, reviewer = actors["lead_ccg_staff"], actors["regional_reviewer"]
    proposal = ready_to_submit(ccg, cycle, staff)
    actions.submit(proposal=proposal, by=staff, expected_version=proposal.version)
    start_review(proposal=proposal, by=reviewer)
    request_changes(
        proposal=proposal, by=reviewer, comments="Say who chairs the committee when GPs leave."
    )

    client.force_login(staff)
    overview_url = reverse("proposal_overview", args=[proposal.reference])
    html = page(client.get(overview_url))
    assert "The regional office asked for changes" in html
    assert "Say who chairs the committee when GPs leave." in html
    assert "Check your answers and resubmit" in html

    response = client.post(
        section_url(proposal, "conflicts_of_interest"),
        {"arrangements": "The lay vice-chair chairs when GPs leave.", "action": "continue"},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    check = reverse("proposal_check", args=[proposal.reference])
    response = client.post(check, {"version": proposal.version})
    assert error_summary(response) == [
        ("#id_summary_of_changes", "Enter a summary of what you changed")
    ]
    response = client.post(
        check, {"version": proposal.version, "summary_of_changes": "Named the chair."}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.RESUBMITTED
    assert proposal.transitions.latest("pk").reason == "Named the chair."
    assert "Proposal resubmitted" in page(client.get(response["Location"]))

    client.force_login(reviewer)
    html = page(client.get(overview_url))
    assert "Compare the submitted versions" in html
    html = page(client.get(reverse("proposal_changes", args=[proposal.reference])))
    assert "Conflicts of interest arrangements" in html
    assert COMPLETE_ANSWERS["conflicts_of_interest"]["arrangements"] in html
    assert "The lay vice-chair chairs when GPs leave." in html
    assert "Named the chair." in html
    assert "Functions taken on" not in html  # unchanged sections are not listed


# -- withdrawal ----------------------------------------------------------------------------------


def test_withdrawing_needs_a_reason_and_is_recorded(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = ready_to_submit(ccg, cycle, staff)
    actions.submit(proposal=proposal, by=staff, expected_version=proposal.version)
    client.force_login(staff)
    url = reverse("proposal_withdraw", args=[proposal.reference])
    response = client.post(url, {"reason": "   "})
    assert error_summary(response) == [("#id_reason", "Enter why you are withdrawing the proposal")]
    response = client.post(url, {"reason": "Merging with a neighbouring CCG"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.WITHDRAWN
    row = proposal.transitions.latest("pk")
    assert (row.name, row.reason, row.actor) == (
        "withdraw",
        "Merging with a neighbouring CCG",
        staff,
    )
    # A replay changes nothing; the page no longer offers to withdraw.
    assert client.post(url, {"reason": "again"}).status_code == 302
    assert proposal.transitions.filter(name="withdraw").count() == 1
    html = page(client.get(reverse("proposal_overview", args=[proposal.reference])))
    assert "Withdraw this proposal" not in html
    assert "See the confirmation" not in html
    confirmation = client.get(reverse("proposal_confirmation", args=[proposal.reference]))
    assert confirmation.status_code == 302  # "what happens next" no longer applies


def test_a_decided_proposal_cannot_be_withdrawn(client, ccg, cycle, actors):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=staff)
    Proposal.objects.filter(pk=proposal.pk).update(state=ProposalState.APPROVED)
    client.force_login(staff)
    response = client.post(
        reverse("proposal_withdraw", args=[proposal.reference]), {"reason": "Changed our minds"}
    )
    assert response.status_code == 302
    assert "can no longer be withdrawn" in page(client.get(response["Location"]))
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.APPROVED


# -- area team staff -----------------------------------------------------------------------------


def test_area_team_staff_read_and_comment_and_the_ccg_sees_the_comment(client, ccg, cycle, actors):
    staff, area = actors["lead_ccg_staff"], actors["area_team_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    fill_in(proposal, staff)
    client.force_login(area)
    assert proposal.reference in page(client.get(reverse("proposal_list")))
    overview_url = reverse("proposal_overview", args=[proposal.reference])
    html = page(client.get(overview_url))
    assert "Priya Shah" in html and "Add comment" in html
    assert "nhsuk-task-list" not in html  # read only
    comment_url = reverse("proposal_comment", args=[proposal.reference])
    response = client.post(comment_url, {"text": ""})
    assert error_summary(response) == [("#id_text", "Enter your comment")]
    client.post(comment_url, {"text": "Please add the LMC's view."})
    client.post(comment_url, {"text": "Please add the LMC's view."})  # a double click
    assert proposal.events.filter(kind="comment").count() == 1

    client.force_login(staff)
    html = page(client.get(overview_url))
    assert "Please add the LMC's view." in html
    assert "Add comment" not in html
