"""The review and committee pages run a fixed number of queries however long their lists get
(no N+1): the same count with 1 row and with 10."""

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import actions
from applications.models import ProposalEvent
from applications.services import create_proposal, record_event
from approvals.models import ConflictOfInterest, DecisionLetter
from approvals.services import (
    add_to_agenda,
    create_meeting,
    record_committee_decision,
    request_sign_off_pack,
)
from tests import factories
from tests.applications.view_helpers import JANUARY_2ND, attach_all, ready_to_submit
from tests.approvals.conftest import submitted_proposal
from tests.approvals.world import REVIEW_DAY, recommended
from tests.factories import london

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _during_review(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(REVIEW_DAY, tick=False):
        yield


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_queue_does_not_grow_with_proposals(client, make_ccg, cycle, actors, region):
    reviewer = actors["regional_reviewer"]
    client.force_login(reviewer)
    url = reverse("approvals:queue")

    def add(n):
        for _ in range(n):
            ccg = make_ccg(in_special_measures=True)
            submitted_proposal(ccg, cycle)
            ConflictOfInterest.objects.create(reviewer=reviewer, ccg=ccg, description="x")
            staff = factories.ccg_staff(make_ccg())
            joint = create_proposal(ccg=staff.ccg, cycle=cycle, model="joint", by=staff)
            joint = actions.set_partners(
                proposal=joint, partners=[make_ccg(), make_ccg()], by=staff
            )
            assert joint.state == "draft"

    add(1)
    small = count(client, url)
    add(9)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(queries) == small, [q["sql"] for q in queries.captured_queries]
    assert len(response.context["rows"]) == 20
    assert sum(r.conflicted for r in response.context["rows"]) == 10
    # session, user, the data version (page cache), the filters' cycles and area teams, the
    # reviewer's region (caption), the proposals' cycles and their deadlines, the narrow list
    # that orders them, the page's proposals and their partners, declared interests, and
    # saving the session (3)
    assert small == 15
    # The national team: every region (the region filter's list instead of the caption's
    # region, and no declared interests to look up).
    client.force_login(actors["national_admin"])
    assert count(client, url) == small - 1


def test_the_review_page_does_not_grow_with_documents_history_or_rounds(client, ccg, cycle, actors):
    from approvals.services import request_changes, start_review

    lead, reviewer = actors["lead_ccg_staff"], actors["regional_reviewer"]
    with time_machine.travel(JANUARY_2ND, tick=False):
        proposal = ready_to_submit(ccg, cycle, lead)
        proposal = actions.submit(
            proposal=proposal, by=lead, expected_version=proposal.version
        ).proposal
    client.force_login(reviewer)
    url = reverse("approvals:review", args=[proposal.reference])
    start_review(proposal=proposal, by=reviewer)
    small = count(client, url)
    for round_number in range(3):
        proposal.refresh_from_db()
        request_changes(proposal=proposal, by=reviewer, comments=f"Round {round_number}")
        proposal.refresh_from_db()
        with time_machine.travel(JANUARY_2ND, tick=False):
            attach_all(proposal, lead)
            proposal = actions.submit(
                proposal=proposal,
                by=lead,
                expected_version=proposal.version,
                summary_of_changes="Changed",
            ).proposal
        record_event(proposal=proposal, kind=ProposalEvent.Kind.COMMENT, by=reviewer, detail="c")
        start_review(proposal=proposal, by=reviewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(queries) == small, [q["sql"] for q in queries.captured_queries]
    assert len(response.context["page"].reviews) == 4
    # session, user, proposal, deadlines, reviews, partners and declared interests (the
    # conflict check), events, conditions, agenda items, letters, partners, documents,
    # comments, transitions, snapshot count, and saving the session (3)
    assert small == 19
    assert len(response.context["overview"].current_documents) == 12


def test_the_meeting_and_pack_pages_do_not_grow_with_items(
    client, make_ccg, cycle, actors, django_capture_on_commit_callbacks
):
    secretary, reviewer = actors["committee_secretary"], actors["regional_reviewer"]
    client.force_login(secretary)
    meeting = create_meeting(cycle=cycle, meets_at=london(2015, 2, 16, 10), by=secretary)
    url = reverse("approvals:meeting", args=[meeting.pk])
    pack_url = reverse("approvals:pack", args=[meeting.pk])

    def add(n):
        for _ in range(n):
            decided = recommended(make_ccg(), cycle, reviewer)
            item = add_to_agenda(meeting=meeting, proposal=decided, by=secretary)
            decided = record_committee_decision(
                proposal=decided,
                by=secretary,
                decision="approved_with_conditions",
                conditions=["One", "Two"],
                item=item,
            )
            letter = DecisionLetter(
                proposal=decided, agenda_item=item, decision=decided.state, sha256="0" * 64
            )
            letter.file.save("l.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
            letter.save()
            waiting = recommended(make_ccg(), cycle, reviewer)
            add_to_agenda(meeting=meeting, proposal=waiting, by=secretary)
            recommended(make_ccg(), cycle, reviewer)  # awaiting, on no agenda

    add(1)
    with django_capture_on_commit_callbacks(execute=False):
        request_sign_off_pack(meeting=meeting, by=secretary)
    small, pack_small = count(client, url), count(client, pack_url)
    add(9)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(queries) == small, [q["sql"] for q in queries.captured_queries]
    assert len(response.context["items"]) == 20
    assert len(response.context["awaiting"]) == 10
    assert len(response.context["conditions"]) == 20
    assert len(response.context["letters"]) == 10
    assert count(client, pack_url) == pack_small
    # session, user, the data version (page cache), meeting, items, deadlines, conditions,
    # reviews, letters, packs, awaiting, records, and saving the session (3)
    assert small == 15
    assert pack_small == 12  # the agenda as the meeting page reads it, and the packs
    client.force_login(actors["national_admin"])
    assert count(client, reverse("approvals:meetings")) == 6


def test_the_queue_shows_fifty_at_a_time_things_to_do_first(client, make_ccg, cycle, actors):
    reviewer = actors["regional_reviewer"]
    client.force_login(reviewer)
    for _ in range(3):
        submitted_proposal(make_ccg(), cycle)
    for _ in range(52):
        staff = factories.ccg_staff(make_ccg())
        create_proposal(ccg=staff.ccg, cycle=cycle, model="delegated", by=staff)
    url = reverse("approvals:queue")

    first = client.get(url)
    rows = first.context["rows"]
    assert len(rows) == 50
    # The three submitted proposals, ready to start, come before every draft.
    assert [r.proposal.state for r in rows[:3]] == ["submitted"] * 3
    page = first.content.decode()
    assert "55 proposals: 1 to 50 shown, page 1 of 2." in page
    assert 'href="/review/?page=2" rel="next"' in page

    second = client.get(url, {"page": "2"})
    assert [r.proposal.state for r in second.context["rows"]] == ["draft"] * 5
    shown = {r.proposal.pk for r in rows} | {r.proposal.pk for r in second.context["rows"]}
    assert len(shown) == 55
    assert 'rel="prev"' in second.content.decode()

    # Past the end, or not a number: the nearest page, not an error.
    assert client.get(url, {"page": "9"}).context["rows"] == second.context["rows"]
    assert len(client.get(url, {"page": "x"}).context["rows"]) == 50
    # Filters are kept on the page links.
    filtered = client.get(url, {"model": "delegated"}).content.decode()
    assert 'href="/review/?model=delegated&amp;page=2"' in filtered
