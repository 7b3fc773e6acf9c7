"""The dashboard's figures, the register's CSV and JSON agree with each other and with
counts the test works out on its own, in Python, from proposals made through the services."""

from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from applications.models import CCG, Proposal
from applications.models import ProposalState as S
from applications.models.proposals import ARRANGEMENT_STATES, IN_FLIGHT_STATES
from tests.uptake.helpers import drive
from tests.uptake.page import counts, csv_rows, figures, json_body, number

pytestmark = pytest.mark.django_db

LEVEL = {"greater_involvement": 1, "joint": 2, "delegated": 3}


@pytest.fixture
def scenario(world, people, cycles):
    """Twelve CCGs in every position: lead and partner, draft to live, ended, undecided, and
    one moving up a level in the next year."""
    this_year, next_year = cycles
    c = world.ccgs
    drive(c[0], this_year, S.LIVE, people, model="delegated")
    drive(c[1], this_year, S.APPROVED, people, model="joint", partners=[c[2]])
    drive(c[3], this_year, S.WITHDRAWN, people)
    drive(c[4], this_year, S.RECORDED, people)
    drive(c[5], this_year, S.UNDER_REVIEW, people, model="joint")
    drive(c[6], this_year, S.DRAFT, people, model="delegated")
    drive(c[8], this_year, S.APPROVED_WITH_CONDITIONS, people)
    drive(c[9], this_year, S.DECLINED, people)
    drive(c[11], this_year, S.NOT_APPROVED, people)
    drive(c[4], next_year, S.SUBMITTED, people, model="delegated")
    return world


# -- the test's own reckoning, straight from the proposals ------------------------------


def involved(ccg: CCG) -> list[Proposal]:
    return [
        p
        for p in Proposal.objects.select_related("cycle").prefetch_related("partner_links")
        if p.ccg_id == ccg.pk or any(link.ccg_id == ccg.pk for link in p.partner_links.all())
    ]


def expected_position(ccg: CCG, cycle) -> tuple[str, str]:
    """(category, state) by the rule in docs/uptake.md, worked out in plain Python."""
    proposals = involved(ccg)
    this = [p for p in proposals if p.cycle_id == cycle.pk]
    carried = [
        p
        for p in proposals
        if p.cycle.starts_on < cycle.starts_on and p.state in ARRANGEMENT_STATES
    ]
    in_play = [p for p in this if p.state in (*IN_FLIGHT_STATES, *ARRANGEMENT_STATES)] + carried
    if in_play:
        best = max(in_play, key=lambda p: (LEVEL[p.model], p.cycle.starts_on, p.created_at))
        return best.model, best.state
    if this:
        return "none", max(this, key=lambda p: p.created_at).state
    return "not_decided", "no_proposal"


def expected_arrangement(ccg: CCG, until=None) -> str:
    agreed = [
        p
        for p in involved(ccg)
        if p.state in ARRANGEMENT_STATES and (until is None or p.cycle.starts_on <= until.starts_on)
    ]
    if not agreed:
        return "none"
    return max(agreed, key=lambda p: (LEVEL[p.model], p.created_at)).model


def pct(part: int, whole: int) -> str:
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{value}%"


def one_decimal(values: list[Decimal]) -> str:
    if not values:
        return "\N{EN DASH}"
    mean = sum(values) / len(values)
    return str(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# -- the tests --------------------------------------------------------------------------


def test_the_hand_worked_positions_for_2015_16(scenario, cycles):
    this_year, _ = cycles
    c = scenario.ccgs
    got = [expected_position(ccg, this_year) for ccg in c]
    assert got == [
        ("delegated", S.LIVE),
        ("joint", S.APPROVED),
        ("joint", S.APPROVED),  # the partner is covered by the lead's joint committee
        ("none", S.WITHDRAWN),
        ("greater_involvement", S.RECORDED),
        ("joint", S.UNDER_REVIEW),
        ("delegated", S.DRAFT),
        ("not_decided", "no_proposal"),
        ("delegated", S.APPROVED_WITH_CONDITIONS),
        ("none", S.DECLINED),
        ("not_decided", "no_proposal"),
        ("none", S.NOT_APPROVED),
    ]


@pytest.mark.parametrize("year", [0, 1])
def test_dashboard_figures_match_the_proposals(client, scenario, cycles, national, year):
    cycle = cycles[year]
    ccgs = list(CCG.objects.select_related("area_team__region"))
    positions = {ccg.pk: expected_position(ccg, cycle) for ccg in ccgs}
    client.force_login(national)
    response = client.get(reverse("uptake:dashboard", args=[cycle.name.replace("/", "-")]))
    assert response.status_code == 200
    html = response.content.decode()
    shown = figures(html)

    by_category = defaultdict(list)
    for ccg in ccgs:
        by_category[positions[ccg.pk][0]].append(ccg)
    total_population = sum(c.registered_population for c in ccgs)
    for category in ("delegated", "joint", "greater_involvement", "none", "not_decided"):
        members = by_category[category]
        row = ("by-model-table", category)
        assert number(shown[(*row, "ccgs")]) == len(members), category
        assert shown[(*row, "percent")] == pct(len(members), len(ccgs))
        population = sum(c.registered_population for c in members)
        assert number(shown[(*row, "population")]) == population
        assert shown[(*row, "population_percent")] == pct(population, total_population)
        agreed = [c for c in members if positions[c.pk][1] in ARRANGEMENT_STATES]
        if category not in ("none", "not_decided"):
            assert number(shown[(*row, "agreed")]) == len(agreed)
            live = [c for c in members if positions[c.pk][1] == S.LIVE]
            assert number(shown[(*row, "live")]) == len(live)
        # Averages: population over every CCG; deprivation only over CCGs with a score.
        row = ("size-deprivation-table", category)
        scores = [c.imd2015_score for c in members if c.imd2015_score is not None]
        assert shown[(*row, "average_imd")] == one_decimal(scores)
        assert shown[(*row, "with_imd")] == f"{len(scores)} of {len(members)}"
        if members:
            mean = Decimal(population) / len(members)
            assert number(shown[(*row, "average_population")]) == int(
                mean.quantize(Decimal(1), rounding=ROUND_HALF_UP)
            )
    assert number(shown[("by-model-table", "all", "ccgs")]) == len(ccgs)
    all_scores = [c.imd2015_score for c in ccgs if c.imd2015_score is not None]
    assert len(all_scores) == len(ccgs) - 3  # one CCG per area team has no score
    assert shown[("size-deprivation-table", "all", "average_imd")] == one_decimal(all_scores)
    assert "3 CCGs in England have no published score" in html

    states = Counter(state for _, state in positions.values())
    for state in [*S.values, "no_proposal"]:
        assert number(shown[("states-table", state, "ccgs")]) == states.get(state, 0), state

    # Per region and per area team (the heat map), with the same rule.
    cells = counts(html)
    for region in {c.area_team.region for c in ccgs}:
        members = [c for c in ccgs if c.area_team.region == region]
        tally = Counter(positions[c.pk][0] for c in members)
        for category in ("delegated", "joint", "greater_involvement", "none", "not_decided"):
            assert cells[("regions-table", region.code, category)] == tally.get(category, 0)
    for team in {c.area_team for c in ccgs}:
        members = [c for c in ccgs if c.area_team == team]
        tally = Counter(positions[c.pk][0] for c in members)
        for category in ("delegated", "joint", "greater_involvement", "none", "not_decided"):
            assert cells[("heat-map", team.code, category)] == tally.get(category, 0)
        assert cells[("heat-map", team.code, "delegated_or_joint")] == (
            tally["delegated"] + tally["joint"]
        )

    arrangements = Counter(expected_arrangement(c, until=cycle) for c in ccgs)
    for model in ("delegated", "joint", "greater_involvement", "none"):
        assert number(shown[("arrangements-table", model, "ccgs")]) == arrangements[model]


def test_the_dashboard_the_csv_and_the_json_agree(client, scenario, cycles, national):
    latest = cycles[1]
    ccgs = list(CCG.objects.all())
    expected = {c.ods_code: expected_arrangement(c) for c in ccgs}

    client.force_login(national)
    html = client.get(reverse("uptake:dashboard", args=["2016-17"])).content.decode()
    dashboard = {
        model: number(figures(html)[("arrangements-table", model, "ccgs")])
        for model in ("delegated", "joint", "greater_involvement", "none")
    }
    client.logout()
    from_csv = csv_rows(client.get(reverse("uptake:register_csv")).content)
    from_json = json_body(client.get(reverse("uptake:register_json")).content)["arrangements"]
    register_html = client.get(reverse("uptake:register")).content.decode()

    assert {r["ccg_ods_code"]: r["model"] for r in from_csv} == expected
    assert {r["ccg_ods_code"]: r["model"] for r in from_json} == expected
    assert from_csv == [{k: str(v) for k, v in row.items()} for row in from_json]
    assert dashboard == dict(Counter(expected.values())) | {
        m: 0 for m in ("delegated", "joint", "greater_involvement", "none") if m not in dashboard
    }
    assert sum(dashboard.values()) == len(ccgs) == len(from_csv)
    for model, count in Counter(expected.values()).items():
        assert register_html.count(f'data-model="{model}"') == count
    assert latest.name == "2016/17"


def test_population_covered_and_averages_exclude_nothing_but_missing_scores(
    client, world, people, cycles, national
):
    """Only CCGs without a score drop out, and only of the deprivation average."""
    this_year, _ = cycles
    no_score = [c for c in world.ccgs if c.imd2015_score is None]
    for ccg in no_score:
        drive(ccg, this_year, S.RECORDED, people)
    client.force_login(national)
    html = client.get(reverse("uptake:dashboard", args=["2015-16"])).content.decode()
    shown = figures(html)
    row = ("size-deprivation-table", "greater_involvement")
    assert shown[(*row, "average_imd")] == "\N{EN DASH}"
    assert shown[(*row, "with_imd")] == f"0 of {len(no_score)}"
    assert number(shown[(*row, "average_population")]) == round(
        sum(c.registered_population for c in no_score) / len(no_score)
    )
    assert number(shown[("by-model-table", "greater_involvement", "population")]) == sum(
        c.registered_population for c in no_score
    )


def test_the_timeline_counts_submissions_by_week_against_the_deadlines(
    client, scenario, cycles, national
):
    from applications.models import ProposalTransition

    client.force_login(national)
    html = client.get(reverse("uptake:dashboard", args=["2015-16"])).content.decode()
    shown = figures(html)
    submitted = ProposalTransition.objects.filter(
        proposal__cycle=cycles[0], name="submit"
    ).select_related("proposal")
    by_model = Counter(t.proposal.model for t in submitted)
    assert number(shown[("deadlines-table", "delegated", "submitted")]) == by_model["delegated"]
    assert number(shown[("deadlines-table", "joint", "submitted")]) == by_model["joint"]
    # Every submission in the scenario is on 2 January 2015 (a Friday): week of 29 December.
    week = ("timeline-table", "2014-12-29")
    assert number(shown[(*week, "delegated")]) == by_model["delegated"]
    assert number(shown[(*week, "joint")]) == by_model["joint"]
    assert number(shown[(*week, "greater_involvement")]) == 1
    assert number(shown[(*week, "total")]) == sum(by_model.values()) + 1
    assert "Delegated commissioning proposals due (5 Jan)" in html
    assert 'role="img"' in html and "timeline-chart-desc" in html
