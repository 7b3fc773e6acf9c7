"""The geometry of the timeline chart (an inline SVG). The chart only repeats the weekly
table next to it, which is its text equivalent; this module only places rectangles."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from .figures import Timeline

STEP = 26  # px per week
BAR = 18
LEFT = 44
TOP = 40
PLOT_HEIGHT = 200
BOTTOM = 44

SERIES = [
    ("delegated", "Delegated submitted", "uptake-chart__delegated"),
    ("joint", "Joint submitted", "uptake-chart__joint"),
    ("greater_involvement", "Greater involvement recorded", "uptake-chart__gi"),
    ("resubmitted", "Resubmitted after changes", "uptake-chart__resubmitted"),
]


@dataclass
class Segment:
    y: float
    height: float
    css: str


@dataclass
class Bar:
    x: float
    segments: list[Segment]


@dataclass
class Marker:
    x: float
    label: str
    y: float


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)
    summary: str = ""
    baseline: float = TOP + PLOT_HEIGHT
    left: int = LEFT
    series: list[tuple[str, str, str]] = field(default_factory=lambda: SERIES)


def timeline_chart(timeline: Timeline) -> Chart | None:
    weeks = timeline.weeks
    if not weeks:
        return None
    peak = max(sum(w.counts.values()) for w in weeks) or 1
    scale = PLOT_HEIGHT / peak
    chart = Chart(width=LEFT + STEP * len(weeks) + 16, height=TOP + PLOT_HEIGHT + BOTTOM)
    baseline = TOP + PLOT_HEIGHT
    for index, week in enumerate(weeks):
        x = LEFT + index * STEP + (STEP - BAR) / 2
        y = baseline
        segments = []
        for key, _, css in SERIES:
            height = week.counts.get(key, 0) * scale
            if height:
                y -= height
                segments.append(Segment(y=round(y, 1), height=round(height, 1), css=css))
        chart.bars.append(Bar(x=round(x, 1), segments=segments))
        if week.starts.day <= 7:  # the first week of each month is labelled
            chart.labels.append((LEFT + index * STEP + STEP / 2, f"{week.starts:%b %Y}"))
    first = weeks[0].starts
    for row_index, (label, due_at) in enumerate(_deadlines(timeline)):
        day = timezone.localtime(due_at).date()
        offset = (day - first).days + 1
        if not 0 <= offset <= len(weeks) * 7:
            continue
        chart.markers.append(
            Marker(
                x=round(LEFT + offset * STEP / 7, 1),
                label=label,
                y=14 + 14 * (row_index % 2),
            )
        )
    chart.ticks = [(round(baseline - n * scale, 1), n) for n in sorted({0, peak // 2, peak})]
    busiest = max(weeks, key=lambda w: sum(w.counts.values()))
    chart.summary = (
        f"Bar chart of submissions each week from {first:%-d %B %Y} to "
        f"{weeks[-1].starts:%-d %B %Y}, stacked by kind, with the deadlines marked. The "
        f"busiest week began {busiest.starts:%-d %B %Y}, with "
        f"{sum(busiest.counts.values())}. The table below gives every week's figures."
    )
    return chart


def _deadlines(timeline: Timeline) -> list[tuple[str, dt.datetime]]:
    due = [(_short(row.label), row.due_at) for row in timeline.deadlines]
    due += [(_short(label), at) for label, at in timeline.other_deadlines]
    return sorted(due, key=lambda pair: pair[1])


def _short(label: str) -> str:
    return (
        label.replace(" commissioning proposals due", " due")
        .replace("Commissioning Committee sign-off", "Committee")
        .replace("Arrangements go live", "Go-live")
    )
