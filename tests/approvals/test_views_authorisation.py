"""Every URL of the review and committee pages x every role x GET and POST. Only the people
a page is for get through (a 2xx, or for a POST the redirect that follows success); others
get 403 (they can see the proposal but may not do this, or the page is not for their role),
404 (another region's proposal, or one their role never sees: indistinguishable from one
that does not exist), 405 (wrong method) or the sign-in page. A refused request changes
nothing. Every POST needs its CSRF token."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from applications.models import (
    OutboxMessage,
    Proposal,
    ProposalCondition,
    ProposalEvent,
    ProposalTransition,
)
from approvals.models import (
    AgendaItem,
    CommitteeMeeting,
    ConflictOfInterest,
    DecisionLetter,
    MeetingRecord,
    Review,
    SignOffPack,
)
from tests.approvals import world as worlds

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "lead_ccg_staff",  # CCG A: J and X are its proposals
    "partner_ccg_staff",  # CCG B: same area team, no proposal here
    "area_team_staff",
    "other_region_reviewer",
    "regional_reviewer",
    "committee_secretary",
    "national_admin",
]
OK, LOGIN = "ok", "login"


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


def expect(ok: set[str], visible: set[str] = frozenset()) -> dict[str, object]:
    """ok: who may; visible: who else can see the proposal (403; everyone else 404). With no
    proposal in the address (visible left empty and every role 'sees' the page), use
    role_page."""
    result: dict[str, object] = {"anonymous": LOGIN}
    for role in ROLES[1:]:
        if role in ok:
            result[role] = OK
        else:
            result[role] = 403 if role in visible else 404
    return result


def role_page(ok: set[str]) -> dict[str, object]:
    return {"anonymous": LOGIN, **{r: OK if r in ok else 403 for r in ROLES[1:]}}


def everyone(status) -> dict[str, object]:
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], status)}


REVIEWER = {"regional_reviewer"}
SECRETARY = {"committee_secretary"}
COMMITTEE = {"committee_secretary", "national_admin"}
# Who can see each proposal at all (visible_to).
SEES_J = {"lead_ccg_staff", "area_team_staff", "regional_reviewer", "national_admin"}
SEES_S_P = {"area_team_staff", "regional_reviewer", "national_admin"}
SEES_X = SEES_J | SECRETARY


def ref(key):
    return lambda w: w[key].reference


def meeting_pk(w):
    return w["meeting"].pk


# name -> (url builder, GET expectations, POST expectations, POST data builder)
PAGES = {
    "queue": (
        lambda w: reverse("approvals:queue"),
        role_page({"regional_reviewer", "other_region_reviewer", "national_admin"}),
        everyone(405),
        lambda w: {},
    ),
    "review": (
        lambda w: reverse("approvals:review", args=[w["J"].reference]),
        expect({"regional_reviewer", "national_admin"}, SEES_J),
        expect(REVIEWER, SEES_J),
        lambda w: {"version": w["J"].version, "governance_compliant": "yes"},
    ),
    "start_review": (
        lambda w: reverse("approvals:start_review", args=[w["S"].reference]),
        everyone(405),
        expect(REVIEWER, SEES_S_P),
        lambda w: {"version": w["S"].version},
    ),
    "declare_interest": (
        lambda w: reverse("approvals:declare_interest", args=[w["J"].reference]),
        expect(REVIEWER, SEES_J),
        expect(REVIEWER, SEES_J),
        lambda w: {"ccg": w["J"].ccg_id, "description": "My sister is a GP there."},
    ),
    **{
        f"decide {action}": (
            lambda w, action=action, key=key: reverse(
                "approvals:decide", args=[w[key].reference, action]
            ),
            expect(REVIEWER, SEES_J if key == "J" else SEES_S_P),
            expect(REVIEWER, SEES_J if key == "J" else SEES_S_P),
            lambda w, key=key: {"version": w[key].version, "text": "Reasons given."},
        )
        for action, key in [
            ("request-changes", "J"),
            ("approve", "J"),
            ("not-approve", "J"),
            ("recommend", "P"),
            ("not-recommend", "P"),
        ]
    },
    "meetings": (
        lambda w: reverse("approvals:meetings"),
        role_page(COMMITTEE),
        everyone(405),
        lambda w: {},
    ),
    "meeting_create": (
        lambda w: reverse("approvals:meeting_create"),
        role_page(SECRETARY),
        role_page(SECRETARY),
        lambda w: {
            "cycle": w["meeting"].cycle_id,
            "meets_on_day": "16",
            "meets_on_month": "3",
            "meets_on_year": "2015",
            "meets_at_time": "10:00",
            "title": "NHS England Commissioning Committee",
        },
    ),
    "meeting": (
        lambda w: reverse("approvals:meeting", args=[meeting_pk(w)]),
        role_page(COMMITTEE),
        everyone(405),
        lambda w: {},
    ),
    "agenda_add": (
        lambda w: reverse("approvals:agenda_add", args=[meeting_pk(w)]),
        everyone(405),
        role_page(SECRETARY),
        lambda w: {"proposal": w["R2"].pk},
    ),
    "agenda_remove": (
        lambda w: reverse("approvals:agenda_remove", args=[meeting_pk(w), w["r_item"].pk]),
        everyone(405),
        role_page(SECRETARY),
        lambda w: {},
    ),
    "agenda_move": (
        lambda w: reverse("approvals:agenda_move", args=[meeting_pk(w), w["x_item"].pk]),
        everyone(405),
        role_page(SECRETARY),
        lambda w: {"direction": "up"},
    ),
    "item_decision": (
        lambda w: reverse("approvals:item_decision", args=[meeting_pk(w), w["r_item"].pk]),
        role_page(SECRETARY),
        role_page(SECRETARY),
        lambda w: {"decision": "deferred", "minute": "More time needed."},
    ),
    "bulk_decision": (
        lambda w: reverse("approvals:bulk_decision", args=[meeting_pk(w)]),
        everyone(405),
        role_page(SECRETARY),
        lambda w: {"items": [w["r_item"].pk], "decision": "declined"},
    ),
    "condition_met": (
        lambda w: reverse("approvals:condition_met", args=[meeting_pk(w), w["condition"].pk]),
        role_page(SECRETARY),
        role_page(SECRETARY),
        lambda w: {"note": "Register published on 20 March."},
    ),
    "pack": (
        lambda w: reverse("approvals:pack", args=[meeting_pk(w)]),
        role_page(COMMITTEE),
        role_page(SECRETARY),
        lambda w: {},
    ),
    "pack_status": (
        lambda w: reverse("approvals:pack_status", args=[meeting_pk(w), w["pack"].pk]),
        role_page(COMMITTEE),
        everyone(405),
        lambda w: {},
    ),
    "pack_download": (
        lambda w: reverse("approvals:pack_download", args=[meeting_pk(w), w["pack"].pk]),
        role_page(COMMITTEE),
        everyone(405),
        lambda w: {},
    ),
    "letter_download": (
        lambda w: reverse("approvals:letter_download", args=[w["letter"].pk]),
        expect({"lead_ccg_staff", *COMMITTEE}, SEES_X),
        everyone(405),
        lambda w: {},
    ),
}


def fingerprint():
    """Everything a POST could change."""
    return (
        sorted(Proposal.objects.values_list("pk", "state", "version")),
        ProposalTransition.objects.count(),
        ProposalEvent.objects.count(),
        sorted(
            Review.objects.values_list(
                "pk", *Review.CHECKLIST_FIELDS, "comments", "private_notes", "completed_at"
            )
        ),
        ConflictOfInterest.objects.count(),
        CommitteeMeeting.objects.count(),
        sorted(AgendaItem.objects.values_list("pk", "position", "decision")),
        sorted(ProposalCondition.objects.values_list("pk", "met_at")),
        SignOffPack.objects.count(),
        DecisionLetter.objects.count(),
        MeetingRecord.objects.count(),
        OutboxMessage.objects.count(),
    )


def outcome(response, method: str) -> object:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    if method == "GET" and response.status_code == 200:
        return OK
    if method == "POST" and response.status_code in (302, 303):
        return OK
    return response.status_code


@pytest.mark.parametrize("name", list(PAGES))
def test_only_the_intended_people_get_through(client, world, actors, name):
    url_for, get_expected, post_expected, data_for = PAGES[name]
    url = url_for(world)
    seen = {}
    for method, expected in [("GET", get_expected), ("POST", post_expected)]:
        # The people refused first, so they meet the world as it was set up; then the
        # people allowed (whose POSTs change it).
        for role in sorted(ROLES, key=lambda r: expected[r] == OK):
            client.logout()
            if role != "anonymous":
                client.force_login(actors[role])
            before = fingerprint()
            response = client.get(url) if method == "GET" else client.post(url, data_for(world))
            seen[(method, role)] = outcome(response, method)
            if seen[(method, role)] != OK and method == "POST":
                assert fingerprint() == before, f"refused POST by {role} changed something"
            if seen[(method, role)] == OK and method == "POST":
                assert fingerprint() != before, f"{role}'s POST to {name} changed nothing"
    wanted = {
        (m, r): e[r] for m, e in [("GET", get_expected), ("POST", post_expected)] for r in ROLES
    }
    assert seen == wanted


def test_another_regions_proposal_is_not_found_exactly_as_a_made_up_one(client, world, actors):
    client.force_login(actors["other_region_reviewer"])
    real = client.get(reverse("approvals:review", args=[world["J"].reference]))
    made_up = client.get(reverse("approvals:review", args=["CC1516-ZZZ-J9"]))
    assert real.status_code == made_up.status_code == 404
    # Masked afresh each time: the CSRF token and the CSP nonce.
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"')
    assert token.sub(b"", real.content) == token.sub(b"", made_up.content)


def test_a_decision_that_does_not_fit_the_model_is_not_found(client, world, actors):
    client.force_login(actors["regional_reviewer"])
    joint, delegated = world["J"].reference, world["P"].reference
    assert client.get(reverse("approvals:decide", args=[joint, "recommend"])).status_code == 404
    assert client.get(reverse("approvals:decide", args=[delegated, "approve"])).status_code == 404
    assert client.get(reverse("approvals:decide", args=[joint, "rubber-stamp"])).status_code == 404


def test_ccg_staff_never_see_packs_private_notes_or_other_ccgs_letters(client, world, actors):
    client.force_login(actors["lead_ccg_staff"])
    page = client.get(reverse("proposal_overview", args=[world["J"].reference]))
    assert page.status_code == 200
    assert worlds.PRIVATE not in page.content.decode()
    for url in [
        reverse("approvals:pack", args=[world["meeting"].pk]),
        reverse("approvals:pack_download", args=[world["meeting"].pk, world["pack"].pk]),
        reverse("approvals:review", args=[world["J"].reference]),
    ]:
        assert client.get(url).status_code == 403
    # Their own letter, yes; as a partner CCG's staff member, no.
    assert (
        client.get(reverse("approvals:letter_download", args=[world["letter"].pk])).status_code
        == 200
    )
    client.force_login(actors["partner_ccg_staff"])
    assert (
        client.get(reverse("approvals:letter_download", args=[world["letter"].pk])).status_code
        == 404
    )


# -- CSRF ------------------------------------------------------------------------------------

CSRF_CASES = {
    name: (sorted(r for r, e in post_expected.items() if e == OK)[0], url_for, data_for)
    for name, (url_for, _, post_expected, data_for) in PAGES.items()
    if any(e == OK for e in post_expected.values())
}


@pytest.mark.parametrize("name", list(CSRF_CASES))
def test_every_post_needs_its_csrf_token(world, actors, name):
    who, url_for, data_for = CSRF_CASES[name]
    client = Client(enforce_csrf_checks=True)
    client.force_login(actors[who])
    url = url_for(world)
    before = fingerprint()
    response = client.post(url, data_for(world))
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    assert fingerprint() == before
    # With the token from a page the person can see, the same POST goes through.
    page = client.get(reverse("home"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    response = client.post(url, {**data_for(world), "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code in (302, 303)
    assert fingerprint() != before
