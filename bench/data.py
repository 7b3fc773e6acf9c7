"""Benchmark data: every CCG, three commissioning years, every proposal through the real
write paths, with its documents and about 100,000 audit rows; ``--scale 10`` for ten times
all of it.

    .venv/bin/python bench/data.py [--scale 1] [--seed 7] [--database URL]

It (re)creates its own database (by default cocommissioning_benchdata for scale 1 and
cocommissioning_benchdata_x10 for scale 10; dropped and created again, so never point it at a
database you need), migrates and loads the reference data. At a scale above 1 the country is
copied: every real CCG gets scale - 1 synthetic twins in the same area team (codes from V00,
names "… (copy N)", the same population and deprivation), so every region, area team and list
holds scale times the CCGs, proposals and audit rows, while one CCG's own pages do not grow.

Then it plays three years, dated with time-machine: the two before the year in progress, all
the way to go-live, and the year in progress (the next 1 April) as far as today. Everything
goes through ``applications.actions``/``.services`` and ``approvals.services`` exactly as the
pages call them (via ``uptake.demo.Player``): proposals started, their pro forma drafted and
redrafted section by section (each save is an audit event, as in the pages), partners,
documents uploaded, submissions, reviews with the checklist, change requests and
resubmissions, withdrawals, regional decisions, Commissioning Committee meetings (at most 60
items each), conditions met and go-live. Nothing writes a state directly.

Figures are printed at the end (CCGs, proposals, audit rows, documents, seconds). Used by
bench/pages.py and bench/explain.py; tests/bench/test_data.py runs it on a few CCGs.
"""

import argparse
import datetime as dt
import os
import random

# Starts its own parts from fixed argument lists, never a shell.
import subprocess  # nosec B404
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database

LONDON = ZoneInfo("Europe/London")
D, J, G = "delegated", "joint", "greater_involvement"
LEVEL = {G: 1, J: 2, D: 3}
COMMITTEE_SIZE = 60  # agenda items a meeting takes; more proposals, more meetings
# Redrafts of the pro forma per proposal (each an audit event), chosen so that the whole
# history of scale 1 comes to about 100,000 audit rows.
DEFAULT_REDRAFTS = 280


def default_database(scale: int) -> str:
    name = "cocommissioning_benchdata" if scale == 1 else f"cocommissioning_benchdata_x{scale}"
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def london(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def current_year(today: dt.date) -> int:
    """The year (1 April) whose arrangements go live next."""
    return today.year + 1 if today >= dt.date(today.year, 4, 1) else today.year


def cycle_name(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def make_cycles(years: list[int]):
    """The three years with the programme's timetable: delegated proposals due 5 January,
    joint 30 January, the committee on 16 February, go-live on 1 April."""
    from applications.models import Cycle, Deadline, DeadlineEvent

    cycles = []
    for year in years:
        cycle, _ = Cycle.objects.get_or_create(
            name=cycle_name(year), defaults={"starts_on": dt.date(year, 4, 1)}
        )
        for event, model, due_at in (
            (DeadlineEvent.PROPOSALS_DUE, D, london(dt.date(year, 1, 5), 23, 59)),
            (DeadlineEvent.PROPOSALS_DUE, J, london(dt.date(year, 1, 30), 23, 59)),
            (DeadlineEvent.COMMITTEE_SIGN_OFF, "", london(dt.date(year, 2, 16), 10)),
            (DeadlineEvent.GO_LIVE, "", london(dt.date(year, 4, 1))),
        ):
            Deadline.objects.update_or_create(
                cycle=cycle,
                event=event,
                model=model,
                defaults={"due_at": due_at, "description": "Benchmark timetable"},
            )
        cycles.append(cycle)
    return cycles


def synthetic_code(n: int) -> str:
    """V00, V01, … VZZ, W00, …: three characters, never a real CCG's (those start with a
    digit)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    letters = "VWXZ"
    first, rest = divmod(n, 36 * 36)
    return letters[first] + digits[rest // 36] + digits[rest % 36]


def copy_country(scale: int, limit: int | None) -> None:
    """scale - 1 twins of every real CCG, in the same area team."""
    from applications.models import CCG

    real = list(CCG.objects.order_by("ods_code"))
    if limit is not None:
        keep = {c.pk for c in real[:limit]}
        CCG.objects.exclude(pk__in=keep).delete()
        real = real[:limit]
    twins = []
    n = 0
    for copy in range(2, scale + 1):
        for ccg in real:
            twins.append(
                CCG(
                    ods_code=synthetic_code(n),
                    ons_code=f"E39{n:06d}",
                    name=f"{ccg.name} (copy {copy})",
                    area_team_id=ccg.area_team_id,
                    registered_population=ccg.registered_population,
                    imd2015_score=ccg.imd2015_score,
                )
            )
            n += 1
    CCG.objects.bulk_create(twins, batch_size=1000)


class Stories:
    """What each CCG does in a year, drawn from the seed: which model it proposes (always a
    level above what it holds), and how the proposal goes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def model(self, held: int) -> str | None:
        choices = [(m, w) for m, w in ((G, 0.2), (J, 0.45), (D, 0.35)) if LEVEL[m] > held]
        if not choices:
            return None
        models, weights = zip(*choices, strict=True)
        return self.rng.choices(models, weights=weights)[0]

    def past_path(self, model: str) -> str:
        roll = self.rng.random()
        if model == G:
            return "plain"
        if roll < 0.03:
            return "withdrawn"
        if roll < 0.06:
            return "declined" if model == D else "not_approved"
        if roll < 0.08:
            return "lapsed"
        if roll < 0.24:
            return "changes"
        if model == D and roll < 0.32:
            return "conditions"
        return "plain"

    def current_stage(self, model: str) -> str:
        if model == G:
            return self.rng.choice(["draft", "recorded", "recorded"])
        return self.rng.choices(
            ["draft", "submitted", "under_review", "changes_requested", "decided"],
            weights=[0.25, 0.15, 0.2, 0.1, 0.3],
        )[0]


def prepare_world(*, scale: int, limit: int | None) -> list[int]:
    """Reference data, the copies of the country, the three years and their people."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("load_reference_data", verbosity=0)
    copy_country(scale, limit)
    year = current_year(timezone.localdate())
    years = [year - 2, year - 1, year]
    make_cycles(years)
    with transaction.atomic():
        BenchPlayer(seed=0, redrafts=0, say=print).make_actors()
    return years


def play(
    *,
    years: list[int],
    seed: int,
    redrafts: int,
    part: int = 0,
    parts: int = 1,
    only: set[str] | None = None,
    say=print,
) -> None:
    """Play the three years for this part's CCGs (every parts-th, from the part-th), or
    for the CCGs with the ODS codes in ``only``."""
    import logging

    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from applications.models import Cycle, Proposal

    started = time.monotonic()
    cycles = [Cycle.objects.get(name=cycle_name(y)) for y in years]
    logging.disable(logging.INFO)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            player = BenchPlayer(
                seed=seed + part, redrafts=redrafts, say=say, part=part, parts=parts, only=only
            )
            player.player.make_actors()
            for cycle, cycle_year in zip(cycles, years, strict=True):
                with transaction.atomic():
                    if cycle_year < years[-1]:
                        player.past_year(cycle, cycle_year)
                    else:
                        player.current_year(cycle, cycle_year, now=timezone.now())
                say(
                    f"  part {part + 1} of {parts}, {cycle}: "
                    f"{Proposal.objects.filter(cycle=cycle).count()} proposals so far, "
                    f"{time.monotonic() - started:.0f}s"
                )
    finally:
        logging.disable(logging.NOTSET)


def counts(seconds: float, scale: int) -> dict:
    from applications.models import CCG, Cycle, Proposal, ProposalEvent, ProposalTransition
    from applications.models.documents import ProposalDocument

    figures = {
        "scale": scale,
        "ccgs": CCG.objects.count(),
        "cycles": Cycle.objects.filter(proposals__isnull=False).distinct().count(),
        "proposals": Proposal.objects.count(),
        "transitions": ProposalTransition.objects.count(),
        "events": ProposalEvent.objects.count(),
        "documents": ProposalDocument.objects.count(),
        "seconds": round(seconds),
    }
    figures["audit_rows"] = figures["transitions"] + figures["events"]
    return figures


class BenchPlayer:
    """Drives uptake.demo.Player's steps (the same write paths as the pages) for years it
    is not written for: any CCG, any year, and redrafting between first draft and
    submission."""

    def __init__(
        self,
        *,
        seed: int,
        redrafts: int,
        say,
        part: int = 0,
        parts: int = 1,
        only: set[str] | None = None,
    ) -> None:
        from uptake import demo

        self.demo = demo
        self.player = demo.Player(demo.Plan({}), seed, say)
        self.rng = random.Random(seed)  # nosec B311 # benchmark data
        self.stories = Stories(self.rng)
        self.redrafts = redrafts
        self.held: dict[str, int] = {}
        self.say = say
        self.part, self.parts, self.only = part, parts, only

    # -- people and steps ---------------------------------------------------------------

    def make_actors(self) -> None:
        self.player.make_actors()

    def story(self, ods: str, area_team: str, path: str = "plain", partners=()) -> object:
        return self.demo.Story(
            ods=ods, area_team=area_team, model="", path=path, partners=list(partners)
        )

    def at(self, moment: dt.datetime):
        return self.demo._at(moment)

    def redraft(self, proposal, first: dt.datetime, last: dt.datetime):
        """Save the pro forma's sections again and again between two moments, as a CCG
        team does while it drafts: each save through actions.save_section, each an audit
        event."""
        from applications import actions
        from applications.pro_forma import sections_for

        sections = [s.key for s in sections_for(proposal.model)]
        staff = self.player.staff[proposal.ccg.ods_code]
        count = max(0, int(self.rng.gauss(self.redrafts, self.redrafts / 4)))
        if not count or last <= first:
            return proposal
        step = (last - first) / (count + 1)
        for n in range(count):
            key = sections[n % len(sections)]
            answers = dict(proposal.pro_forma.get(key) or {})
            for field, value in answers.items():
                if isinstance(value, str) and len(value) > 40:
                    answers[field] = value.split(" [draft ")[0] + f" [draft {n + 1}]"
                    break
            with self.at(first + step * (n + 1)):
                proposal = actions.save_section(
                    proposal=proposal, section=key, answers=answers, by=staff
                )
        return proposal

    def prepare(self, story, cycle, model: str, created, submit_at, *, complete=True):
        proposal = self.player.prepare(
            story, cycle.name, model, created, submit_at, complete=complete
        )
        redrafted = self.redraft(
            proposal, created + dt.timedelta(hours=1), submit_at - dt.timedelta(hours=3)
        )
        return self.player._refresh(redrafted)

    # -- a year gone by -----------------------------------------------------------------

    def _plan_year(self, cycle, share_proposing: float):
        """Who proposes what this year; a few joint leads take a partner from the CCGs of
        their area team that propose nothing this year."""
        from applications.models import CCG

        ccgs = list(CCG.objects.select_related("area_team").order_by("ods_code"))
        ccgs = ccgs[self.part :: self.parts]
        if self.only is not None:
            ccgs = [c for c in ccgs if c.ods_code in self.only]
        proposing, idle = [], {}
        for ccg in ccgs:
            model = self.stories.model(self.held.get(ccg.ods_code, 0))
            if model is None or self.rng.random() > share_proposing:
                if self.held.get(ccg.ods_code, 0) < LEVEL[J]:
                    idle.setdefault(ccg.area_team.code, []).append(ccg.ods_code)
                continue
            proposing.append((ccg, model))
        plans = []
        for ccg, model in proposing:
            partners = []
            pool = idle.get(ccg.area_team.code, [])
            if model == J and pool and self.rng.random() < 0.1:
                partners = [pool.pop(self.rng.randrange(len(pool)))]
            plans.append((ccg, model, partners))
        return plans

    def past_year(self, cycle, year: int) -> None:
        from applications import actions, services
        from approvals import services as approvals

        clock = self.player.clock
        share = 0.9 if not self.held else 0.55
        awaiting = []
        for ccg, model, partners in self._plan_year(cycle, share):
            path = self.stories.past_path(model)
            story = self.story(ccg.ods_code, ccg.area_team.code, path, partners)
            created = clock.between(dt.date(year - 1, 10, 1), dt.date(year - 1, 11, 20))
            if model == G:
                recorded = clock.after(created, 10, 40)
                proposal = self.prepare(story, cycle, G, created, recorded)
                self.player.submit(proposal, recorded)
                self.held[ccg.ods_code] = LEVEL[G]
                continue
            due = dt.date(year, 1, 5) if model == D else dt.date(year, 1, 30)
            if path == "lapsed":
                proposal = self.prepare(
                    story, cycle, model, created, london(due, 12), complete=False
                )
                with self.at(london(due + dt.timedelta(days=1), 0, 15)):
                    services.lapse_proposal(proposal=proposal)
                continue
            submit_at = clock.between(due - dt.timedelta(days=30), due, late=True)
            submit_at = max(submit_at, created + dt.timedelta(days=20))
            proposal = self.prepare(story, cycle, model, created, submit_at)
            proposal = self.player.submit(proposal, submit_at)
            reviewing = clock.after(submit_at, 1, 4)
            self.player.review(proposal, reviewing)
            if self.rng.random() < 0.3:
                self.player.comment(proposal, reviewing + dt.timedelta(hours=3))
            if path == "withdrawn":
                with self.at(clock.after(reviewing, 2, 5)):
                    actions.withdraw(
                        proposal=proposal,
                        by=self.player.staff[ccg.ods_code],
                        reason="Our governing body wants its conflicts of interest "
                        "arrangements in place first; we will propose again next year.",
                    )
                continue
            if path == "changes":
                proposal, reviewing = self.player.changes_loop(proposal, reviewing)
            reviewer = self.player.reviewer_for(proposal)
            if model == J:
                with self.at(min(clock.after(reviewing, 3, 20), london(dt.date(year, 3, 20)))):
                    if path == "not_approved":
                        approvals.not_approve_proposal(
                            proposal=proposal,
                            by=reviewer,
                            reason="The terms of reference give the joint committee no "
                            "decision-making role on primary care contracts.",
                        )
                        continue
                    approvals.approve_joint_proposal(
                        proposal=proposal, by=reviewer, comments="Assured against the framework."
                    )
                for partner in [ccg.ods_code, *partners]:
                    self.held[partner] = max(self.held.get(partner, 0), LEVEL[J])
                self.player.go_live(proposal, london(dt.date(year, 4, 1), 0, 5))
                continue
            with self.at(min(clock.after(reviewing, 2, 10), london(dt.date(year, 2, 6), 16))):
                proposal = approvals.recommend_to_committee(
                    proposal=proposal,
                    by=reviewer,
                    recommend=path != "declined",
                    comments="Assured against the governance framework."
                    if path != "declined"
                    else "Conflicts of interest arrangements do not yet meet the guidance.",
                )
            awaiting.append((story, proposal))

        decided = []
        for n in range(0, len(awaiting), COMMITTEE_SIZE):
            meets = london(dt.date(year, 2, 16), 10) + dt.timedelta(days=n // COMMITTEE_SIZE)
            decided += self.player.committee(
                cycle.name,
                awaiting[n : n + COMMITTEE_SIZE],
                created=meets - dt.timedelta(days=14),
                meets=meets,
                agenda=meets - dt.timedelta(days=7),
            )
        for story, proposal in decided:
            for condition in proposal.conditions.all():
                with self.at(clock.between(dt.date(year, 3, 2), dt.date(year, 3, 20))):
                    approvals.record_condition_met(
                        condition=condition,
                        by=self.player.secretary,
                        note="Evidence received from the CCG and checked by the region.",
                    )
            if proposal.state in ("approved", "approved_with_conditions"):
                self.player.go_live(proposal, london(dt.date(year, 4, 1), 0, 5))
                self.held[story.ods] = LEVEL[D]

    # -- the year in progress -----------------------------------------------------------

    def current_year(self, cycle, year: int, *, now: dt.datetime) -> None:
        """As far as today: drafts, submissions, reviews, change requests, regional
        decisions, and the committee's next meeting with its agenda."""
        from approvals import services as approvals

        clock = self.player.clock
        opened = dt.date(year - 1, 10, 1)
        latest = min(now - dt.timedelta(hours=2), london(dt.date(year, 1, 5), 20))
        if latest <= london(opened, 12):
            return
        span_days = max((latest.date() - opened).days, 1)
        recommended = []
        for ccg, model, partners in self._plan_year(cycle, 0.6):
            stage = self.stories.current_stage(model)
            story = self.story(ccg.ods_code, ccg.area_team.code, "plain", partners)
            created = clock.between(opened, opened + dt.timedelta(days=span_days // 3))
            submit_at = min(clock.after(created, span_days // 3, span_days // 2), latest)
            if stage == "draft":
                self.prepare(story, cycle, model, created, submit_at, complete=False)
                continue
            proposal = self.prepare(story, cycle, model, created, submit_at)
            proposal = self.player.submit(proposal, submit_at)
            if model == G or stage == "submitted":
                continue
            reviewing = min(clock.after(submit_at, 0, 3), latest)
            self.player.review(proposal, reviewing)
            if stage == "under_review":
                continue
            reviewer = self.player.reviewer_for(proposal)
            decided_at = min(reviewing + dt.timedelta(hours=4), latest + dt.timedelta(hours=1))
            with self.at(decided_at):
                if stage == "changes_requested":
                    approvals.request_changes(
                        proposal=proposal,
                        by=reviewer,
                        comments=self.rng.choice(self.demo.CHANGE_REQUESTS),
                    )
                elif model == J:
                    approvals.approve_joint_proposal(
                        proposal=proposal, by=reviewer, comments="Assured against the framework."
                    )
                else:
                    recommended.append(
                        approvals.recommend_to_committee(
                            proposal=proposal,
                            by=reviewer,
                            recommend=True,
                            comments="Recommended: assured against the governance framework.",
                        )
                    )
        # The committee's next meeting, its agenda built from what the regions recommended.
        created = min(now - dt.timedelta(minutes=30), london(dt.date(year, 2, 2), 9))
        for n in range(0, max(len(recommended), 1), COMMITTEE_SIZE):
            with self.at(created):
                meeting = approvals.create_meeting(
                    cycle=cycle,
                    meets_at=london(dt.date(year, 2, 16), 10) + dt.timedelta(days=n // 60),
                    by=self.player.secretary,
                    location="Wellington House, London",
                    members="Chair, NHS England\nNational Director: Commissioning Operations\n"
                    "Lay member\nDirector of Primary Care",
                )
            for index, proposal in enumerate(recommended[n : n + COMMITTEE_SIZE]):
                with self.at(created + dt.timedelta(minutes=index + 1)):
                    approvals.add_to_agenda(
                        meeting=meeting, proposal=proposal, by=self.player.secretary
                    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="1 (default) or 10: x the CCGs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--redrafts", type=int, default=DEFAULT_REDRAFTS)
    parser.add_argument("--database", help="default: cocommissioning_benchdata[_xN] on 127.0.0.1")
    parser.add_argument("--limit", type=int, help="only the first N real CCGs (for tests)")
    parser.add_argument(
        "--parts", type=int, default=2, help="processes playing the CCGs side by side (2)"
    )
    parser.add_argument("--play-part", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--years", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database or default_database(args.scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if args.play_part is not None:
        import django

        django.setup()
        years = [int(y) for y in args.years.split(",")]
        play(
            years=years,
            seed=args.seed,
            redrafts=args.redrafts,
            part=args.play_part,
            parts=args.parts,
        )
        return 0

    started = time.monotonic()
    recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    years = prepare_world(scale=args.scale, limit=args.limit)
    from django.db import connections

    connections.close_all()
    # The same script for each part, from fixed arguments, no shell.
    processes = [
        subprocess.Popen(  # nosec B603
            [
                sys.executable,
                __file__,
                "--database",
                url,
                "--seed",
                str(args.seed),
                "--redrafts",
                str(args.redrafts),
                "--parts",
                str(args.parts),
                "--play-part",
                str(part),
                "--years",
                ",".join(map(str, years)),
            ],
            env=os.environ.copy(),
        )
        for part in range(args.parts)
    ]
    failed = [p.wait() for p in processes]
    if any(failed):
        print(f"a part failed: exit statuses {failed}")
        return 1
    # Months of redrafting played in minutes, inside long transactions that autovacuum cannot
    # clean behind, leave every proposal row rewritten hundreds of times (1.1 GB of table for
    # 3,597 rows at scale 10). A live database, vacuumed as it goes, reuses that space: compact
    # the tables to that steady state, and give the planner statistics for them.
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (FULL, ANALYZE)")
    figures = counts(time.monotonic() - started, args.scale)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
