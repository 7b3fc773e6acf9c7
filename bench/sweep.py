"""Benchmark the deadline sweep: N proposals of which M fall due at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocommissioning_bench \
        .venv/bin/python bench/sweep.py [--proposals 10000] [--due 1000]

Creates (or empties) its own database, bulk-loads the proposals, then times one sweep pass
and counts its queries. Prints one line per configuration so runs can be compared; the goal
is under 1 s for 10,000 proposals with 1,000 due, and the same query count whatever N and M.
"""

import argparse
import os
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cocommissioning.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cocommissioning_bench")
# As in production: the sweep only queues the outbox relay; a worker sends the emails later.
# Nothing consumes this Redis database during the benchmark, and it is emptied at the end.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.deadlines import run_sweep
from applications.models import (
    CCG,
    AreaTeam,
    Cycle,
    Deadline,
    OutboxMessage,
    Proposal,
    ProposalTransition,
    Region,
    Role,
    User,
)


def prepare_database() -> None:
    from django.db import connections

    name = connection.settings_dict["NAME"]
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def reset() -> None:
    # The audit tables refuse DELETE row by row; TRUNCATE is how a benchmark starts over.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE applications_proposaltransition, applications_proposalevent, "
            "applications_outboxmessage, applications_sweeprun, applications_proposalcondition, "
            "applications_proposalpartner, applications_proposal, applications_deadline, "
            "applications_cycle, applications_user, applications_ccg, applications_areateam, "
            "applications_region RESTART IDENTITY CASCADE"
        )


def base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    code = ""
    for _ in range(3):
        number, digit = divmod(number, 36)
        code = digits[digit] + code
    return code


def build(proposals: int, due: int) -> None:
    now = timezone.now()
    region = Region.objects.create(code="Y99", name="Bench region")
    team = AreaTeam.objects.create(code="Q99", name="Bench area team", region=region)
    ccgs = CCG.objects.bulk_create(
        CCG(
            ods_code=base36(i),
            ons_code=f"E38{i:06d}",
            name=f"Bench CCG {i}",
            area_team=team,
            registered_population=200_000,
        )
        for i in range(proposals)
    )
    User.objects.bulk_create(
        User(username=f"staff{i}", email=f"staff{i}@example.nhs.uk", role=Role.CCG_STAFF, ccg=c)
        for i, c in enumerate(ccgs)
    )
    cycle = Cycle.objects.create(name="2030/31", starts_on=(now + timedelta(days=300)).date())
    Deadline.objects.create(
        cycle=cycle, event="proposals_due", model="delegated", due_at=now - timedelta(minutes=2)
    )
    Deadline.objects.create(
        cycle=cycle, event="proposals_due", model="joint", due_at=now + timedelta(days=40)
    )
    Proposal.objects.bulk_create(
        Proposal(
            reference=f"BENCH-{i}",
            cycle=cycle,
            ccg=ccg,
            model="delegated" if i < due else "joint",
            pro_forma={"contact": {"contact_email": f"contact{i}@example.nhs.uk"}},
        )
        for i, ccg in enumerate(ccgs)
    )


def measure(proposals: int, due: int) -> dict:
    reset()
    build(proposals, due)
    # Timed without tracemalloc, which slows the ORM several times over; peak memory is
    # taken in a second pass on a fresh copy of the same data.
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        run = run_sweep()
        seconds = time.perf_counter() - started
    check(run, due)
    reset()
    build(proposals, due)
    tracemalloc.start()
    check(run_sweep(), due)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "proposals": proposals,
        "due": due,
        "seconds": seconds,
        "queries": len(queries),
        "peak_mb": peak / 1e6,
    }


def check(run, due: int) -> None:
    lapsed = ProposalTransition.objects.filter(name="lapse").count()
    # The benchmark checks its own run; it is a script, never run with python -O.
    assert run.failures == [], run.failures  # nosec B101
    assert lapsed == due, (lapsed, due)  # nosec B101
    assert OutboxMessage.objects.filter(dedupe_key__startswith="lapsed:").count() == due  # nosec B101


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    prepare_database()
    reset()
    run_sweep()  # warm up: first-use imports (kombu, redis) are a once-per-process cost
    configurations = [(1_000, 100), (args.proposals, 100), (args.proposals, args.due)]
    print(
        f"{'proposals':>9} {'due':>5} {'best s':>7} {'median s':>8} {'queries':>7} {'peak MB':>7}"
    )
    for proposals, due in configurations:
        results = [measure(proposals, due) for _ in range(args.repeat)]
        times = sorted(r["seconds"] for r in results)
        queries = {r["queries"] for r in results}
        print(
            f"{proposals:>9} {due:>5} {times[0]:>7.3f} {times[len(times) // 2]:>8.3f} "
            f"{'/'.join(map(str, sorted(queries))):>7} {max(r['peak_mb'] for r in results):>7.1f}"
        )
    reset()
    import redis

    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()


if __name__ == "__main__":
    main()
