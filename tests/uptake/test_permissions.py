"""Who sees the dashboard, and what drilling down shows each of them."""

import pytest
from django.urls import reverse

from applications.models import ProposalState as S
from tests import factories
from tests.uptake.helpers import drive

pytestmark = pytest.mark.django_db


def urls(world) -> list[str]:
    ccg, team, region = world.ccgs[0], world.area_teams[0], world.regions[0]
    return [
        reverse("uptake:dashboard_current"),
        reverse("uptake:dashboard", args=["2015-16"]),
        reverse("uptake:region", args=["2015-16", region.code]),
        reverse("uptake:area_team", args=["2015-16", team.code]),
        reverse("uptake:ccg", args=["2015-16", ccg.ods_code]),
    ]


def test_anonymous_people_are_sent_to_sign_in(client, world, cycles):
    for url in urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", ["ccg_staff", "area_team"])
def test_ccg_and_area_team_staff_are_refused(client, world, cycles, role):
    person = (
        factories.ccg_staff(world.ccgs[0])
        if role == "ccg_staff"
        else factories.area_team_staff(world.area_teams[0])
    )
    client.force_login(person)
    for url in urls(world):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["national_admin", "regional_reviewer", "committee_secretary"])
def test_nhs_england_staff_see_the_dashboard(client, world, cycles, role):
    person = {
        "national_admin": factories.national_admin,
        "regional_reviewer": lambda: factories.reviewer(world.regions[1]),
        "committee_secretary": factories.secretary,
    }[role]()
    client.force_login(person)
    for url in urls(world):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url


def test_a_deactivated_person_is_refused(client, world, cycles):
    person = factories.national_admin(is_active=False)
    client.force_login(person)
    assert client.get(urls(world)[1]).status_code in (302, 403)


def test_unknown_years_and_organisations_are_not_found(client, world, cycles, national):
    client.force_login(national)
    for url in [
        reverse("uptake:dashboard", args=["2030-31"]),
        reverse("uptake:region", args=["2015-16", "Y99"]),
        reverse("uptake:area_team", args=["2015-16", "Q99"]),
        reverse("uptake:ccg", args=["2015-16", "ZZZ"]),
    ]:
        assert client.get(url).status_code == 404, url


def test_the_dashboard_opens_on_the_year_in_progress(client, world, cycles, national):
    """Once every year has gone live, the latest with proposals."""
    client.force_login(national)
    response = client.get(reverse("uptake:dashboard_current"))
    assert response["Location"] == reverse("uptake:dashboard", args=["2016-17"])


@pytest.fixture
def drilled(world, people, cycles):
    """A Midlands delegated draft, a Midlands delegated proposal recommended to the committee,
    and a North joint arrangement."""
    midlands = [c for c in world.ccgs if c.area_team.code == "Q55"]
    north = [c for c in world.ccgs if c.area_team.code == "Q46"]
    return {
        "draft": drive(midlands[1], cycles[0], S.DRAFT, people, model="delegated"),
        "recommended": drive(midlands[2], cycles[0], S.RECOMMENDED, people),
        "joint": drive(north[1], cycles[0], S.APPROVED, people, model="joint"),
    }


def ccg_page(client, proposal):
    return client.get(
        reverse("uptake:ccg", args=["2015-16", proposal.ccg.ods_code])
    ).content.decode()


def team_page(client, code):
    return client.get(reverse("uptake:area_team", args=["2015-16", code])).content.decode()


def test_the_national_team_drills_down_to_every_proposal(client, drilled, national):
    client.force_login(national)
    page = team_page(client, "Q55")
    for key in ("draft", "recommended"):
        proposal = drilled[key]
        link = reverse("proposal_overview", args=[proposal.reference])
        assert f'href="{link}"' in page
        assert proposal.reference in ccg_page(client, proposal)
        assert client.get(link).status_code == 200
    assert "Not shown to you" not in page


def test_a_reviewer_drills_down_only_within_their_region(client, drilled, world):
    client.force_login(factories.reviewer(world.regions[0]))  # North
    north = team_page(client, "Q46")
    assert drilled["joint"].reference in north
    midlands = team_page(client, "Q55")
    assert "Not shown to you" in midlands
    for key in ("draft", "recommended"):
        proposal = drilled[key]
        assert proposal.reference not in midlands
        page = ccg_page(client, proposal)
        assert proposal.reference not in page
        assert "Not shown to you" in page
        assert "Draft" not in page and "Recommended" not in page
        link = reverse("proposal_overview", args=[proposal.reference])
        assert client.get(link).status_code == 404
    # The counts stay visible: management information for all of NHS England.
    assert 'data-state="draft"' in midlands
    # Not even that a CCG has no proposal: "not yet decided" would tell the others apart.
    assert "Not yet decided</td>" not in midlands
    assert "Not yet decided</td>" in team_page(client, "Q44")  # their own region


def test_the_committee_secretary_sees_recommended_delegated_proposals_only(client, drilled, world):
    client.force_login(factories.secretary())
    midlands = team_page(client, "Q55")
    assert drilled["recommended"].reference in midlands
    assert drilled["draft"].reference not in midlands
    assert drilled["joint"].reference not in team_page(client, "Q46")
    assert drilled["draft"].reference not in ccg_page(client, drilled["draft"])


def test_the_public_register_needs_no_sign_in(client, world):
    for name in ("uptake:register", "uptake:register_csv", "uptake:register_json"):
        assert client.get(reverse(name)).status_code == 200
