"""The committee secretary's pages as the secretary uses them: a meeting, its agenda, the
decisions (one at a time and several at once), conditions met, decision letters, and the
sign-off pack from 'Generate' to download and 'out of date'."""

import hashlib
import re

import pytest
import time_machine
from django.urls import reverse

from applications.models import Proposal, ProposalCondition, ProposalState
from approvals.models import (
    AgendaItem,
    CommitteeMeeting,
    DecisionLetter,
    MeetingRecord,
    SignOffPack,
)
from approvals.services import record_committee_decision, request_sign_off_pack
from tests.approvals import world as worlds
from tests.approvals.test_views_review import banner, errors, text
from tests.factories import london

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


@pytest.fixture
def secretary(client, actors):
    client.force_login(actors["committee_secretary"])
    return client


def meeting_url(world, name="approvals:meeting", *args):
    return reverse(name, args=[world["meeting"].pk, *args])


def test_creating_a_meeting(secretary, cycle):
    url = reverse("approvals:meeting_create")
    response = secretary.post(url, {"title": ""})
    assert errors(response) == [
        "Select the year the meeting decides proposals for",
        "Enter the date of the meeting",
        "Enter the time the meeting starts",
        "Enter the title of the meeting",
    ]
    data = {
        "cycle": cycle.pk,
        "meets_on_day": "16",
        "meets_on_month": "2",
        "meets_on_year": "2015",
        "meets_at_time": "25:00",
        "title": "NHS England Commissioning Committee",
        "members": "Sir Malcolm Grant, Chair\nSimon Stevens, Chief Executive",
    }
    response = secretary.post(url, data)
    assert errors(response) == ["Enter the time on the 24-hour clock, for example 10:00"]
    assert secretary.post(url, {**data, "meets_at_time": "10:00"}).status_code == 302
    meeting = CommitteeMeeting.objects.get()
    assert meeting.meets_at == london(2015, 2, 16, 10)
    assert meeting.member_list() == ["Sir Malcolm Grant, Chair", "Simon Stevens, Chief Executive"]
    page = secretary.get(reverse("approvals:meetings"))
    assert "NHS England Commissioning Committee, 16 February 2015, 10am" in text(page)


def test_building_the_agenda(secretary, world):
    r2, r, x = world["R2"], world["R"], world["X"]
    page = secretary.get(meeting_url(world))
    assert page.context["awaiting"] == [r2]
    assert [i.proposal for i in page.context["items"]] == [r, x]

    response = secretary.post(meeting_url(world, "approvals:agenda_add"), {"proposal": r2.pk})
    page = secretary.get(response["Location"])
    assert "NHS Hardwick CCG added to the agenda as item 3." in banner(page)
    assert page.context["awaiting"] == []
    # Adding it twice (a second tab) is refused with a reason.
    response = secretary.post(meeting_url(world, "approvals:agenda_add"), {"proposal": r2.pk})
    assert "already on this agenda" in banner(secretary.get(response["Location"]))

    item = AgendaItem.objects.get(proposal=r2)
    secretary.post(meeting_url(world, "approvals:agenda_move", item.pk), {"direction": "up"})
    secretary.post(meeting_url(world, "approvals:agenda_move", item.pk), {"direction": "up"})
    assert list(world["meeting"].items.values_list("proposal", flat=True)) == [r2.pk, r.pk, x.pk]
    secretary.post(meeting_url(world, "approvals:agenda_move", item.pk), {"direction": "down"})
    assert list(world["meeting"].items.values_list("proposal", flat=True)) == [r.pk, r2.pk, x.pk]

    response = secretary.post(meeting_url(world, "approvals:agenda_remove", item.pk))
    assert "NHS Hardwick CCG removed from the agenda." in banner(
        secretary.get(response["Location"])
    )
    assert list(world["meeting"].items.values_list("position", flat=True)) == [1, 2]
    # A decided item stays: no button, and a forged POST is refused.
    page = secretary.get(meeting_url(world))
    assert "Remove item 2, NHS Nottingham City CCG" not in text(page)
    response = secretary.post(meeting_url(world, "approvals:agenda_remove", world["x_item"].pk))
    assert "stays on the agenda" in banner(secretary.get(response["Location"]))
    log = [r.action for r in page.context["records"]]
    assert log.count("added to the agenda") == 3
    assert {"moved up", "moved down", "removed from the agenda"} <= set(log)
    assert "Moved up: " + r2.reference in text(page)


def test_recording_a_decision_with_conditions_and_its_letter(
    secretary, world, actors, django_capture_on_commit_callbacks
):
    item = world["r_item"]
    url = meeting_url(world, "approvals:item_decision", item.pk)
    response = secretary.post(url, {"decision": "approved_with_conditions", "conditions": " \n"})
    assert errors(response) == ["Enter at least one condition, one per line"]
    response = secretary.post(url, {"decision": "approved", "conditions": "Something"})
    assert errors(response) == [
        "Conditions go only with approved with conditions: remove them or change the decision"
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary.post(
            url,
            {
                "decision": "approved_with_conditions",
                "conditions": "Publish the register\n\n  Appoint a lay chair  \n",
                "minute": "Approved, subject to two conditions.",
            },
        )
    assert response.status_code == 302
    proposal = Proposal.objects.get(pk=world["R"].pk)
    assert proposal.state == ProposalState.APPROVED_WITH_CONDITIONS
    assert [c.text for c in proposal.conditions.order_by("pk")] == [
        "Publish the register",
        "Appoint a lay chair",
    ]
    letter = DecisionLetter.objects.get(proposal=proposal)
    page = secretary.get(meeting_url(world))
    assert "Decision recorded for item 1, NHS Erewash CCG: approved with conditions." in banner(
        page
    )
    assert "2 conditions not met" in text(page)
    download = reverse("approvals:letter_download", args=[letter.pk])
    assert f'href="{download}"' in page.content.decode()
    response = secretary.get(download)
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == letter.sha256
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "private, no-store"
    # The CCG's staff can read their own letter.
    secretary.force_login(proposal.ccg.staff.first())
    assert secretary.get(download).status_code == 200
    # A second decision on the same item (another tab) is refused; the first stands.
    secretary.force_login(actors["committee_secretary"])
    response = secretary.post(url, {"decision": "declined"})
    assert "already recorded: approved with conditions" in banner(
        secretary.get(response["Location"])
    )
    assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.APPROVED_WITH_CONDITIONS


def test_the_same_decision_for_several_items_all_or_nothing(secretary, world, actors):
    from approvals.services import add_to_agenda

    add_to_agenda(meeting=world["meeting"], proposal=world["R2"], by=actors["committee_secretary"])
    items = list(world["meeting"].items.filter(decision="").order_by("position"))
    url = meeting_url(world, "approvals:bulk_decision")
    response = secretary.post(url, {"decision": "approved"})
    assert errors(response) == ["Select the items the decision applies to"]
    assert response.context["title"].startswith("Error: ")
    # One of them is decided elsewhere first: nothing is recorded for any.
    record_committee_decision(
        proposal=world["R2"], by=actors["committee_secretary"], decision="declined"
    )
    response = secretary.post(url, {"items": [i.pk for i in items], "decision": "approved"})
    assert response.status_code == 200
    assert errors(response)[0].startswith("Nothing was recorded. A proposal that is declined")
    assert Proposal.objects.get(pk=world["R"].pk).state == ProposalState.RECOMMENDED
    assert not AgendaItem.objects.filter(pk=items[0].pk).exclude(decision="").exists()

    response = secretary.post(url, {"items": [items[0].pk], "decision": "deferred"})
    assert response.status_code == 302
    assert "Decision recorded for 1 item: deferred." in banner(secretary.get(response["Location"]))
    assert Proposal.objects.get(pk=world["R"].pk).state == ProposalState.DEFERRED


def test_meeting_a_condition_makes_the_proposal_ready_to_go_live(secretary, world):
    condition = world["condition"]
    page = secretary.get(meeting_url(world))
    assert "1 condition not met" in text(page)
    url = meeting_url(world, "approvals:condition_met", condition.pk)
    response = secretary.post(url, {"note": ""})
    assert errors(response) == ["Enter how the condition was met"]
    response = secretary.post(url, {"note": "Register published on 20 March."})
    assert response.status_code == 302
    condition.refresh_from_db()
    assert condition.met_note == "Register published on 20 March."
    page = secretary.get(meeting_url(world))
    assert "Condition recorded as met for NHS Nottingham City CCG." in banner(page)
    assert "Ready to go live on 1 April 2016, midnight" in text(page)
    review_page = secretary.get(reverse("approvals:review", args=[world["X"].reference]))
    assert "Ready to go live" in text(review_page)
    assert "The arrangement goes live on 1 April 2016, midnight." in text(review_page)
    # Again: already met, nothing changes.
    response = secretary.post(url, {"note": "Again"})
    assert ProposalCondition.objects.get(pk=condition.pk).met_note == condition.met_note


def test_generating_the_pack_then_a_change_makes_it_out_of_date(
    secretary, world, actors, django_capture_on_commit_callbacks
):
    world["pack"].delete()
    url = meeting_url(world, "approvals:pack")
    page = secretary.get(url)
    assert "No pack has been generated for this meeting yet." in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary.post(url)
    assert response.status_code == 302
    pack = SignOffPack.objects.get()
    assert pack.status == SignOffPack.Status.READY, pack.error
    page = secretary.get(url)
    words = text(page)
    assert "You asked for a sign-off pack at 10:00." in banner(page)
    assert pack.sha256 in words
    assert f"Pages {pack.page_count}" in words
    assert "Up to date" in words and "This pack is out of date" not in words
    download = secretary.get(meeting_url(world, "approvals:pack_download", pack.pk))
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == pack.sha256
    assert download["Content-Type"] == "application/pdf"
    assert "Requested" not in words
    assert MeetingRecord.objects.filter(action="asked for a sign-off pack").count() == 1

    record_committee_decision(
        proposal=world["R"],
        by=actors["committee_secretary"],
        decision="deferred",
        item=world["r_item"],
    )
    page = secretary.get(url)
    assert "This pack is out of date" in text(page)
    assert "Out of date" in text(secretary.get(meeting_url(world)))
    # The national team reads the page and downloads, but cannot generate.
    secretary.force_login(actors["national_admin"])
    page = secretary.get(url)
    assert page.status_code == 200
    assert "Generate a new pack" not in text(page)
    assert "Download the sign-off pack" in text(page)


def test_a_pack_being_generated_shows_its_progress_and_is_polled(secretary, world, actors):
    world["pack"].delete()
    pack = request_sign_off_pack(meeting=world["meeting"], by=actors["committee_secretary"])
    url = meeting_url(world, "approvals:pack")
    page = secretary.get(url)  # no worker ran: it is still queued
    status_url = meeting_url(world, "approvals:pack_status", pack.pk)
    body = page.content.decode()
    assert f'data-pack-status-url="{status_url}"' in body
    assert "approvals/pack-status.js" in body
    assert "Status: Queued" in text(page)
    assert "Generate" not in text(page)
    assert secretary.get(status_url).json() == {
        "status": "queued",
        "label": "Queued",
        "done": False,
    }
    # A second press while it is queued gets the same pack, not another.
    secretary.post(url)
    assert SignOffPack.objects.count() == 1

    from approvals.documents import generate_sign_off_pack

    generate_sign_off_pack(pack_id=pack.pk)
    assert secretary.get(status_url).json()["done"] is True
    page = secretary.get(url)
    assert "approvals/pack-status.js" not in page.content.decode()
    assert "Download the sign-off pack" in text(page)


def test_earlier_packs_are_listed_with_downloads(secretary, world, actors):
    first = world["pack"]
    newer = SignOffPack.objects.create(
        meeting=world["meeting"], status=SignOffPack.Status.FAILED, error="boom"
    )
    page = secretary.get(meeting_url(world, "approvals:pack"))
    assert page.context["pack"] == newer
    assert "The pack could not be generated" in text(page)
    assert "boom" not in text(page)
    assert [p.pk for p in page.context["past_packs"]] == [first.pk]
    link = meeting_url(world, "approvals:pack_download", first.pk)
    assert f'href="{link}"' in page.content.decode()
    assert re.search(r"aaaaaaaaaaaa", text(page))
