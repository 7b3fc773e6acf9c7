"""The figures of the national uptake dashboard. A census reads the CCGs of a scope once,
with each CCG's position and arrangement (uptake.positions: two queries over the proposals
and their partners), and every figure is counted, summed and averaged over it: five queries
for a whole page, the same for 10 CCGs or 10,000, and work that grows with the rows read,
never with CCGs times proposals. Averages follow SQL's AVG: CCGs without a value (IMD) are
left out, never counted as 0."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from applications.models import (
    CommissioningModel,
    Cycle,
    DeadlineEvent,
    Proposal,
    ProposalState,
    ProposalTransition,
)

from .positions import (
    STATE_ORDER,
    Category,
    Stage,
    category_of,
    highest_arrangements,
    positions_in,
    stage_of,
    state_label,
    state_of,
)

CATEGORY_ORDER = list(Category)
ARRANGEMENT_ORDER = [
    Category.DELEGATED,
    Category.JOINT,
    Category.GREATER_INVOLVEMENT,
    Category.NONE,
]
ARRANGEMENT_LABELS = {
    Category.DELEGATED: "Delegated commissioning",
    Category.JOINT: "Joint commissioning",
    Category.GREATER_INVOLVEMENT: "Greater involvement",
    Category.NONE: "No arrangement agreed",
}
STAGE_ORDER = list(Stage)


def percent(part: int | None, whole: int | None) -> int | None:
    """A whole-number percentage, rounded half up; None when there is nothing to divide."""
    if not whole:
        return None
    value = Decimal(part or 0) * 100 / Decimal(whole)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def heat_band(part: int, whole: int) -> int:
    """The heat map's colour band for a share: 0 (none), 1 (under a quarter), 2 (a
    quarter to a half), 3 (a half to three quarters), 4 (three quarters or more, not all),
    5 (all)."""
    if not whole or not part:
        return 0
    if part >= whole:
        return 5
    share = part / whole
    if share < 0.25:
        return 1
    if share < 0.5:
        return 2
    if share < 0.75:
        return 3
    return 4


HEAT_BANDS = [
    (0, "None"),
    (1, "Under 25%"),
    (2, "25% to 49%"),
    (3, "50% to 74%"),
    (4, "75% to 99%"),
    (5, "All (100%)"),
]


@dataclass
class Totals:
    ccgs: int = 0
    population: int = 0
    average_population: Decimal | None = None
    average_imd: Decimal | None = None
    with_imd: int = 0

    @classmethod
    def of(cls, rows: "list[CensusRow]") -> "Totals":
        if not rows:
            return cls()
        population = sum(row.population for row in rows)
        scores = [row.imd for row in rows if row.imd is not None]
        return cls(
            ccgs=len(rows),
            population=population,
            average_population=Decimal(population) / len(rows),
            average_imd=sum(scores, Decimal(0)) / len(scores) if scores else None,
            with_imd=len(scores),
        )

    @property
    def without_imd(self) -> int:
        return self.ccgs - self.with_imd


@dataclass
class Line:
    """One category (or state, or stage) within a group: how many CCGs, their share."""

    key: str
    label: str
    totals: Totals
    of: Totals
    agreed: int = 0
    live: int = 0
    hint: str = ""

    @property
    def ccgs(self) -> int:
        return self.totals.ccgs

    @property
    def percent(self) -> int | None:
        return percent(self.totals.ccgs, self.of.ccgs)

    @property
    def population_percent(self) -> int | None:
        return percent(self.totals.population, self.of.population)

    @property
    def band(self) -> int:
        return heat_band(self.totals.ccgs, self.of.ccgs)


@dataclass
class Group:
    """A region or area team (or England) with its CCGs counted every way."""

    code: str
    name: str
    totals: Totals
    categories: list[Line] = field(default_factory=list)
    stages: list[Line] = field(default_factory=list)
    region_code: str = ""
    region_name: str = ""

    def category(self, key: str) -> Line:
        return next(line for line in self.categories if line.key == key)

    @property
    def delegated_or_joint(self) -> Line:
        both = self.category(Category.DELEGATED).ccgs + self.category(Category.JOINT).ccgs
        return Line(
            "delegated_or_joint",
            "Delegated or joint",
            Totals(ccgs=both),
            self.totals,
        )

    @property
    def heat_cells(self) -> list[Line]:
        """The heat map's columns, in order."""
        return [
            self.category(Category.DELEGATED),
            self.category(Category.JOINT),
            self.delegated_or_joint,
            self.category(Category.GREATER_INVOLVEMENT),
            self.category(Category.NONE),
            self.category(Category.NOT_DECIDED),
        ]

    @property
    def unanimous(self) -> Line | None:
        """The category every CCG in the group shares, if they all share one."""
        if not self.totals.ccgs:
            return None
        return next((line for line in self.categories if line.ccgs == self.totals.ccgs), None)

    @property
    def leading(self) -> Line | None:
        lines = [line for line in self.categories if line.ccgs]
        return max(lines, key=lambda line: line.ccgs, default=None)


@dataclass(frozen=True)
class CensusRow:
    """One CCG of a scope, where it stands in the cycle."""

    pk: int
    population: int
    imd: Decimal | None
    region_code: str
    region_name: str
    area_team_code: str
    area_team_name: str
    category: str
    state: str
    stage: str
    arrangement: str  # the model of its highest arrangement agreed by the cycle, or "none"


def census(cycle: Cycle, ccgs: QuerySet) -> list[CensusRow]:
    """These CCGs with their positions and arrangements: five queries."""
    position = positions_in(cycle, ccgs)
    arrangement = highest_arrangements(cycle, ccgs)
    rows = []
    for values in ccgs.values(
        "pk",
        "registered_population",
        "imd2015_score",
        "area_team__region__code",
        "area_team__region__name",
        "area_team__code",
        "area_team__name",
    ).order_by():
        pk = values["pk"]
        state = state_of(position.get(pk))
        agreed = arrangement.get(pk)
        rows.append(
            CensusRow(
                pk=pk,
                population=values["registered_population"],
                imd=values["imd2015_score"],
                region_code=values["area_team__region__code"],
                region_name=values["area_team__region__name"],
                area_team_code=values["area_team__code"],
                area_team_name=values["area_team__name"],
                category=category_of(position.get(pk)),
                state=state,
                stage=stage_of(state),
                arrangement=agreed.model if agreed else Category.NONE.value,
            )
        )
    return rows


def _by(rows: list[CensusRow], key) -> dict[Any, list[CensusRow]]:
    grouped: dict[Any, list[CensusRow]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def _category_lines(rows: list[CensusRow], of: Totals) -> list[Line]:
    found = _by(rows, lambda row: row.category)
    return [
        Line(
            key=category.value,
            label=category.label,
            totals=Totals.of(found.get(category.value, [])),
            of=of,
            agreed=sum(
                row.stage in (Stage.AGREED, Stage.LIVE) for row in found.get(category.value, [])
            ),
            live=sum(row.stage == Stage.LIVE for row in found.get(category.value, [])),
        )
        for category in CATEGORY_ORDER
    ]


def _stage_lines(rows: list[CensusRow], of: Totals) -> list[Line]:
    found = _by(rows, lambda row: row.stage)
    return [
        Line(key=stage.value, label=stage.label, totals=Totals.of(found.get(stage, [])), of=of)
        for stage in STAGE_ORDER
    ]


@dataclass
class Summary:
    """Everything about one group of CCGs in one cycle: by model, by state, arrangements."""

    cycle: Cycle
    totals: Totals
    categories: list[Line]
    states: list[Line]
    arrangements: list[Line]

    @property
    def category_map(self) -> dict[str, Line]:
        return {line.key: line for line in self.categories}

    @property
    def arrangement_map(self) -> dict[str, Line]:
        return {line.key: line for line in self.arrangements}

    @property
    def state_map(self) -> dict[str, Line]:
        return {line.key: line for line in self.states}


def summary(cycle: Cycle, ccgs: QuerySet | None = None, *, rows=None) -> Summary:
    """By model, by state and by arrangement agreed or live, over a census (``rows``) or
    over these CCGs."""
    rows = census(cycle, ccgs) if rows is None else rows
    totals = Totals.of(rows)
    by_state = _by(rows, lambda row: row.state)
    by_arrangement = _by(rows, lambda row: row.arrangement)
    return Summary(
        cycle=cycle,
        totals=totals,
        categories=_category_lines(rows, totals),
        states=[
            Line(
                key=state,
                label=state_label(state),
                totals=Totals.of(by_state.get(state, [])),
                of=totals,
            )
            for state in STATE_ORDER
        ],
        arrangements=[
            Line(
                key=category.value,
                label=ARRANGEMENT_LABELS[category],
                totals=Totals.of(by_arrangement.get(category.value, [])),
                of=totals,
            )
            for category in ARRANGEMENT_ORDER
        ],
    )


def groups(cycle: Cycle, ccgs: QuerySet | None, level: str, *, rows=None) -> list[Group]:
    """The regions or area teams of these CCGs (or of a census), each counted by model and
    by stage."""
    rows = census(cycle, ccgs) if rows is None else rows
    if level == "region":
        key = lambda row: (row.region_code, row.region_name, row.region_code, row.region_name)  # noqa: E731
    else:
        key = lambda row: (  # noqa: E731
            row.region_code,
            row.region_name,
            row.area_team_code,
            row.area_team_name,
        )
    result = []
    for (region_code, region_name, code, name), members in _by(rows, key).items():
        group_totals = Totals.of(members)
        result.append(
            Group(
                code=code,
                name=name,
                region_code=region_code,
                region_name=region_name,
                totals=group_totals,
                categories=_category_lines(members, group_totals),
                stages=_stage_lines(members, group_totals),
            )
        )
    return sorted(result, key=lambda g: (g.region_name, g.name))


# -- the timeline of submissions against deadlines ----------------------------------------


@dataclass
class Week:
    starts: dt.date
    counts: dict[str, int]
    total: int
    cumulative: int
    deadlines: list[str]

    @property
    def ends(self) -> dt.date:
        return self.starts + dt.timedelta(days=6)


@dataclass
class DeadlineRow:
    label: str
    due_at: dt.datetime
    model: str
    started: int = 0
    submitted: int = 0
    final_week: int = 0
    lapsed: int = 0
    withdrawn: int = 0

    @property
    def final_week_percent(self) -> int | None:
        return percent(self.final_week, self.submitted)


@dataclass
class Timeline:
    weeks: list[Week]
    deadlines: list[DeadlineRow]
    other_deadlines: list[tuple[str, dt.datetime]]
    columns: list[tuple[str, str]]
    busiest: int

    def bar(self, count: int) -> int:
        """Bar length as a percentage of the busiest week."""
        return percent(count, self.busiest) or 0


TIMELINE_COLUMNS = [
    ("delegated", "Delegated submitted"),
    ("joint", "Joint submitted"),
    ("greater_involvement", "Greater involvement recorded"),
    ("resubmitted", "Resubmitted after changes"),
]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _deadline_label(deadline) -> str:
    if deadline.event == DeadlineEvent.PROPOSALS_DUE:
        return f"{CommissioningModel(deadline.model).label} proposals due"
    return deadline.get_event_display()


def timeline(cycle: Cycle) -> Timeline:
    """Submissions per week (London time) against the cycle's deadlines: two queries, and
    the cycle's deadlines (prefetched by the caller)."""
    london = timezone.get_default_timezone()
    rows = (
        ProposalTransition.objects.filter(
            proposal__cycle=cycle, name__in=["submit", "resubmit", "record"]
        )
        .annotate(week=TruncWeek("at", tzinfo=london))
        .values("week", "name", "proposal__model")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    counts: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        week = row["week"]
        day = timezone.localtime(week, london).date() if isinstance(week, dt.datetime) else week
        column = "resubmitted" if row["name"] == "resubmit" else row["proposal__model"]
        counts[_monday(day)][column] += row["n"]

    deadlines = sorted(cycle.deadlines.all(), key=lambda d: d.due_at)
    due = [d for d in deadlines if d.event == DeadlineEvent.PROPOSALS_DUE]
    marked = [d for d in deadlines if d.event != DeadlineEvent.GO_LIVE] or deadlines
    weeks: list[Week] = []
    if counts:
        first = min(counts)
        last = max([max(counts)] + [_monday(timezone.localtime(d.due_at).date()) for d in marked])
        by_week: dict[dt.date, list[str]] = defaultdict(list)
        for deadline in deadlines:
            local = timezone.localtime(deadline.due_at)
            by_week[_monday(local.date())].append(f"{_deadline_label(deadline)} ({local:%-d %b})")
        running = 0
        day = first
        while day <= last:
            week_counts = counts.get(day, {})
            new = sum(week_counts.get(key, 0) for key, _ in TIMELINE_COLUMNS[:3])
            running += new
            weeks.append(
                Week(
                    starts=day,
                    counts={key: week_counts.get(key, 0) for key, _ in TIMELINE_COLUMNS},
                    total=new,
                    cumulative=running,
                    deadlines=by_week.get(day, []),
                )
            )
            day += dt.timedelta(days=7)

    deadline_rows = [
        DeadlineRow(label=_deadline_label(d), due_at=d.due_at, model=d.model) for d in due
    ]
    if deadline_rows:
        submitted = ProposalTransition.objects.filter(proposal=OuterRef("pk"), name="submit")
        final_week = Q()
        for row in deadline_rows:
            final_week |= Q(model=row.model) & Q(
                Exists(
                    submitted.filter(at__gt=row.due_at - dt.timedelta(days=7), at__lte=row.due_at)
                )
            )
        figures = {
            row["model"]: row
            for row in Proposal.objects.filter(
                cycle=cycle, model__in=[r.model for r in deadline_rows]
            )
            .values("model")
            .annotate(
                started=Count("pk"),
                submitted=Count("pk", filter=Q(Exists(submitted))),
                final_week=Count("pk", filter=final_week),
                lapsed=Count("pk", filter=Q(state=ProposalState.LAPSED)),
                withdrawn=Count("pk", filter=Q(state=ProposalState.WITHDRAWN)),
            )
            .order_by("model")
        }
        for row in deadline_rows:
            found = figures.get(row.model, {})
            row.started = found.get("started", 0)
            row.submitted = found.get("submitted", 0)
            row.final_week = found.get("final_week", 0)
            row.lapsed = found.get("lapsed", 0)
            row.withdrawn = found.get("withdrawn", 0)
    busiest = max((w.total + w.counts["resubmitted"] for w in weeks), default=0)
    return Timeline(
        weeks=weeks,
        deadlines=deadline_rows,
        other_deadlines=[
            (_deadline_label(d), d.due_at) for d in deadlines if d.event != "proposals_due"
        ],
        columns=TIMELINE_COLUMNS,
        busiest=busiest,
    )
