"""Load test: 50 simulated people in every role against gunicorn and PostgreSQL, loopback only.

    .venv/bin/python bench/load_run.py [--run-time 3m] [--users 50] [--spawn-rate 10]

Needs PostgreSQL and Redis on 127.0.0.1 and locust (pip install -c constraints.txt '.[bench]').
It (re)creates its own database (DATABASE_URL, by default cocommissioning_load; it is dropped
and created again at each run, so never point it at a database you need), migrates, loads the
reference data, the demo programme (manage.py load_demo_data) and an open cycle, creates the
load test's accounts (load.* users, one password), collects the static files, starts gunicorn
with 3 workers on a free port of 127.0.0.1 with production settings (bench/load_settings.py:
production with Secure cookies and the https redirect off, bench only), then runs
bench/load.py headless for the given time. Celery runs eagerly; email goes to memory.

Afterwards it prints per request name: requests, failures, requests per second, p50 and p95
(ms), the totals and the error rate; and compares the submissions locust saw answered with
success against the submitted proposals in the database. Exit status 1 if any request failed
or a submission answered as done is not in the database. gunicorn and locust are stopped
(their whole process groups) whatever happens. Sign-in limits count only failed attempts, so
the load test's correct sign-ins never reach them; each CCG account is used once.
"""

import argparse
import json
import os
import secrets
import shutil

# Starts gunicorn and locust from fixed argument lists, never a shell.
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (
    free_port,
    recreate_database,
    start,
    start_gunicorn,
    stop,
    wait_until_up,
)

VENV_BIN = Path(sys.executable).parent

DATABASE_URL = os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cocommissioning_load"
)
WORK = Path(tempfile.mkdtemp(prefix="cocommissioning-load-"))
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.load_settings",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "CELERY_TASK_ALWAYS_EAGER": "true",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DJANGO_MEDIA_ROOT": str(WORK / "media"),
    "DJANGO_STATIC_ROOT": str(WORK / "static"),
    "DJANGO_CACHE_URL": os.environ.get("DJANGO_CACHE_URL", "redis://127.0.0.1:6379/1"),
}
os.environ.update(ENV)

PASSWORD = "load-test-" + secrets.token_urlsafe(12)


def prepare() -> dict:
    """The database, the data and the accounts; returns what bench/load.py needs."""
    import django

    django.setup()
    import logging

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from applications.models import (
        CCG,
        AreaTeam,
        CommissioningModel,
        Cycle,
        Proposal,
        Region,
        Role,
        User,
    )
    from applications.models.proposals import IN_FLIGHT_STATES
    from applications.services import current_arrangement

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", force=True, verbosity=0)
    call_command("open_demo_cycle", force=True, verbosity=0)
    logging.disable(logging.INFO)
    call_command("collectstatic", interactive=False, verbosity=0)
    logging.disable(logging.NOTSET)
    cycle = Cycle.objects.order_by("-starts_on").first()

    # One hash for every load account: hashing is the slow part (PBKDF2), not the test.
    password = make_password(PASSWORD)
    delegated = CommissioningModel.level(CommissioningModel.DELEGATED)
    users: list[User] = []
    ccg_staff = []
    for ccg in CCG.objects.order_by("ods_code"):
        current = current_arrangement(ccg)
        busy = Proposal.objects.filter(ccg=ccg, cycle=cycle, state__in=IN_FLIGHT_STATES).exists()
        if busy or (current is not None and CommissioningModel.level(current.model) >= delegated):
            continue  # already delegated (or busy): it has nothing to propose
        users.append(User(username=f"load.ccg.{ccg.ods_code}", role=Role.CCG_STAFF, ccg=ccg))
        ccg_staff.append(users[-1].username)
    area_teams = []
    for team in AreaTeam.objects.order_by("code"):
        users.append(User(username=f"load.area.{team.code}", role=Role.AREA_TEAM, area_team=team))
        area_teams.append(users[-1].username)
    reviewers = []
    for region in Region.objects.order_by("code"):
        for n in range(3):
            name = f"load.reviewer.{region.code}.{n}"
            users.append(User(username=name, role=Role.REGIONAL_REVIEWER, region=region))
            reviewers.append(name)
    secretaries = [f"load.secretary.{n}" for n in range(3)]
    users += [User(username=u, role=Role.COMMITTEE_SECRETARY) for u in secretaries]
    national = [f"load.national.{n}" for n in range(5)]
    users += [User(username=u, role=Role.NATIONAL_ADMIN) for u in national]
    for user in users:
        user.password = password
        user.email = f"{user.username}@example.nhs.uk"
        user.first_name, user.last_name = "Load", user.username.split(".", 1)[1]
    User.objects.bulk_create(users)
    print(
        f"prepared in {time.monotonic() - started:.0f}s: {Proposal.objects.count()} proposals, "
        f"open cycle {cycle} (id {cycle.pk}); accounts: {len(ccg_staff)} CCG staff (one "
        f"journey each), {len(area_teams)} area team, {len(reviewers)} reviewers, "
        f"{len(secretaries)} secretaries, {len(national)} national"
    )
    return {
        "password": PASSWORD,
        "cycle": str(cycle.pk),
        "cycle_id": cycle.pk,
        "start_date": cycle.starts_on.isoformat(),
        "agreed_on": (timezone.localdate() - timedelta(days=20)).isoformat(),
        "ccg_staff": [{"username": u} for u in ccg_staff],
        "area_team": [{"username": u} for u in area_teams],
        "reviewer": [{"username": u} for u in reviewers],
        "secretary": [{"username": u} for u in secretaries],
        "national": [{"username": u} for u in national],
    }


def percentile(times: dict[int, int], fraction: float) -> int:
    """From locust's histogram (milliseconds, rounded by locust above 100 ms to two
    significant figures, then count): the smallest time at or above the fraction."""
    total = sum(times.values())
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= fraction * total:
            return ms
    return 0


def print_table(entries: list[dict]) -> tuple[int, int]:
    """Requests per second are over the whole test (first request to last), for every row."""
    first = min(e["start_time"] for e in entries)
    last = max(e["last_request_timestamp"] for e in entries)
    seconds = max(last - first, 1e-9)
    header = f"{'request':<46} {'reqs':>6} {'fail':>5} {'rps':>7} {'p50 ms':>7} {'p95 ms':>7}"
    print(f"over {seconds:.0f} s (first request to last)")
    print(header)
    print("-" * len(header))
    merged: dict[int, int] = {}
    requests = failures = 0

    def line(name: str, count: int, failed: int, times: dict[int, int]) -> str:
        return (
            f"{name[:46]:<46} {count:>6} {failed:>5} {count / seconds:>7.2f} "
            f"{percentile(times, 0.50):>7} {percentile(times, 0.95):>7}"
        )

    for entry in sorted(entries, key=lambda e: e["name"]):
        times = {int(ms): n for ms, n in entry["response_times"].items()}
        for ms, n in times.items():
            merged[ms] = merged.get(ms, 0) + n
        requests += entry["num_requests"]
        failures += entry["num_failures"]
        print(line(entry["name"], entry["num_requests"], entry["num_failures"], times))
    print("-" * len(header))
    print(line("total", requests, failures, merged))
    return requests, failures


def check_submissions(answered_file: Path, cycle_id: int) -> tuple[int, int, int]:
    from applications.models import Proposal

    answered = set(answered_file.read_text().split()) if answered_file.exists() else set()
    stored = set(
        Proposal.objects.filter(
            cycle_id=cycle_id, ccg__staff__username__startswith="load.ccg.", state="submitted"
        ).values_list("reference", flat=True)
    )
    lost = answered - stored
    if stored - answered:
        print(f"note: {len(stored - answered)} submitted in the database but not seen answered")
    return len(answered), len(stored), len(lost)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-time", default="3m", help="locust --run-time (default 3m)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument(
        "--stop-timeout",
        default="120",
        help="seconds locust lets journeys in progress finish after the run time (default 120)",
    )
    args = parser.parse_args()

    recreate_database(DATABASE_URL)
    accounts = prepare()
    accounts_file = WORK / "accounts.json"
    accounts_file.write_text(json.dumps(accounts))
    submissions = WORK / "submissions.txt"
    failed = WORK / "failures.txt"
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = locust = None
    ok = False
    try:
        server = start_gunicorn(port, args.workers, WORK / "gunicorn.log")
        wait_until_up(f"{host}/healthz", server, WORK / "gunicorn.log")
        print(
            f"gunicorn ({args.workers} workers) on {host}; locust: {args.users} users, "
            f"spawn rate {args.spawn_rate}/s, run time {args.run_time}"
        )
        os.environ["LOAD_ACCOUNTS"] = str(accounts_file)
        os.environ["LOAD_SUBMISSIONS"] = str(submissions)
        os.environ["LOAD_FAILURES"] = str(failed)
        locust = start(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "load.py"),
                "--headless",
                "--host",
                host,
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--stop-timeout",
                args.stop_timeout,
                "--json-file",
                str(WORK / "locust"),
                "--only-summary",
            ],
            WORK / "locust.log",
        )
        locust.wait()
        stop(server)
        server = None

        stats = WORK / "locust.json"
        if not stats.exists():
            print(f"locust wrote no statistics; see {WORK / 'locust.log'}")
            return 1
        requests, failures = print_table(json.loads(stats.read_text()))
        rate = failures / requests if requests else 1.0
        print(f"error rate: {failures}/{requests} = {rate:.2%}")
        if failures and failed.exists():
            for what, count in Counter(failed.read_text().splitlines()).most_common():
                print(f"  {count}x {what}")
        answered, stored, lost = check_submissions(submissions, accounts["cycle_id"])
        print(f"submissions: {answered} answered success, {stored} in the database, {lost} lost")
        ok = requests > 0 and failures == 0 and lost == 0 and answered == stored
        return 0 if ok else 1
    finally:
        stop(locust)
        stop(server)
        if ok:
            shutil.rmtree(WORK, ignore_errors=True)
        else:
            print(f"logs kept in {WORK}")


if __name__ == "__main__":
    sys.exit(main())
