"""The national uptake dashboard (signed in, NHS England staff) and the public register
(anyone, no sign-in).

Who sees the dashboard: the national programme team, regional reviewers and the
Commissioning Committee secretary, read-only. Its counts are NHS England management
information, so all three see them for every region. Drilling down to single CCGs shows a
CCG's proposal (its state, reference, link) only to people who may see that proposal
(``Proposal.objects.visible_to``); everyone else sees what the public register shows. CCG
and area team staff are refused (403): they have their own pages."""

import csv
import hashlib
import io
import json
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_GET, require_safe

from applications.models import (
    CCG,
    AreaTeam,
    Cycle,
    DeadlineEvent,
    Proposal,
    ProposalPartner,
    Region,
    Role,
)
from applications.models.proposals import ARRANGEMENT_STATES
from applications.page_cache import cached_page
from applications.pagination import page_number, paginate

from . import charts, figures
from . import register as public
from .positions import (
    Category,
    category_of,
    highest_arrangements,
    positions_in,
    state_label,
    state_of,
)

DASHBOARD_ROLES = (Role.NATIONAL_ADMIN, Role.REGIONAL_REVIEWER, Role.COMMITTEE_SECRETARY)
REGISTER_MAX_AGE = 300  # seconds a browser or shared cache may keep the public register
# Rows on one page of the register (the 211 CCGs of 2014/15 fit on one; CSV and JSON give
# every row).
REGISTER_PAGE_SIZE = 250


def may_see_dashboard(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) in DASHBOARD_ROLES
    )


def _require_dashboard(request: HttpRequest) -> None:
    if not may_see_dashboard(request.user):
        raise PermissionDenied(
            "The national uptake dashboard is for NHS England's national programme team, "
            "regional offices and the Commissioning Committee secretary."
        )


def cycle_slug(cycle: Cycle) -> str:
    return cycle.name.replace("/", "-")


def _cycles() -> list[Cycle]:
    return list(Cycle.objects.prefetch_related("deadlines").order_by("starts_on"))


def _cycle(cycles: list[Cycle], slug: str) -> Cycle:
    cycle = next((c for c in cycles if cycle_slug(c) == slug), None)
    if cycle is None:
        raise Http404("No such commissioning year")
    return cycle


def current_cycle(cycles: list[Cycle]) -> Cycle | None:
    """The year whose arrangements go live next; once all have gone live, the latest year
    with proposals (or simply the latest)."""
    now = timezone.now()
    for cycle in cycles:
        go_live = cycle.deadline(DeadlineEvent.GO_LIVE)
        if go_live is not None and go_live.due_at > now:
            return cycle
    with_proposals = set(
        Proposal.objects.filter(cycle__in=cycles).values_list("cycle_id", flat=True).distinct()
    )
    started = [c for c in cycles if c.pk in with_proposals]
    return (started or cycles or [None])[-1]


def _base_context(
    cycles: list[Cycle], cycle: Cycle, page: str, *args: str, crumbs=()
) -> dict[str, Any]:
    """What every dashboard page shows: the year, links to the same page in other years,
    and the breadcrumbs above it."""
    return {
        "cycles": cycles,
        "cycle": cycle,
        "slug": cycle_slug(cycle),
        "other_cycles": [
            (other, reverse(page, args=[cycle_slug(other), *args]))
            for other in cycles
            if other.pk != cycle.pk
        ],
        "breadcrumbs": [("Home", reverse("home")), *crumbs],
        "as_at": timezone.now(),
        "categories": list(Category),
        "heat_bands": figures.HEAT_BANDS,
    }


def _national_crumb(cycle: Cycle) -> tuple[str, str]:
    return ("National uptake", reverse("uptake:dashboard", args=[cycle_slug(cycle)]))


def _region_crumb(cycle: Cycle, region: Region) -> tuple[str, str]:
    return (region.name, reverse("uptake:region", args=[cycle_slug(cycle), region.code]))


def _area_team_crumb(cycle: Cycle, team: AreaTeam) -> tuple[str, str]:
    return (team.name, reverse("uptake:area_team", args=[cycle_slug(cycle), team.code]))


def _heat_map(area_teams: list[figures.Group]) -> dict[str, Any]:
    """The heat map and its summary in words: area teams whose CCGs all chose alike, those
    where at least three quarters did, and how many are more mixed."""
    unanimous = [g for g in area_teams if g.unanimous]
    mostly = [
        g
        for g in area_teams
        if not g.unanimous and g.leading and 4 * g.leading.ccgs >= 3 * g.totals.ccgs
    ]
    return {
        "area_teams": area_teams,
        "unanimous": unanimous,
        "mostly": mostly,
        "mixed_count": len(area_teams) - len(unanimous) - len(mostly),
    }


# -- the dashboard ------------------------------------------------------------------------


@login_required
@require_GET
def dashboard_current(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    cycle = current_cycle(_cycles())
    if cycle is None:
        raise Http404("No commissioning years are set up yet")
    return redirect("uptake:dashboard", cycle=cycle_slug(cycle))


@login_required
@require_GET
@cached_page
def dashboard(request: HttpRequest, cycle: str) -> HttpResponse:
    _require_dashboard(request)
    cycles = _cycles()
    current = _cycle(cycles, cycle)
    rows = figures.census(current, CCG.objects.all())
    area_teams = figures.groups(current, None, "area_team", rows=rows)
    timeline = figures.timeline(current)
    context = {
        **_base_context(cycles, current, "uptake:dashboard"),
        **_heat_map(area_teams),
        "summary": figures.summary(current, rows=rows),
        "regions": figures.groups(current, None, "region", rows=rows),
        "timeline": timeline,
        "chart": charts.timeline_chart(timeline),
        "scope_name": "England",
    }
    return render(request, "uptake/dashboard.html", context)


@login_required
@require_GET
@cached_page
def region(request: HttpRequest, cycle: str, code: str) -> HttpResponse:
    _require_dashboard(request)
    cycles = _cycles()
    current = _cycle(cycles, cycle)
    the_region = get_object_or_404(Region, code=code.upper())
    rows = figures.census(current, CCG.objects.filter(area_team__region=the_region))
    area_teams = figures.groups(current, None, "area_team", rows=rows)
    context = {
        **_base_context(
            cycles, current, "uptake:region", the_region.code, crumbs=[_national_crumb(current)]
        ),
        **_heat_map(area_teams),
        "region": the_region,
        "summary": figures.summary(current, rows=rows),
        "scope_name": the_region.name,
    }
    return render(request, "uptake/region.html", context)


def _sees_every_proposal_of(user: Any, ccg: CCG) -> bool:
    if user.role == Role.NATIONAL_ADMIN:
        return True
    return user.role == Role.REGIONAL_REVIEWER and user.region_id == ccg.area_team.region_id


def _ccg_rows(request: HttpRequest, current: Cycle, ccgs) -> list[dict[str, Any]]:
    """Each CCG with its position; the proposal behind it only if the person may see it.
    Seven queries whatever the number of CCGs."""
    position = positions_in(current, ccgs)
    agreed = highest_arrangements(ccgs=ccgs)
    rows = list(ccgs.select_related("area_team").order_by("name"))
    for ccg in rows:
        found, arrangement = position.get(ccg.pk), agreed.get(ccg.pk)
        ccg.category = category_of(found)
        ccg.position_state = state_of(found)
        ccg.position_id = found.pk if found else None
        ccg.arrangement_id = arrangement.pk if arrangement else None
    visible = {
        p.pk: p
        for p in Proposal.objects.visible_to(request.user)
        .filter(pk__in=[r.position_id for r in rows if r.position_id])
        .select_related("cycle")
        .only("pk", "reference", "state", "model", "cycle__name")
    }
    arrangements = {
        p.pk: p
        for p in Proposal.objects.filter(
            pk__in=[r.arrangement_id for r in rows if r.arrangement_id],
            state__in=ARRANGEMENT_STATES,
        )
        .select_related("cycle")
        .only("pk", "model", "state", "decided_at", "live_at", "cycle__name")
    }
    result = []
    for ccg in rows:
        proposal = visible.get(ccg.position_id)
        result.append(
            {
                "ccg": ccg,
                # "Not yet decided" says a CCG has no proposal at all, so it is shown only
                # to people who would see any proposal the CCG had.
                "visible": proposal is not None
                or (ccg.position_id is None and _sees_every_proposal_of(request.user, ccg)),
                "category": Category(ccg.category),
                "state": ccg.position_state,
                "state_label": state_label(ccg.position_state),
                "proposal": proposal,
                "arrangement": arrangements.get(ccg.arrangement_id),
            }
        )
    return result


@login_required
@require_GET
@cached_page
def area_team(request: HttpRequest, cycle: str, code: str) -> HttpResponse:
    _require_dashboard(request)
    cycles = _cycles()
    current = _cycle(cycles, cycle)
    team = get_object_or_404(AreaTeam.objects.select_related("region"), code=code.upper())
    ccgs = CCG.objects.filter(area_team=team)
    rows = _ccg_rows(request, current, ccgs)
    crumbs = [_national_crumb(current), _region_crumb(current, team.region)]
    context = {
        **_base_context(cycles, current, "uptake:area_team", team.code, crumbs=crumbs),
        "area_team": team,
        "region": team.region,
        "summary": figures.summary(current, ccgs),
        "rows": rows,
        "hidden": sum(1 for row in rows if not row["visible"]),
        "scope_name": team.name,
    }
    return render(request, "uptake/area_team.html", context)


@login_required
@require_GET
@cached_page
def ccg(request: HttpRequest, cycle: str, ods: str) -> HttpResponse:
    _require_dashboard(request)
    cycles = _cycles()
    current = _cycle(cycles, cycle)
    the_ccg = get_object_or_404(
        CCG.objects.select_related("area_team__region"), ods_code=ods.upper()
    )
    row = _ccg_rows(request, current, CCG.objects.filter(pk=the_ccg.pk))[0]
    as_partner = ProposalPartner.objects.filter(ccg=the_ccg).values("proposal_id")
    proposals = list(
        Proposal.objects.visible_to(request.user)
        .filter(Q(ccg=the_ccg) | Q(pk__in=as_partner))
        .select_related("cycle", "ccg")
        .order_by("-cycle__starts_on", "-created_at")
    )
    crumbs = [
        _national_crumb(current),
        _region_crumb(current, the_ccg.area_team.region),
        _area_team_crumb(current, the_ccg.area_team),
    ]
    context = {
        **_base_context(cycles, current, "uptake:ccg", the_ccg.ods_code, crumbs=crumbs),
        "ccg": the_ccg,
        "area_team": the_ccg.area_team,
        "region": the_ccg.area_team.region,
        "row": row,
        "proposals": proposals,
        "scope_name": the_ccg.name,
    }
    return render(request, "uptake/ccg.html", context)


# -- the public register ------------------------------------------------------------------
#
# Cache-friendly: every response has an ETag (a hash of the rows it shows and of how it shows
# them) and Last-Modified, and a conditional GET gets 304 without the page being built. The CSV
# and JSON may be kept by any cache for five minutes. The page is not shared (it carries a
# fresh CSP nonce for its inline scripts, which must not be handed to other people) but a
# browser revalidates it cheaply; its 304 sends no CSP header, so the browser keeps the policy
# that matches the nonce in the copy it has.


@lru_cache(maxsize=1)
def _page_fingerprint() -> str:
    """Changes when the register page's templates change, so a browser's copy does too."""
    sources = [
        get_template(name).template.source
        for name in ("base.html", "uptake/register.html", "uptake/includes/footer_links.html")
    ]
    return hashlib.sha256("".join(sources).encode()).hexdigest()


def _etag(*parts: Any) -> str:
    encoded = json.dumps(parts, sort_keys=True, default=str).encode()
    return quote_etag(hashlib.sha256(encoded).hexdigest()[:32])


def _not_modified(request: HttpRequest, etag: str, last_modified) -> HttpResponse | None:
    seconds = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=seconds)
    if response is not None:
        response._csp_exempt = True  # keep the policy the cached copy came with
    return response


def _cache_headers(response: HttpResponse, etag: str, last_modified, *, shared: bool) -> None:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    if shared:
        patch_cache_control(response, public=True, max_age=REGISTER_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)


def _filters_or_error(request: HttpRequest, teams) -> tuple[public.Filters, str]:
    try:
        return public.parse_filters(request.GET, teams), ""
    except public.FilterError as error:
        return public.Filters(), str(error)


@require_safe
@cached_page(timeless=True)
def register(request: HttpRequest) -> HttpResponse:
    teams = public.area_teams()
    filters, error = _filters_or_error(request, teams)
    data = public.build(filters)
    signed_in = request.user.is_authenticated
    page = paginate(
        len(data.rows), REGISTER_PAGE_SIZE, page_number(request.GET), request.GET, request.path
    )
    shown = data.rows[page.first - 1 : page.last] if data.rows else []
    etag = _etag("html", shown, page.number, filters.query, error, signed_in, _page_fingerprint())
    if not error:
        not_modified = _not_modified(request, etag, data.last_modified)
        if not_modified is not None:
            _cache_headers(not_modified, etag, data.last_modified, shared=False)
            return not_modified
    regions = []
    for team in teams:
        if not regions or regions[-1]["region"].pk != team.region_id:
            regions.append({"region": team.region, "teams": []})
        regions[-1]["teams"].append(team)
    query = urlencode(filters.query)
    context = {
        "rows": shown,
        "total": len(data.rows),
        "page": page,
        "filters": filters,
        "filter_error": error,
        "regions": regions,
        "chosen_region": next(
            (r["region"] for r in regions if r["region"].code == filters.region), None
        ),
        "chosen_team": next((t for t in teams if t.code == filters.area_team), None),
        "fields": public.FIELDS,
        "counts": [(label, data.count(model)) for model, label in REGISTER_COUNTS],
        "csv_url": reverse("uptake:register_csv") + (f"?{query}" if query else ""),
        "json_url": reverse("uptake:register_json") + (f"?{query}" if query else ""),
    }
    response = render(request, "uptake/register.html", context, status=400 if error else 200)
    if not error:
        _cache_headers(response, etag, data.last_modified, shared=False)
    return response


REGISTER_COUNTS = [
    ("delegated", "delegated commissioning"),
    ("joint", "joint commissioning"),
    ("greater_involvement", "greater involvement"),
    ("none", "no arrangement agreed"),
]


def _open_data(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _register_data(request: HttpRequest, kind: str):
    """The rows for the CSV or JSON, or the response to send instead (400 or 304)."""
    try:
        filters = public.parse_filters(request.GET, public.area_teams())
    except public.FilterError as error:
        if kind == "json":
            return None, None, "", _open_data(JsonResponse({"error": str(error)}, status=400))
        return (
            None,
            None,
            "",
            _open_data(
                HttpResponse(f"{error}\n", status=400, content_type="text/plain; charset=utf-8")
            ),
        )
    data = public.build(filters)
    etag = _etag(kind, data.rows, filters.query, request.get_host() if kind == "json" else "")
    not_modified = _not_modified(request, etag, data.last_modified)
    if not_modified is not None:
        _cache_headers(not_modified, etag, data.last_modified, shared=True)
        return None, None, "", _open_data(not_modified)
    return data, filters, etag, None


@require_safe
@cached_page(timeless=True)
def register_csv(request: HttpRequest) -> HttpResponse:
    data, _, etag, early = _register_data(request, "csv")
    if early is not None:
        return early
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=public.FIELD_NAMES, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(data.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="co-commissioning-arrangements.csv"'
    _cache_headers(response, etag, data.last_modified, shared=True)
    return _open_data(response)


@require_safe
@cached_page(timeless=True)
def register_json(request: HttpRequest) -> HttpResponse:
    data, filters, etag, early = _register_data(request, "json")
    if early is not None:
        return early
    body = {
        "title": "Register of primary care co-commissioning arrangements",
        "publisher": "NHS England",
        "documentation": request.build_absolute_uri(reverse("uptake:register") + "#fields"),
        "last_modified": (
            timezone.localtime(data.last_modified).isoformat() if data.last_modified else None
        ),
        "filters": {"region": filters.region or None, "area_team": filters.area_team or None},
        "count": len(data.rows),
        "fields": public.FIELD_NAMES,
        "arrangements": data.rows,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=1), content_type="application/json"
    )
    _cache_headers(response, etag, data.last_modified, shared=True)
    return _open_data(response)
