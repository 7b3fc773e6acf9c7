"""The pages people use most against the framework's own floor, 20 clients at a time.

    .venv/bin/python bench/pages.py [--scale 1|10] [--clients 20] [--seconds 10] [--rounds 3]

Needs the data of bench/data.py (``--scale 10`` reads cocommissioning_benchdata_x10), PostgreSQL
and Redis on 127.0.0.1, and wrk (Debian's package ``wrk``). It collects the static files,
starts gunicorn on a free port of 127.0.0.1 with bench/settings.py (production settings,
plain HTTP, plus the floor view of bench/urls.py), signs in through the real sign-in form
(one session per client, so clients never queue on one session row), checks every page
answers 200 with what a person would see, then drives each page with wrk:

- the floor: ``/bench/floor/``, a view that returns two words through the same middleware
  (request log, security headers, CSP, sessions, CSRF, authentication, session limits), as
  a signed-in CCG user;
- the CCG start page (CCG staff), the reviewer queue (a regional reviewer), a proposal page
  (the CCG's proposal with the longest history), the committee agenda (the secretary, the
  next meeting), the national dashboard (the national team, the year in progress) and the
  public register (nobody signed in).

Each round measures the floor, then each page right after a floor run of its own, so every
ratio compares two runs a few seconds apart: that holds on a noisy machine where absolute
figures do not. It prints requests per second, p50 and p95 (ms) and the ratio of each page's
requests per second to its floor's, per round, then the median over the rounds. wrk's
latency includes its connection per request (gunicorn's sync workers close it). Traffic goes
only to 127.0.0.1; wrk runs for a fixed time and stops by itself.
"""

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import statistics

# Starts gunicorn and wrk from fixed argument lists, never a shell.
import subprocess  # nosec B404
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, start_gunicorn, stop, wait_until_up
from bench.data import default_database

PASSWORD = "bench-pages-" + secrets.token_urlsafe(12)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

WRK_SCRIPT = """
local cookies = {%(cookies)s}
local n = 0
request = function()
  n = n + 1
  local headers = {}
  if #cookies > 0 then headers["Cookie"] = cookies[(n %% #cookies) + 1] end
  return wrk.format("GET", nil, headers)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'WRK {"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "errors": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
"""


@dataclass
class Page:
    name: str
    path: str
    role: str  # whose sessions ("" for nobody signed in)
    expect: str  # text the page must contain


def pick_pages() -> tuple[list[Page], dict[str, str]]:
    """The pages and the accounts (username per role) to drive them with."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count
    from django.utils import timezone

    from applications.models import CCG, Proposal, Role, User
    from approvals.models import CommitteeMeeting
    from uptake.views import current_cycle, cycle_slug

    ccg = (
        CCG.objects.annotate(n=Count("proposals"))
        .filter(ods_code__regex=r"^[0-9]")
        .order_by("-n", "ods_code")
        .first()
    )
    proposal = (
        Proposal.objects.filter(ccg=ccg)
        .annotate(n=Count("events", distinct=True) + Count("transitions", distinct=True))
        .order_by("-n")
        .first()
    )
    meeting = (
        CommitteeMeeting.objects.filter(meets_at__gte=timezone.now())
        .annotate(n=Count("items"))
        .order_by("meets_at", "-n")
        .first()
    ) or CommitteeMeeting.objects.annotate(n=Count("items")).order_by("-n").first()
    from applications.models import Cycle

    cycle = current_cycle(list(Cycle.objects.prefetch_related("deadlines")))
    password = make_password(PASSWORD)
    accounts = {
        "ccg_staff": ("bench.ccg", {"role": Role.CCG_STAFF, "ccg": ccg}),
        "reviewer": (
            "bench.reviewer",
            {"role": Role.REGIONAL_REVIEWER, "region": ccg.area_team.region},
        ),
        "secretary": ("bench.secretary", {"role": Role.COMMITTEE_SECRETARY}),
        "national": ("bench.national", {"role": Role.NATIONAL_ADMIN}),
    }
    for username, fields in accounts.values():
        User.objects.update_or_create(
            username=username,
            defaults={
                **fields,
                "password": password,
                "first_name": "Bench",
                "last_name": username.split(".")[1],
                "email": f"{username}@example.nhs.uk",
                "is_active": True,
            },
        )
    pages = [
        Page("CCG start page", "/ccg/", "ccg_staff", ccg.name),
        Page("reviewer queue", "/review/", "reviewer", "Proposals to review"),
        Page("proposal page", f"/proposals/{proposal.reference}/", "ccg_staff", proposal.reference),
        Page("committee agenda", f"/committee/{meeting.pk}/", "secretary", "Agenda"),
        Page("national dashboard", f"/uptake/{cycle_slug(cycle)}/", "national", "England"),
        Page("public register", "/register/", "", "register"),
    ]
    print(
        f"data: {CCG.objects.count()} CCGs, {Proposal.objects.count()} proposals; CCG "
        f"{ccg.ods_code} ({ccg.n} proposals), proposal {proposal.reference} "
        f"({proposal.n} audit rows), meeting {meeting.pk} ({meeting.n} items), year {cycle}"
    )
    return pages, {role: username for role, (username, _) in accounts.items()}


def sign_in(base: str, username: str) -> str:
    """Through the sign-in form, as a person would: returns the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/sign-in/", timeout=30) as response:
        token = CSRF.search(response.read().decode()).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
    ).encode()
    # Only ever http://127.0.0.1:<port>/sign-in/.
    request = urllib.request.Request(  # noqa: S310
        f"{base}/sign-in/", data=data, headers={"Referer": base}
    )
    with opener.open(request, timeout=30) as response:
        response.read()
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    if not session:
        raise SystemExit(f"could not sign in as {username}")
    return f"sessionid={session}"


def fetch(base: str, path: str, cookie: str) -> tuple[int, str]:
    # Only ever http://127.0.0.1:<port>/…
    request = urllib.request.Request(  # noqa: S310
        base + path, headers={"Cookie": cookie} if cookie else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # nosec B310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def drain(base: str, seconds: float = 120) -> None:
    """Wait until the server answers at once again: requests a slow page left queued
    would otherwise be counted against the next run."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        fetch(base, "/healthz", "")
        if time.monotonic() - started < 0.2:
            return


def vacuum_sessions() -> None:
    """Every request rewrites its session row (SESSION_SAVE_EVERY_REQUEST), thousands a
    second here: vacuum them between runs, as autovacuum does in time, so that each run starts
    from the same table rather than from the last run's dead rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM django_session")


def ratio(page: dict, floor: dict) -> float:
    return page["rps"] / floor["rps"] if floor["rps"] else float("nan")


def run_wrk(url: str, cookies: list[str], clients: int, seconds: int, work: Path) -> dict:
    script = work / "page.lua"
    script.write_text(WRK_SCRIPT % {"cookies": ", ".join(json.dumps(c) for c in cookies)})
    output = subprocess.run(  # nosec B603 # fixed wrk command
        [
            shutil.which("wrk") or "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    result = json.loads(line[4:])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="which data of bench/data.py")
    parser.add_argument("--database", help="default: bench/data.py's database for the scale")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10, help="per run (default 10)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--only", help="comma-separated page names to run (default all)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--cold", action="store_true", help="page cache off: every page built for every request"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="cocommissioning-pages-"))
    url = args.database or default_database(args.scale)
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "DJANGO_PAGE_CACHE": "false" if args.cold else "true",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from applications.models import Proposal

    # Data made before a migration (an index, say) gets it now, as a deployment would.
    call_command("migrate", verbosity=0)
    if not Proposal.objects.exists():
        raise SystemExit(f"no data in {url}: run bench/data.py --scale {args.scale} first")
    call_command("collectstatic", interactive=False, verbosity=0)
    pages, usernames = pick_pages()
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        pages = [p for p in pages if p.name in wanted]
    from django.db import connections

    connections.close_all()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / "gunicorn.log"
    server = None
    try:
        server = start_gunicorn(port, args.workers, log, "--backlog", "256")
        wait_until_up(f"{base}/healthz", server, log)
        sessions = {
            role: [sign_in(base, username) for _ in range(args.clients)]
            for role, username in usernames.items()
        }
        sessions[""] = []
        floor = Page("floor", "/bench/floor/", "ccg_staff", "floor user")
        for page in [floor, *pages]:
            cookie = sessions[page.role][0] if page.role else ""
            status, body = fetch(base, page.path, cookie)
            if status != 200 or page.expect not in body:
                raise SystemExit(f"{page.name} ({page.path}) answered {status} without the page")
            for _ in range(5):  # warm each worker's caches and connections
                fetch(base, page.path, cookie)
        print(
            f"gunicorn {args.workers} sync workers on {base}; wrk: {args.clients} clients, "
            f"{args.seconds} s a run, {args.rounds} rounds; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        results: dict[str, list[dict]] = {p.name: [] for p in pages}
        floors: dict[str, list[dict]] = {p.name: [] for p in pages}
        for round_number in range(1, args.rounds + 1):
            for page in pages:
                vacuum_sessions()
                floor_run = run_wrk(
                    base + floor.path, sessions["ccg_staff"], args.clients, args.seconds, work
                )
                drain(base)
                page_run = run_wrk(
                    base + page.path, sessions[page.role], args.clients, args.seconds, work
                )
                drain(base)
                # wrk counts only 4xx and 5xx as errors: make sure the sessions still see the
                # page (not a redirect to sign in) after the run, or the run means nothing.
                for checked, role in ((page, page.role), (floor, "ccg_staff")):
                    cookie = sessions[role][-1] if role else ""
                    status, body = fetch(base, checked.path, cookie)
                    if status != 200 or checked.expect not in body:
                        raise SystemExit(f"{checked.name} answered {status} after the run")
                floors[page.name].append(floor_run)
                results[page.name].append(page_run)
                print(
                    f"round {round_number} {page.name:<20} floor {floor_run['rps']:7.1f}/s "
                    f"p95 {floor_run['p95']:6.1f} ms | page {page_run['rps']:7.1f}/s "
                    f"p50 {page_run['p50']:6.1f} p95 {page_run['p95']:6.1f} ms | ratio "
                    f"{ratio(page_run, floor_run):.2f} | errors "
                    f"{floor_run['errors'] + page_run['errors']}",
                    flush=True,
                )
        print()
        header = (
            f"{'page':<20} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'floor req/s':>12} "
            f"{'floor p95':>10} {'ratio':>6} {'errors':>6}"
        )
        print(
            f"median of {args.rounds} rounds, {args.clients} clients, scale {args.scale}, "
            f"page cache {'off' if args.cold else 'on'}"
        )
        print(header)
        print("-" * len(header))
        summary = []
        for page in pages:
            runs, floor_runs = results[page.name], floors[page.name]
            row = {
                "page": page.name,
                "path": page.path,
                "rps": statistics.median(r["rps"] for r in runs),
                "p50": statistics.median(r["p50"] for r in runs),
                "p95": statistics.median(r["p95"] for r in runs),
                "floor_rps": statistics.median(r["rps"] for r in floor_runs),
                "floor_p95": statistics.median(r["p95"] for r in floor_runs),
                "ratio": statistics.median(
                    ratio(r, f) for r, f in zip(runs, floor_runs, strict=True)
                ),
                "errors": sum(r["errors"] for r in runs),
            }
            summary.append(row)
            print(
                f"{row['page']:<20} {row['rps']:8.1f} {row['p50']:7.1f} {row['p95']:7.1f} "
                f"{row['floor_rps']:12.1f} {row['floor_p95']:10.1f} {row['ratio']:6.2f} "
                f"{row['errors']:6d}"
            )
        goal = all(r["ratio"] >= 0.6 and r["p95"] < 100 and not r["errors"] for r in summary)
        print(f"goal (ratio >= 0.60, p95 < 100 ms, no errors) {'met' if goal else 'NOT met'}")
        if args.json:
            Path(args.json).write_text(json.dumps(summary, indent=2))
        return 0
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
