"""Every page of the CCG journey x every role x GET and POST: only the people it is for get a
2xx (or, for a POST, the redirect that follows success); everybody else gets 403 (they can
see the proposal but may not do this), 404 (it is not theirs to see: another CCG's proposal
is indistinguishable from one that does not exist), 405 (wrong method) or the sign-in page.
A refused request changes nothing. Every POST needs its CSRF token."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from applications import actions
from applications.models import (
    OutboxMessage,
    Proposal,
    ProposalDocument,
    ProposalEvent,
    ProposalPartner,
    ProposalSnapshot,
    ProposalTransition,
)
from applications.services import create_proposal
from tests.applications.view_helpers import (
    JANUARY_2ND,
    attach_all,
    fill_in,
    pdf_bytes,
    ready_to_submit,
    uploaded,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "lead_ccg_staff",
    "partner_ccg_staff",
    "foreign_ccg_staff",
    "area_team_staff",
    "regional_reviewer",
    "other_region_reviewer",
    "committee_secretary",
    "national_admin",
]
OK, LOGIN = "ok", "login"
SEES_JOINT_DRAFT = {
    "lead_ccg_staff",
    "partner_ccg_staff",
    "area_team_staff",
    "regional_reviewer",
    "national_admin",
}
SEES_DELEGATED_SUBMITTED = SEES_JOINT_DRAFT - {"partner_ccg_staff"}


@pytest.fixture(autouse=True)
def _in_january_2015(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(JANUARY_2ND, tick=False):
        yield


@pytest.fixture
def world(ccg, partner_ccg, cycle, next_cycle, actors):
    """A joint draft with a partner and a document, and a submitted delegated proposal."""
    lead = actors["lead_ccg_staff"]
    joint = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=lead)
    joint = actions.set_partners(proposal=joint, partners=[partner_ccg], by=lead)
    joint = attach_all(fill_in(joint, lead), lead)
    delegated = ready_to_submit(ccg, next_cycle, lead)
    delegated = actions.submit(
        proposal=delegated, by=lead, expected_version=delegated.version
    ).proposal
    return {
        "joint": joint,
        "document": joint.documents.first(),
        "delegated": delegated,
        "partner_ccg": partner_ccg,
    }


def expect(ok: set[str], visible: set[str], *, ccg_only=False) -> dict[str, object]:
    """ok: who may; visible: who can see the proposal (403 for them if not ok, else 404)."""
    result: dict[str, object] = {"anonymous": LOGIN}
    for role in ROLES[1:]:
        if role in ok:
            result[role] = OK
        elif ccg_only:
            result[role] = 403
        else:
            result[role] = 403 if role in visible else 404
    return result


def everyone(status) -> dict[str, object]:
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], status)}


CCG_STAFF = {"lead_ccg_staff", "partner_ccg_staff", "foreign_ccg_staff"}
LEAD = {"lead_ccg_staff"}
COMMENTERS = {"area_team_staff", "regional_reviewer"}

# name -> (url builder, GET expectations, POST expectations, POST data builder)
PAGES = {
    "ccg_start": (
        lambda w: reverse("ccg_start"),
        expect(CCG_STAFF, set(), ccg_only=True),
        everyone(405),
        lambda w: {},
    ),
    "proposal_list": (
        lambda w: reverse("proposal_list"),
        expect(set(ROLES[1:]), set()),
        everyone(405),
        lambda w: {},
    ),
    "proposal_start": (
        lambda w: reverse("proposal_start"),
        expect(CCG_STAFF, set(), ccg_only=True),
        expect(CCG_STAFF, set(), ccg_only=True),
        lambda w: {"model": "delegated", "cycle": w["joint"].cycle_id},
    ),
    "proposal_overview": (
        lambda w: reverse("proposal_overview", args=[w["joint"].reference]),
        expect(SEES_JOINT_DRAFT, SEES_JOINT_DRAFT),
        everyone(405),
        lambda w: {},
    ),
    "proposal_section": (
        lambda w: reverse("proposal_section", args=[w["joint"].reference, "contact"]),
        expect(LEAD, SEES_JOINT_DRAFT),
        expect(LEAD, SEES_JOINT_DRAFT),
        lambda w: {
            "contact_name": "Changed",
            "contact_role": "Director",
            "contact_email": "changed@example.nhs.uk",
            "contact_phone": "0115 496 0000",
        },
    ),
    "proposal_partners": (
        lambda w: reverse("proposal_partners", args=[w["joint"].reference]),
        expect(LEAD, SEES_JOINT_DRAFT),
        expect(LEAD, SEES_JOINT_DRAFT),
        lambda w: {"partners": []},
    ),
    "proposal_documents": (
        lambda w: reverse("proposal_documents", args=[w["joint"].reference]),
        expect(LEAD, SEES_JOINT_DRAFT),
        expect(LEAD, SEES_JOINT_DRAFT),
        lambda w: {"kind": "terms_of_reference", "file": uploaded("ToR.pdf", pdf_bytes())},
    ),
    "document_download": (
        lambda w: reverse("document_download", args=[w["joint"].reference, w["document"].pk]),
        expect(SEES_JOINT_DRAFT, SEES_JOINT_DRAFT),
        everyone(405),
        lambda w: {},
    ),
    "document_remove": (
        lambda w: reverse("document_remove", args=[w["joint"].reference, w["document"].pk]),
        expect(LEAD, SEES_JOINT_DRAFT),
        expect(LEAD, SEES_JOINT_DRAFT),
        lambda w: {},
    ),
    "proposal_check": (
        lambda w: reverse("proposal_check", args=[w["joint"].reference]),
        expect(LEAD, SEES_JOINT_DRAFT),
        expect(LEAD, SEES_JOINT_DRAFT),
        lambda w: {"version": w["joint"].version},
    ),
    "proposal_agreement": (
        lambda w: reverse("proposal_agreement", args=[w["joint"].reference]),
        expect({"partner_ccg_staff"}, SEES_JOINT_DRAFT),
        expect({"partner_ccg_staff"}, SEES_JOINT_DRAFT),
        lambda w: {
            "governing_body_agreed_on_day": "14",
            "governing_body_agreed_on_month": "12",
            "governing_body_agreed_on_year": "2014",
            "confirm": "on",
        },
    ),
    "proposal_withdraw": (
        lambda w: reverse("proposal_withdraw", args=[w["joint"].reference]),
        expect(LEAD, SEES_JOINT_DRAFT),
        expect(LEAD, SEES_JOINT_DRAFT),
        lambda w: {"reason": "Going delegated instead"},
    ),
    "proposal_comment": (
        lambda w: reverse("proposal_comment", args=[w["joint"].reference]),
        everyone(405),
        expect(COMMENTERS, SEES_JOINT_DRAFT),
        lambda w: {"text": "Please add the LMC's view."},
    ),
    "proposal_confirmation": (
        lambda w: reverse("proposal_confirmation", args=[w["delegated"].reference]),
        expect(LEAD, SEES_DELEGATED_SUBMITTED),
        everyone(405),
        lambda w: {},
    ),
    "proposal_changes": (
        lambda w: reverse("proposal_changes", args=[w["delegated"].reference]),
        expect(SEES_DELEGATED_SUBMITTED, SEES_DELEGATED_SUBMITTED),
        everyone(405),
        lambda w: {},
    ),
}


def fingerprint():
    """Everything a POST could change."""
    return (
        sorted(Proposal.objects.values_list("pk", "state", "version", "pro_forma")),
        ProposalTransition.objects.count(),
        ProposalEvent.objects.count(),
        sorted(ProposalDocument.objects.values_list("pk", "removed_at")),
        sorted(ProposalPartner.objects.values_list("pk", "agreed_at")),
        ProposalSnapshot.objects.count(),
        OutboxMessage.objects.count(),
    )


def outcome(response, method: str) -> object:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    if method == "GET" and response.status_code == 200:
        return OK
    if method == "POST" and (
        200 <= response.status_code < 300 or response.status_code in (302, 303)
    ):
        return OK
    return response.status_code


@pytest.mark.parametrize("name", list(PAGES))
def test_only_the_intended_people_get_through(client, world, actors, name):
    url_for, get_expected, post_expected, data_for = PAGES[name]
    url = url_for(world)
    seen = {}
    for method, expected in [("GET", get_expected), ("POST", post_expected)]:
        # The people refused first, so their requests meet the world as it was set up;
        # then the people allowed (whose POSTs change it).
        for role in sorted(ROLES, key=lambda r: expected[r] == OK):
            client.logout()
            if role != "anonymous":
                client.force_login(actors[role])
            before = fingerprint()
            response = client.get(url) if method == "GET" else client.post(url, data_for(world))
            seen[(method, role)] = outcome(response, method)
            if seen[(method, role)] != OK and method == "POST":
                assert fingerprint() == before, f"refused POST by {role} changed something"
    wanted = {
        (m, r): e[r] for m, e in [("GET", get_expected), ("POST", post_expected)] for r in ROLES
    }
    assert seen == wanted


def test_a_get_to_a_page_that_only_posts_is_refused_before_anything_is_looked_up(client, actors):
    client.force_login(actors["area_team_staff"])
    assert client.get(reverse("proposal_comment", args=["CC1516-ZZZ-J9"])).status_code == 405


def test_other_ccgs_proposals_are_not_found_whatever_the_address(client, world, actors):
    """404 exactly as for a reference that does not exist: nothing confirms it exists."""
    client.force_login(actors["foreign_ccg_staff"])
    real = client.get(reverse("proposal_overview", args=[world["joint"].reference]))
    made_up = client.get(reverse("proposal_overview", args=["CC1516-04K-J9"]))
    assert real.status_code == made_up.status_code == 404
    # The CSRF token is masked afresh and the CSP nonce is new on every response.
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"')
    assert token.sub(b"", real.content) == token.sub(b"", made_up.content)


# -- CSRF ----------------------------------------------------------------------------------------

CSRF_CASES = {
    # name: (who, url builder, data builder)
    "sign in": (None, lambda w: reverse("login"), lambda w: {"username": "x", "password": "y"}),
    "sign out": ("lead_ccg_staff", lambda w: reverse("logout"), lambda w: {}),
    **{
        name: (
            sorted(post_expected_ok)[0],
            url_for,
            data_for,
        )
        for name, (url_for, _, post_expected, data_for) in PAGES.items()
        if (post_expected_ok := {r for r, e in post_expected.items() if e == OK})
    },
}


@pytest.mark.parametrize("name", list(CSRF_CASES))
def test_every_post_needs_its_csrf_token(world, actors, name):
    who, url_for, data_for = CSRF_CASES[name]
    client = Client(enforce_csrf_checks=True)
    if who:
        client.force_login(actors[who])
    url = url_for(world)
    before = fingerprint()
    response = client.post(url, data_for(world))
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    assert fingerprint() == before
    if who and name != "sign out":
        # With the token from a page the person can see, the same POST goes through.
        page = client.get(
            reverse("proposal_overview", args=[world["joint"].reference])
            if who != "foreign_ccg_staff"
            else reverse("ccg_start")
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        response = client.post(url, {**data_for(world), "csrfmiddlewaretoken": token.group(1)})
        assert response.status_code != 403
