"""The project's authorisation matrix: every URL pattern x every kind of person x GET/POST.

The journeys' own matrices (tests/applications/test_views_authorisation.py for the CCG
pages, tests/approvals/test_views_authorisation.py for review and committee) check their
URLs against a world of proposals in each relevant state. This module (1) fails when any URL
of the project has no expected row in one of them or here, and (2) holds the rows for the
rest: the site's own pages, the uptake dashboard and public register, and the admin."""

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import factories
from tests.applications.test_views_authorisation import PAGES as CCG_PAGES
from tests.approvals.test_views_authorisation import PAGES as REVIEW_PAGES

ROLES = [
    "anonymous",
    "ccg_a_staff",
    "ccg_b_staff",
    "area_team_staff",
    "reviewer_other_region",
    "regional_reviewer",
    "committee_secretary",
    "national_admin",
]
LOGIN, ADMIN_LOGIN = "sign-in", "admin sign-in"
NHS_ENGLAND = {
    "regional_reviewer",
    "reviewer_other_region",
    "committee_secretary",
    "national_admin",
}


def walk(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            prefix = f"{namespace}:" if namespace else ""
            yield prefix + (pattern.name or f"<unnamed {pattern.pattern}>")


def all_url_names() -> set[str]:
    return set(walk(get_resolver().url_patterns))


def row(get: dict | str, post: dict | str) -> dict:
    def spread(value):
        return value if isinstance(value, dict) else dict.fromkeys(ROLES, value)

    return {"GET": spread(get), "POST": spread(post)}


def dashboard(status_ok: int) -> dict:
    return {
        "anonymous": LOGIN,
        "ccg_a_staff": 403,
        "ccg_b_staff": 403,
        "area_team_staff": 403,
        **dict.fromkeys(NHS_ENGLAND, status_ok),
    }


# The dashboard is read-only: a POST is refused for its method before anything else.
DASHBOARD_POST = {**dict.fromkeys(ROLES, 405), "anonymous": LOGIN}


def staff_only(ok: int) -> dict:
    return {**dict.fromkeys(ROLES, ADMIN_LOGIN), "national_admin": ok}


# name -> (url builder, expectations). Statuses are what each person gets.
PROJECT_PAGES = {
    "home": (lambda w: reverse("home"), row(200, 405)),
    "login": (lambda w: reverse("login"), row(200, 200)),  # POST: wrong password, shown again
    "logout": (lambda w: reverse("logout"), row(405, 302)),
    "healthz": (lambda w: reverse("healthz"), row(200, 405)),
    "uptake:dashboard_current": (
        lambda w: reverse("uptake:dashboard_current"),
        row(dashboard(302), DASHBOARD_POST),
    ),
    "uptake:dashboard": (
        lambda w: reverse("uptake:dashboard", args=["2015-16"]),
        row(dashboard(200), DASHBOARD_POST),
    ),
    "uptake:region": (
        lambda w: reverse("uptake:region", args=["2015-16", w["region"].code]),
        row(dashboard(200), DASHBOARD_POST),
    ),
    "uptake:area_team": (
        lambda w: reverse("uptake:area_team", args=["2015-16", w["area_team"].code]),
        row(dashboard(200), DASHBOARD_POST),
    ),
    "uptake:ccg": (
        lambda w: reverse("uptake:ccg", args=["2015-16", w["ccg"].ods_code]),
        row(dashboard(200), DASHBOARD_POST),
    ),
    "uptake:register": (lambda w: reverse("uptake:register"), row(200, 405)),
    "uptake:register_csv": (lambda w: reverse("uptake:register_csv"), row(200, 405)),
    "uptake:register_json": (lambda w: reverse("uptake:register_json"), row(200, 405)),
}


# Reference data comes from the published files, proposals change only through the
# workflow, and audit, sweeps and the outbox are records: nobody adds them in the admin.
READ_ONLY_IN_ADMIN = {"ccg", "proposal", "proposaltransition", "sweeprun", "outboxmessage"}


def admin_pages():
    """The admin's index and each registered model's list and add pages."""
    pages = {"admin:index": lambda w: reverse("admin:index")}
    for model in admin.site._registry:
        opts = model._meta
        for view in ("changelist", "add"):
            name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
            pages[name] = lambda w, name=name: reverse(name)
    return pages


def test_every_url_of_the_project_has_an_expected_row():
    # The review matrix names its rows "decide approve", "decide recommend" ...: one URL.
    review = {f"approvals:{key.split()[0]}" for key in REVIEW_PAGES}
    covered = set(CCG_PAGES) | review | set(PROJECT_PAGES)
    missing = sorted(
        name for name in all_url_names() if not name.startswith("admin:") and name not in covered
    )
    assert missing == [], f"URLs with no row in any authorisation matrix: {missing}"
    stale = sorted(covered - all_url_names())
    assert stale == [], f"matrix rows for URLs that no longer exist: {stale}"


@pytest.fixture
def world(region, other_region, area_team, ccg, partner_ccg, foreign_ccg):
    factories.cycle_2015_16()
    people = {
        "ccg_a_staff": factories.ccg_staff(ccg),
        "ccg_b_staff": factories.ccg_staff(foreign_ccg),
        "area_team_staff": factories.area_team_staff(area_team),
        "reviewer_other_region": factories.reviewer(other_region),
        "regional_reviewer": factories.reviewer(region),
        "committee_secretary": factories.secretary(),
        "national_admin": factories.national_admin(is_staff=True, is_superuser=True),
    }
    return {"region": region, "area_team": area_team, "ccg": ccg, "people": people}


def outcome(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
    return response.status_code


@pytest.mark.django_db
def test_the_projects_own_pages_dashboard_register_and_admin(client, world):
    checked, unexpected_2xx, mismatches = 0, [], []
    rows = dict(PROJECT_PAGES)
    for name, url_for in admin_pages().items():
        model = name.split("_")[-2] if name.endswith(("_add", "_changelist")) else ""
        ok = 403 if name.endswith("_add") and model in READ_ONLY_IN_ADMIN else 200
        # POST with nothing: the add form comes back with its errors (200), nothing saved.
        rows[name] = (url_for, row(staff_only(ok), staff_only(ok)))
    for name, (url_for, expected) in rows.items():
        url = url_for(world)
        for method in ("GET", "POST"):
            for role in ROLES:
                client.logout()
                if role != "anonymous":
                    client.force_login(world["people"][role])
                response = client.get(url) if method == "GET" else client.post(url, {})
                seen, wanted = outcome(response), expected[method][role]
                checked += 1
                if seen != wanted:
                    mismatches.append((name, method, role, seen, wanted))
                    if 200 <= response.status_code < 300:
                        unexpected_2xx.append((name, method, role))
    assert mismatches == [], "\n".join(map(str, mismatches))
    assert unexpected_2xx == []
    assert checked == len(rows) * len(ROLES) * 2
