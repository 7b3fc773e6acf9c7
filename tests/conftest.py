import pytest

from tests import factories


@pytest.fixture
def region():
    return factories.RegionFactory(code="Y55", name="Midlands and East of England")


@pytest.fixture
def other_region():
    return factories.RegionFactory(code="Y57", name="South of England")


@pytest.fixture
def area_team(region):
    return factories.AreaTeamFactory(
        code="Q55", name="Derbyshire and Nottinghamshire", region=region
    )


@pytest.fixture
def ccg(area_team):
    return factories.CCGFactory(ods_code="04K", name="NHS Nottingham City CCG", area_team=area_team)


@pytest.fixture
def partner_ccg(area_team):
    return factories.CCGFactory(
        ods_code="04L", name="NHS Nottingham North and East CCG", area_team=area_team
    )


@pytest.fixture
def foreign_ccg(other_region):
    team = factories.AreaTeamFactory(code="Q69", name="Thames Valley", region=other_region)
    return factories.CCGFactory(ods_code="10Q", name="NHS Oxfordshire CCG", area_team=team)


@pytest.fixture
def cycle():
    return factories.cycle_2015_16()


@pytest.fixture
def next_cycle():
    return factories.cycle_2016_17()


@pytest.fixture
def actors(ccg, partner_ccg, foreign_ccg, area_team, region, other_region):
    """One person of each kind around the lead CCG `ccg`."""
    return {
        "lead_ccg_staff": factories.ccg_staff(ccg),
        "partner_ccg_staff": factories.ccg_staff(partner_ccg),
        "foreign_ccg_staff": factories.ccg_staff(foreign_ccg),
        "area_team_staff": factories.area_team_staff(area_team),
        "regional_reviewer": factories.reviewer(region),
        "other_region_reviewer": factories.reviewer(other_region),
        "committee_secretary": factories.secretary(),
        "national_admin": factories.national_admin(),
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (sign-in failure counts and kept pages live
    there)."""
    from django.core.cache import cache

    from applications import page_cache

    cache.clear()
    page_cache.recent.clear()
    yield


@pytest.fixture(autouse=True)
def _data_version_immediate(request):
    """A test in one transaction never commits, so the data version's triggers, deferred to
    commit in real life, are made immediate for it: each change shows on the next page, as
    after a commit. Tests that commit (transactional, live server) keep them deferred."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in (
        request.fixturenames
    )
    if marker is not None and marker.kwargs.get("transaction"):
        transactional = True
    if (marker is not None or "db" in request.fixturenames) and not transactional:
        request.getfixturevalue("db")
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS data_version IMMEDIATE")
