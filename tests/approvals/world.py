"""A region's worth of proposals at every step of review and committee, for the page tests.
PDFs (packs, letters) are stored directly as small files here: the real WeasyPrint output is
tested in test_packs.py, test_views_committee.py and the browser journey."""

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import Proposal, ProposalEvent
from applications.services import record_event
from approvals.models import DecisionLetter, SignOffPack
from approvals.services import (
    add_to_agenda,
    create_meeting,
    recommend_to_committee,
    record_committee_decision,
    start_review,
)
from tests.applications.view_helpers import pdf_bytes
from tests.approvals.conftest import ALL_YES, reviewed_proposal, submitted_proposal
from tests.factories import CCGFactory, london

# After the delegated deadline (5 January 2015), before the committee (16 February).
REVIEW_DAY = london(2015, 1, 12, 10)
PRIVATE = "Private: the LMC chair told me the vote was close."
SHARED = "Please name who chairs the joint committee."


def recommended(ccg, cycle, reviewer):
    proposal = reviewed_proposal(ccg, cycle, reviewer)
    return recommend_to_committee(proposal=proposal, by=reviewer, recommend=True)


def build(*, ccg, area_team, cycle, next_cycle, actors) -> dict:
    """J: CCG A's joint proposal under review (checklist all yes, private notes). S: a
    delegated proposal just submitted. P: a delegated one under review, checklist done. M: a
    meeting with R (recommended, undecided) and X (CCG A's, approved with a condition, with
    its letter) on the agenda, a ready pack, and R2 recommended but on no agenda."""
    reviewer = actors["regional_reviewer"]
    secretary = actors["committee_secretary"]
    lead = actors["lead_ccg_staff"]

    def another(name):
        return CCGFactory(area_team=area_team, name=name)

    j = submitted_proposal(ccg, cycle, "joint", staff=lead)
    review = start_review(proposal=j, by=reviewer)
    review.private_notes = PRIVATE
    review.comments = SHARED
    for name, value in ALL_YES.items():
        setattr(review, name, value)
    review.save()
    record_event(proposal=j, kind=ProposalEvent.Kind.COMMENT, by=reviewer, detail="Read it.")
    # X: CCG A's delegated proposal for the next cycle, decided with a condition.
    x = recommended(ccg, next_cycle, reviewer)
    meeting = create_meeting(
        cycle=cycle,
        meets_at=london(2015, 2, 16, 10),
        by=secretary,
        location="Skipton House, London",
        members="Sir Malcolm Grant, Chair",
    )
    r = recommended(another("NHS Erewash CCG"), cycle, reviewer)
    r_item = add_to_agenda(meeting=meeting, proposal=r, by=secretary)
    x_item = add_to_agenda(meeting=meeting, proposal=x, by=secretary)
    x = record_committee_decision(
        proposal=x,
        by=secretary,
        decision="approved_with_conditions",
        conditions=["Publish the conflicts of interest register"],
        minute="Approved subject to the register.",
        item=x_item,
    )
    letter = DecisionLetter(proposal=x, agenda_item=x_item, decision=x.state, sha256="0" * 64)
    letter.file.save("letter.pdf", ContentFile(pdf_bytes("Letter")), save=False)
    letter.save()
    r2 = recommended(another("NHS Hardwick CCG"), cycle, reviewer)

    s = submitted_proposal(another("NHS Bassetlaw CCG"), cycle)
    p = reviewed_proposal(another("NHS Mansfield and Ashfield CCG"), cycle, reviewer)

    pack = SignOffPack(
        meeting=meeting,
        status=SignOffPack.Status.READY,
        requested_by=secretary,
        generated_at=timezone.now(),
        sha256="a" * 64,
        contents_version=meeting.contents_version(),
        page_count=1,
        item_count=2,
    )
    pack.file.save("pack.pdf", ContentFile(pdf_bytes("Pack")), save=False)
    pack.save()
    return {
        "J": Proposal.objects.get(pk=j.pk),
        "S": Proposal.objects.get(pk=s.pk),
        "P": Proposal.objects.get(pk=p.pk),
        "R": Proposal.objects.get(pk=r.pk),
        "R2": Proposal.objects.get(pk=r2.pk),
        "X": Proposal.objects.get(pk=x.pk),
        "meeting": meeting,
        "r_item": r_item,
        "x_item": x_item,
        "condition": x.conditions.get(),
        "letter": letter,
        "pack": pack,
    }
