"""The Content-Security-Policy in a real browser on pages the journeys do not visit: the
Django admin (its scripts, widgets and our sweep-run page) and the sign-in lockout. The
`journey` fixture fails the test on any violation Chromium reports or any script error."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def test_the_admin_runs_under_the_policy(journey, open_cycle):
    factories.national_admin(username="national", is_staff=True, is_superuser=True)
    region = factories.RegionFactory(code="Y55", name="Midlands and East of England")
    team = factories.AreaTeamFactory(code="Q55", name="Derbys and Notts", region=region)
    ccg = factories.CCGFactory(ods_code="04K", name="NHS Nottingham City CCG", area_team=team)
    page = journey.page
    journey.goto("/admin/login/")
    page.get_by_label("Username").fill("national")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    for path in (
        "/admin/",
        "/admin/applications/sweeprun/",
        "/admin/applications/user/",
        "/admin/applications/user/add/",
        f"/admin/applications/ccg/{ccg.pk}/change/",
        "/admin/applications/proposaltransition/",
    ):
        journey.goto(path)
        page.wait_for_load_state("load")
        assert "Server Error" not in page.content(), path


def test_the_sign_in_lockout_page_runs_under_the_policy(journey, open_cycle):
    page = journey.page
    for _ in range(6):
        journey.goto("/sign-in/")
        page.get_by_label("Username").fill("nobody")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")
    summary = journey.error_summary()
    assert summary == [
        "You have tried to sign in too many times. Wait 15 minutes, then try again. "
        "If you have forgotten your password, ask your organisation's administrator to "
        "reset it."
    ]
    journey.check("sign-in-locked-out", screenshot=True)
