"""The public register: no sign-in, HTML, CSV and JSON, only agreed or live arrangements,
documented and stable fields, filters, and caching."""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

from applications.models import Proposal
from applications.models import ProposalState as S
from applications.models.proposals import ARRANGEMENT_STATES
from tests import factories
from tests.uptake.helpers import drive, make_world
from tests.uptake.page import csv_rows, json_body
from uptake.register import FIELD_NAMES, FIELDS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ["uptake:register", "uptake:register_csv", "uptake:register_json"]


@pytest.fixture
def every_state(people, cycles):
    """One CCG per state, each proposal carrying secrets: a marker in its pro forma, its
    documents' names, an area team comment, and the reasons given along the way."""
    world = make_world(per_team=6)
    proposals = {}
    for ccg, state in zip(world.ccgs, S.values, strict=False):
        marker = f"SECRET{state.upper()}"
        proposals[state] = drive(
            ccg, cycles[0], state, people, marker=marker, comment=f"Comment {marker}"
        )
    assert {p.state for p in proposals.values()} == set(S.values)
    return proposals


def secrets(proposal: Proposal) -> list[str]:
    marker = f"SECRET{proposal.state.upper()}"
    found = [marker, f"Comment {marker}"]
    found += list(proposal.documents.values_list("original_name", flat=True))
    found += [e.detail for e in proposal.events.all() if e.detail]
    found += [t.reason for t in proposal.transitions.all() if t.reason]
    found += list(proposal.conditions.values_list("text", flat=True))
    return found


@pytest.mark.parametrize("url", FORMATS)
def test_the_register_never_shows_drafts_comments_documents_or_withdrawn_content(
    client, every_state, url
):
    response = client.get(reverse(url))  # nobody signed in
    assert response.status_code == 200
    body = response.content.decode()
    for state, proposal in every_state.items():
        for secret in secrets(proposal):
            assert secret not in body, (state, secret)
        agreed = state in ARRANGEMENT_STATES
        if url == "uptake:register":  # the page names the model, the data the reference too
            model = proposal.model if agreed else "none"
            assert f'data-ccg="{proposal.ccg.ods_code}" data-model="{model}"' in body, state
        else:
            assert (proposal.reference in body) == agreed, state
    assert "/documents/" not in body
    assert "proposals/" not in body  # no link to any proposal page


def test_each_ccg_shows_its_arrangement_or_none(client, every_state):
    rows = {r["ccg_ods_code"]: r for r in csv_rows(client.get(reverse(FORMATS[1])).content)}
    for state, proposal in every_state.items():
        row = rows[proposal.ccg.ods_code]
        if state in ARRANGEMENT_STATES:
            assert (row["model"], row["status"], row["reference"]) == (
                proposal.model,
                state,
                proposal.reference,
            )
            assert row["decided_on"] == "2015-01-02" if state == S.RECORDED else row["decided_on"]
            assert row["live_on"] == ("2015-04-01" if state == S.LIVE else "")
        else:
            assert (row["model"], row["status"], row["reference"], row["cycle"]) == (
                "none",
                "",
                "",
                "",
            ), state
            assert row["decided_on"] == row["live_on"] == ""


def test_a_partner_ccg_shows_the_joint_arrangement_it_is_in(client, world, people, cycles):
    lead, partner = world.ccgs[1], world.ccgs[2]
    proposal = drive(lead, cycles[0], S.LIVE, people, model="joint", partners=[partner])
    body = json_body(client.get(reverse(FORMATS[2])).content)
    row = next(r for r in body["arrangements"] if r["ccg_ods_code"] == partner.ods_code)
    assert (row["model"], row["status"], row["reference"]) == ("joint", "live", proposal.reference)
    assert (row["lead_ccg_ods_code"], row["lead_ccg_name"]) == (lead.ods_code, lead.name)
    assert row["decided_on"] == "2015-01-19" and row["live_on"] == "2015-04-01"


def test_the_fields_are_the_documented_ones_in_order(client, world):
    documented = re.findall(
        r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "register.md").read_text(), flags=re.M
    )
    assert documented == FIELD_NAMES == [name for name, _ in FIELDS]
    header = client.get(reverse(FORMATS[1])).content.decode().splitlines()[0]
    assert header.split(",") == FIELD_NAMES
    body = json_body(client.get(reverse(FORMATS[2])).content)
    assert body["fields"] == FIELD_NAMES
    assert all(list(row) == FIELD_NAMES for row in body["arrangements"])
    assert body["count"] == len(world.ccgs)
    page = client.get(reverse(FORMATS[0])).content.decode()
    for name in FIELD_NAMES:
        assert f"<code>{name}</code>" in page


def test_the_urls_are_stable():
    assert reverse("uptake:register") == "/register/"
    assert reverse("uptake:register_csv") == "/register/arrangements.csv"
    assert reverse("uptake:register_json") == "/register/arrangements.json"


@pytest.mark.parametrize("url", FORMATS)
def test_filters_by_region_and_area_team(client, world, url):
    north = {c.ods_code for c in world.ccgs if c.area_team.region.code == "Y54"}
    wirral = {c.ods_code for c in world.ccgs if c.area_team.code == "Q44"}

    def shown(**params):
        response = client.get(reverse(url), params)
        assert response.status_code == 200
        body = response.content.decode()
        return {c.ods_code for c in world.ccgs if f"{c.name}" in body}

    assert shown(region="Y54") == north
    assert shown(area_team="q44") == wirral  # codes are not case sensitive
    assert shown(region="Y55", area_team="Q44") == set()
    assert shown() == {c.ods_code for c in world.ccgs}


@pytest.mark.parametrize("url", FORMATS)
def test_an_unknown_filter_is_a_bad_request(client, world, url):
    response = client.get(reverse(url), {"region": "Y99"})
    assert response.status_code == 400
    assert "There is no region with the code 'Y99'" in html.unescape(response.content.decode())


def test_the_register_is_cache_friendly(client, world, people, cycles):
    drive(world.ccgs[0], cycles[0], S.LIVE, people)
    for url in FORMATS:
        first = client.get(reverse(url))
        if url == "uptake:register":
            # The page carries a fresh CSP nonce: browsers revalidate it, nobody shares it.
            assert first["Cache-Control"] == "private, no-cache"
        else:
            assert first["Cache-Control"] == "public, max-age=300", url
        # Went live at 00:05 on 1 April 2015, UK time (BST).
        assert first["ETag"] and first["Last-Modified"] == "Tue, 31 Mar 2015 23:05:00 GMT"
        assert client.get(reverse(url))["ETag"] == first["ETag"], url
        again = client.get(reverse(url), HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b"", url
        assert again["ETag"] == first["ETag"]
        assert "Content-Security-Policy" not in again  # the cached copy keeps its own policy
        later = client.get(reverse(url), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert later.status_code == 304
        filtered = client.get(reverse(url), {"region": "Y55"}, HTTP_IF_NONE_MATCH=first["ETag"])
        assert filtered.status_code == 200
    # A new decision changes what is shown, so the old ETag no longer matches.
    etag = client.get(reverse(FORMATS[1]))["ETag"]
    drive(world.ccgs[4], cycles[0], S.RECORDED, people)
    changed = client.get(reverse(FORMATS[1]), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_signed_in_the_page_is_not_shared(client, world):
    """The page names who is signed in, so no shared cache may keep it."""
    client.force_login(factories.national_admin())
    response = client.get(reverse(FORMATS[0]))
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_data_is_open_to_other_sites(client, world):
    data = client.get(reverse(FORMATS[2]))
    assert data["Access-Control-Allow-Origin"] == "*"
    assert data["Content-Type"] == "application/json"
    assert client.get(reverse(FORMATS[1]))["Content-Type"] == "text/csv; charset=utf-8"


def test_the_register_is_a_table_with_a_caption_and_headers(client, world):
    page = client.get(reverse(FORMATS[0])).content.decode()
    assert '<caption class="nhsuk-table__caption' in page
    assert page.count('scope="col"') >= 8
    assert page.count('scope="row"') >= len(world.ccgs)
    assert 'href="/register/arrangements.csv"' in page


def test_a_long_register_is_shown_a_page_at_a_time_and_downloaded_whole(client, world, monkeypatch):
    from uptake import views

    monkeypatch.setattr(views, "REGISTER_PAGE_SIZE", 5)
    every = csv_rows(client.get(reverse("uptake:register_csv")).content)
    assert len(every) > 5

    first = client.get(reverse("uptake:register"))
    page = first.content.decode()
    shown = re.findall(r'data-ccg="([^"]+)"', page)
    assert len(shown) == 5
    pages = (len(every) + 4) // 5
    assert f"CCGs 1 to 5 are shown, page 1 of {pages}." in page
    assert f"{len(every)} CCGs:" in page  # the counts are over the whole register
    assert 'href="/register/?page=2" rel="next"' in page

    seen = []
    for number in range(1, pages + 1):
        body = client.get(reverse("uptake:register"), {"page": number}).content.decode()
        seen += re.findall(r'data-ccg="([^"]+)"', body)
    assert seen == [row["ccg_ods_code"] for row in every]
    # Each page has its own ETag, so a browser's copy of page 1 is never taken for page 2.
    second = client.get(reverse("uptake:register"), {"page": 2})
    assert second["ETag"] != first["ETag"]
