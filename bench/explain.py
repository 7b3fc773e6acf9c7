"""How PostgreSQL runs the queries of the benchmarked pages and of the deadline sweep, on
bench/data.py's data (``--scale 10`` by default: the scaling check).

    .venv/bin/python bench/explain.py [--scale 10] [--all]

Builds each page of bench/pages.py once through Django's test client (the page cache
bypassed, so every query runs) and runs one deadline sweep pass at a moment when reminders,
lapses, escalations and go-live are all due, inside a transaction that is rolled back. Each
SELECT they sent is run again under ``EXPLAIN (ANALYZE, FORMAT JSON)``; it prints per query
the time, the rows read and how each table was reached (index or sequential scan), and flags
a sequential scan of a table of more than 1,000 rows that keeps under a tenth of them: a
filter an index should answer (reading every CCG to count them all, as the dashboard does,
is the right plan and is not flagged). ``--all`` prints every query, not only the flagged and
the slowest.
"""

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.data import default_database

BIG = 1000  # rows: a sequential scan of a larger table that keeps under a tenth is flagged


def scans(plan: dict, found: list[tuple[str, str, str, float]]) -> None:
    node = plan.get("Node Type", "")
    if "Scan" in node and "Relation Name" in plan:
        found.append(
            (
                node,
                plan["Relation Name"],
                plan.get("Index Name", ""),
                plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1),
            )
        )
    for child in plan.get("Plans", []):
        scans(child, found)


def table_sizes(cursor) -> dict[str, int]:
    cursor.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables")
    return dict(cursor.fetchall())


def explain(cursor, sql: str) -> tuple[float, list]:
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
    result = cursor.fetchone()[0][0]
    found: list = []
    scans(result["Plan"], found)
    return result["Execution Time"], found


def capture_pages() -> list[tuple[str, str]]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import User
    from bench.pages import pick_pages

    pages, usernames = pick_pages()
    captured = []
    settings.PAGE_CACHE = False  # every page built, every query run
    for page in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        if page.role:
            client.force_login(User.objects.get(username=usernames[page.role]))
        client.get(page.path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path)
        if response.status_code != 200:
            raise SystemExit(f"{page.name} answered {response.status_code}")
        captured += [(page.name, q["sql"]) for q in queries.captured_queries]
    return captured


def capture_sweep() -> list[tuple[str, str]]:
    """A sweep pass a week before the year in progress's committee, rolled back."""
    import time_machine
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from applications.deadlines import run_sweep
    from applications.models import Cycle

    cycle = Cycle.objects.order_by("-starts_on").first()
    committee = cycle.deadline("committee_sign_off")
    moment = committee.due_at - dt.timedelta(days=6, hours=23) if committee else None
    captured = []
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        if moment is not None:
            with time_machine.travel(moment, tick=False):
                run_sweep(moment)
        transaction.set_rollback(True)
    captured += [("deadline sweep", q["sql"]) for q in queries.captured_queries]
    return captured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--database")
    parser.add_argument("--all", action="store_true", help="print every query")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database or default_database(args.scale)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    queries = capture_pages() + capture_sweep()
    flagged = 0
    with connection.cursor() as cursor:
        sizes = table_sizes(cursor)
        print(
            f"{os.environ['DATABASE_URL']}: "
            + ", ".join(
                f"{name.split('_', 1)[1]} {sizes[name]:,}"
                for name in (
                    "applications_proposal",
                    "applications_proposaltransition",
                    "applications_proposalevent",
                    "applications_ccg",
                )
            )
        )
        print(f"{'where':<20} {'ms':>7} {'rows read':>10}  how the tables were reached")
        for where, sql in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            milliseconds, found = explain(cursor, sql)
            bad = [
                f
                for f in found
                if f[0] == "Seq Scan"
                and sizes.get(f[1], 0) > BIG
                and f[3] < sizes.get(f[1], 0) / 10
            ]
            flagged += bool(bad)
            if not (args.all or bad or milliseconds > 5):
                continue
            how = "; ".join(
                f"{node} {table}" + (f" ({index})" if index else "") + f" {rows:,.0f}"
                for node, table, index, rows in found
            )
            mark = "SEQ SCAN " if bad else ""
            rows = sum(f[3] for f in found)
            print(f"{where:<20} {milliseconds:7.2f} {rows:10,.0f}  {mark}{how}")
            print(f"{'':<20} {sql[:150]}")
    print(
        f"{len(queries)} queries explained; {flagged} read a table of over {BIG:,} rows whole "
        "to keep under a tenth of it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
