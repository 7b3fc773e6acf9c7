"""The dashboard, its drill-down and the register in Chromium with axe-core: no serious or
critical violations, and the heat map and chart say in text what their colours show. Uses
the browser tests' fixtures (tests/browser/conftest.py): one Chromium for the session."""

import pytest
from django.urls import reverse

from applications.models import ProposalState as S
from tests import factories
from tests.uptake.helpers import People, drive, make_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(transactional_db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    cycles = (factories.cycle_2015_16(), factories.cycle_2016_17())
    world = make_world()
    people = People()
    c = world.ccgs
    drive(c[0], cycles[0], S.LIVE, people)
    drive(c[1], cycles[0], S.APPROVED, people, model="joint", partners=[c[2]])
    drive(c[3], cycles[0], S.WITHDRAWN, people)
    drive(c[4], cycles[0], S.RECORDED, people)
    drive(c[5], cycles[0], S.UNDER_REVIEW, people, model="joint")
    drive(c[8], cycles[0], S.APPROVED_WITH_CONDITIONS, people)
    drive(c[9], cycles[0], S.DRAFT, people)
    drive(c[4], cycles[1], S.SUBMITTED, people, model="delegated")
    factories.national_admin(username="national.uptake")
    factories.reviewer(world.regions[1], username="reviewer.uptake")
    return world


def check_heat_map_text(page) -> None:
    """Every shaded cell says its share and count in words; the table has a caption, and
    the summary under it names the area teams whose CCGs all chose alike."""
    cells = page.locator("#heat-map td.uptake-heat")
    assert cells.count() > 0
    for text in cells.all_inner_texts():
        assert "%" in text and " of " in text, text
    assert "heat map" in page.locator("#heat-map caption").inner_text()
    assert page.locator("#clustering-summary").inner_text().strip()


def test_the_register_has_no_serious_accessibility_problems(journey, data):
    journey.goto(reverse("uptake:register"))
    journey.check("uptake-register", screenshot=True)
    page = journey.page
    page.get_by_label("Region").select_option("Y55")
    journey.click_button("Apply filters")
    assert "region=Y55" in page.url
    journey.check("uptake-register-filtered")
    journey.goto(reverse("uptake:register") + "?area_team=Q99")
    journey.check("uptake-register-error")
    assert "There is no area team" in page.locator(".nhsuk-error-summary").inner_text()


def test_the_dashboard_and_drill_down_have_no_serious_accessibility_problems(
    journey,
    data,
):
    journey.sign_in("national.uptake")
    journey.goto(reverse("uptake:dashboard", args=["2015-16"]))
    journey.check("uptake-dashboard", screenshot=True)
    page = journey.page
    check_heat_map_text(page)
    chart = page.locator("#timeline-chart svg.uptake-chart__svg")
    assert chart.get_attribute("role") == "img"
    assert "busiest week" in page.locator("#timeline-chart-desc").text_content()

    journey.click_link("Midlands and East of England")
    journey.check("uptake-region")
    check_heat_map_text(page)
    journey.click_link("Derbyshire and Nottinghamshire")
    journey.check("uptake-area-team")
    journey.click_link(data.ccgs[8].name)
    journey.check("uptake-ccg")
    page.locator("#proposals-table a").first.click()
    page.wait_for_load_state("load")
    assert "proposal" in page.locator("h1").inner_text().lower()

    journey.goto(reverse("uptake:dashboard", args=["2016-17"]))
    journey.check("uptake-dashboard-next-year")


def test_a_reviewer_sees_hidden_rows_accessibly(journey, data):
    journey.sign_in("reviewer.uptake")  # Midlands
    journey.goto(reverse("uptake:area_team", args=["2015-16", "Q46"]))
    journey.check("uptake-area-team-other-region")
    assert "Not shown to you" in journey.page.locator("#ccgs-table").inner_text()


def test_a_register_of_several_pages_is_navigable_and_accessible(journey, data, monkeypatch):
    from uptake import views

    monkeypatch.setattr(views, "REGISTER_PAGE_SIZE", 4)
    journey.goto(reverse("uptake:register"))
    page = journey.page
    pagination = page.get_by_role("navigation", name="Pages of the register")
    assert pagination.get_by_role("link", name="Page 1").get_attribute("aria-current") == "page"
    journey.check("uptake-register-paginated", screenshot=True)
    first = page.locator("#register-table tbody tr").all_inner_texts()
    assert len(first) == 4
    pagination.get_by_role("link", name="Next page").click()
    page.wait_for_load_state()
    assert "page=2" in page.url
    journey.check("uptake-register-page-2")
    second = page.locator("#register-table tbody tr").all_inner_texts()
    assert second and not set(first) & set(second)
    assert page.get_by_role("link", name="Previous page").is_visible()
