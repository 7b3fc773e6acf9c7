"""Every figure is computed by the database in a fixed number of queries: the dashboard,
its drill-down pages and the register run the same queries for 10 times the data."""

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import CCG, Proposal
from applications.models import ProposalState as S
from tests import factories
from tests.uptake.helpers import drive

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def add_unit(people, cycles) -> None:
    """One more region with two area teams and six CCGs: a delegated arrangement live, a
    joint one with a partner, a greater involvement record, a draft, a withdrawal, one
    undecided, and a proposal for the next year."""
    region = factories.RegionFactory()
    teams = [factories.AreaTeamFactory(region=region) for _ in range(2)]
    ccgs = [factories.CCGFactory(area_team=teams[i % 2]) for i in range(6)]
    drive(ccgs[0], cycles[0], S.LIVE, people)
    drive(ccgs[2], cycles[0], S.APPROVED, people, model="joint", partners=[ccgs[4]])
    drive(ccgs[1], cycles[0], S.RECORDED, people)
    drive(ccgs[3], cycles[0], S.DRAFT, people)
    drive(ccgs[5], cycles[0], S.WITHDRAWN, people)
    drive(ccgs[1], cycles[1], S.SUBMITTED, people, model="delegated")


def pages() -> dict[str, str]:
    ccg = CCG.objects.select_related("area_team__region").order_by("pk").first()
    return {
        "dashboard": reverse("uptake:dashboard", args=["2015-16"]),
        "region": reverse("uptake:region", args=["2015-16", ccg.area_team.region.code]),
        "area team": reverse("uptake:area_team", args=["2015-16", ccg.area_team.code]),
        "area team, as a reviewer": reverse(
            "uptake:area_team", args=["2015-16", ccg.area_team.code]
        ),
        "CCG": reverse("uptake:ccg", args=["2015-16", ccg.ods_code]),
        "register": reverse("uptake:register"),
        "register CSV": reverse("uptake:register_csv"),
        "register JSON": reverse("uptake:register_json"),
    }


def measure(client, national, reviewer) -> dict[str, int]:
    counts = {}
    for name, url in pages().items():
        client.logout()
        if name.endswith("reviewer"):
            client.force_login(reviewer)
        elif not name.startswith("register"):
            client.force_login(national)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


def test_queries_do_not_grow_with_ten_times_the_data(client, people, cycles, national):
    add_unit(people, cycles)
    reviewer = factories.reviewer(factories.RegionFactory(code="Y57", name="South of England"))
    small = measure(client, national, reviewer)
    proposals, ccgs = Proposal.objects.count(), CCG.objects.count()
    for _ in range(9):
        add_unit(people, cycles)
    assert Proposal.objects.count() == 10 * proposals and CCG.objects.count() == 10 * ccgs
    large = measure(client, national, reviewer)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "uptake-queries.json").write_text(
        json.dumps({"ccgs": [ccgs, 10 * ccgs], "1x": small, "10x": large}, indent=2)
    )
    assert large == small
    # The dashboard itself: session and user, the data version (page cache), the years with
    # their deadlines, then its census (CCGs; positions: proposals and partners;
    # arrangements: proposals and partners) and the timeline (2).
    assert small["dashboard"] <= 15
    # The register: the data version, arrangements (proposals, partners), the CCGs, the
    # arrangements' details.
    assert small["register CSV"] <= 6 and small["register JSON"] <= 6
