"""Benchmark the sign-off pack: a meeting of 80 delegated proposals.

    .venv/bin/python bench/pack.py [--items 80] [--repeat 3]

Builds the meeting through the real services in its own database, then times
(a) the whole pack as the worker builds it: queries, template rendering and the PDF, and
(b) the floor: WeasyPrint rendering the very same HTML alone.
Prints both, their ratio (goal: within 1.2x) and the peak memory of each.
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cocommissioning.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cocommissioning_bench")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"

import django

django.setup()

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import AreaTeam, Cycle, Proposal, Region
from applications.services import create_proposal, submit_proposal
from approvals.packs import PDF_OPTIONS, build_pack, pack_html
from approvals.services import (
    add_to_agenda,
    create_meeting,
    recommend_to_committee,
    save_review,
    start_review,
)
from bench.sweep import prepare_database, reset
from tests.approvals.conftest import ALL_YES
from tests.factories import CCGFactory, ccg_staff, complete_pro_forma, london, reviewer, secretary


def build_meeting(items: int):
    region = Region.objects.create(code="Y55", name="Midlands and East of England")
    team = AreaTeam.objects.create(code="Q55", name="Derbyshire and Nottinghamshire", region=region)
    cycle = Cycle.objects.create(name="2015/16", starts_on="2015-04-01")
    from applications.models import Deadline

    Deadline.objects.create(
        cycle=cycle, event="proposals_due", model="delegated", due_at=london(2015, 1, 5, 23, 59)
    )
    region_reviewer = reviewer(region)
    committee_secretary = secretary()
    with time_machine.travel(london(2014, 12, 10, 10), tick=False):
        meeting = create_meeting(
            cycle=cycle,
            meets_at=london(2015, 2, 16, 10),
            by=committee_secretary,
            members="Chair\nChief Executive\nNational Director: Commissioning Strategy",
        )
        for index in range(items):
            ccg = CCGFactory(area_team=team, name=f"NHS Bench {index + 1} CCG")
            staff = ccg_staff(ccg)
            proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
            Proposal.objects.filter(pk=proposal.pk).update(
                pro_forma=complete_pro_forma("delegated")
            )
            proposal = submit_proposal(proposal=proposal, by=staff)
            review = start_review(proposal=proposal, by=region_reviewer)
            save_review(review=review, by=region_reviewer, answers=ALL_YES)
            proposal = recommend_to_committee(proposal=proposal, by=region_reviewer, recommend=True)
            add_to_agenda(meeting=meeting, proposal=proposal, by=committee_secretary)
    return meeting


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def peak_memory(function) -> float:
    """Peak Python allocation in MB: measured in a pass of its own, since tracing
    allocations slows WeasyPrint several times over."""
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from weasyprint import HTML

    prepare_database()
    reset()
    meeting = build_meeting(args.items)
    html = pack_html(meeting)
    HTML(string=html).render()  # warm up fonts and caches once, for both sides alike

    def floor():
        return HTML(string=html, base_url=os.getcwd()).write_pdf(**PDF_OPTIONS)

    packs, floors, pages, query_count = [], [], None, None
    for _ in range(args.repeat):
        with CaptureQueriesContext(connection) as queries:
            (pdf, _, _), seconds = timed(lambda: build_pack(meeting))
        packs.append(seconds)
        pages, query_count = pdf.pages, len(queries)
        floors.append(timed(floor)[1])
    pack_s, floor_s = statistics.median(packs), statistics.median(floors)
    print(f"items {args.items}, pages {pages}, repeats {args.repeat}")
    print(
        f"pack  (queries + template + PDF): median {pack_s:.2f} s, queries {query_count}, "
        f"peak {peak_memory(lambda: build_pack(meeting)):.0f} MB"
    )
    print(
        f"floor (WeasyPrint, same HTML):    median {floor_s:.2f} s, "
        f"peak {peak_memory(floor):.0f} MB"
    )
    print(f"ratio pack / floor: {pack_s / floor_s:.3f} (goal <= 1.2)")
    reset()


if __name__ == "__main__":
    main()
