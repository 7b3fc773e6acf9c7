"""Load the 2014/15 organisations and the commissioning timetable from the CSV files in
applications/data/ (copied from the programme's published sources; see
SOURCES.md there). Every file is read and checked before anything is written: one bad
row names its file, line and field, and nothing is loaded."""

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from .models import CCG, AreaTeam, CommissioningModel, Cycle, Deadline, DeadlineEvent, Region

LONDON = ZoneInfo("Europe/London")

FILES = {
    "regions": "regions_2014.csv",
    "area_teams": "area_teams_2014.csv",
    "ccgs": "ccgs_2014.csv",
    "deadlines": "deadlines.csv",
}
COLUMNS = {
    "regions": ["code", "name"],
    "area_teams": ["code", "name", "region_code", "region_name"],
    "ccgs": [
        "ods_code",
        "ons_code",
        "name",
        "area_team_code",
        "area_team_name",
        "region_code",
        "region_name",
        "registered_population",
        "imd2015_score",
    ],
    "deadlines": ["cycle", "cycle_starts_on", "event", "model", "date", "time", "description"],
}


class ReferenceDataError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, outcome: str) -> None:
        counts = getattr(self, outcome)
        counts[kind] = counts.get(kind, 0) + 1

    def summary(self) -> str:
        kinds = ["regions", "area teams", "CCGs", "cycles", "deadlines"]
        return "; ".join(
            f"{kind}: {self.created.get(kind, 0)} created, {self.updated.get(kind, 0)} updated, "
            f"{self.unchanged.get(kind, 0)} unchanged"
            for kind in kinds
        )


class _Reader:
    """Reads one file, keeping every problem with its file, line and field."""

    def __init__(self, directory: Path, kind: str, problems: list[str]) -> None:
        self.name = FILES[kind]
        self.path = directory / self.name
        self.kind = kind
        self.problems = problems

    def problem(self, line: int, column: str | None, message: str) -> None:
        where = f"{self.name}, line {line}" + (f", field {column}" if column else "")
        self.problems.append(f"{where}: {message}")

    def rows(self) -> list[tuple[int, dict[str, str]]]:
        if not self.path.exists():
            self.problems.append(f"{self.name}: file not found in {self.path.parent}")
            return []
        with self.path.open(newline="", encoding="utf-8") as handle:
            try:
                reader = csv.reader(handle, strict=True)
                header = next(reader, None)
                if header != COLUMNS[self.kind]:
                    self.problem(1, None, f"expected the columns {','.join(COLUMNS[self.kind])}")
                    return []
                rows = []
                for record in reader:
                    if not any(cell.strip() for cell in record):
                        continue
                    if len(record) != len(header):
                        self.problem(
                            reader.line_num,
                            None,
                            f"expected {len(header)} fields, found {len(record)}",
                        )
                        continue
                    rows.append((reader.line_num, dict(zip(header, record, strict=True))))
                return rows
            except (csv.Error, UnicodeDecodeError) as error:
                self.problems.append(f"{self.name}: cannot be read as CSV ({error})")
                return []

    def check(
        self,
        line: int,
        row: dict[str, str],
        column: str,
        parse: Callable[[str], Any],
    ) -> Any:
        try:
            return parse(row[column].strip())
        except ValueError as error:
            self.problem(line, column, f"{row[column]!r} {error}")
            return None


def _matching(pattern: str, what: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"is not a valid {what}")
        return value

    return parse


def _text(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def _population(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise ValueError("is not a positive whole number")
    return int(value)


def _score(value: str) -> Decimal | None:
    if value == "":
        return None
    try:
        score = Decimal(value)
    except InvalidOperation as error:
        raise ValueError("is not a number") from error
    if not (Decimal(0) <= score < Decimal(1000)):
        raise ValueError("is outside the range of IMD scores")
    return score.quantize(Decimal("0.001"))


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError("is not a date in the form YYYY-MM-DD") from error


def _time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as error:
        raise ValueError("is not a time in the form HH:MM") from error


def _choice(choices: list[str], what: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(
                f"is not a known {what} ({', '.join(c or '(blank)' for c in choices)})"
            )
        return value

    return parse


def read_reference_data(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Parse and cross-check all four files; raise ReferenceDataError listing every problem."""
    problems: list[str] = []
    parsed: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FILES}

    regions = _Reader(directory, "regions", problems)
    region_names: dict[str, str] = {}
    for line, row in regions.rows():
        code = regions.check(
            line, row, "code", _matching(r"Y\d{2}", "region ODS code (Y + 2 digits)")
        )
        name = regions.check(line, row, "name", _text)
        if code in region_names:
            regions.problem(line, "code", f"{code} appears twice")
        if code and name:
            region_names[code] = name
            parsed["regions"].append({"code": code, "name": name})

    area_teams = _Reader(directory, "area_teams", problems)
    team_names: dict[str, tuple[str, str]] = {}
    for line, row in area_teams.rows():
        code = area_teams.check(
            line, row, "code", _matching(r"Q\d{2}", "area team ODS code (Q + 2 digits)")
        )
        name = area_teams.check(line, row, "name", _text)
        region_code = area_teams.check(line, row, "region_code", _text)
        if code in team_names:
            area_teams.problem(line, "code", f"{code} appears twice")
        if region_code and region_code not in region_names:
            area_teams.problem(line, "region_code", f"{region_code} is not in {FILES['regions']}")
        elif region_code and row["region_name"].strip() != region_names[region_code]:
            area_teams.problem(
                line, "region_name", f"does not match {FILES['regions']} for {region_code}"
            )
        if code and name and region_code in region_names:
            team_names[code] = (name, region_code)
            parsed["area_teams"].append({"code": code, "name": name, "region_code": region_code})

    ccgs = _Reader(directory, "ccgs", problems)
    seen: dict[str, set[str]] = {"ods_code": set(), "ons_code": set(), "name": set()}
    for line, row in ccgs.rows():
        values = {
            "ods_code": ccgs.check(
                line, row, "ods_code", _matching(r"[0-9A-Z]{3}", "CCG ODS code (3 characters)")
            ),
            "ons_code": ccgs.check(
                line, row, "ons_code", _matching(r"E38\d{6}", "CCG ONS code (E38 + 6 digits)")
            ),
            "name": ccgs.check(line, row, "name", _text),
            "area_team_code": ccgs.check(line, row, "area_team_code", _text),
            "registered_population": ccgs.check(line, row, "registered_population", _population),
            "imd2015_score": ccgs.check(line, row, "imd2015_score", _score),
        }
        for column, seen_values in seen.items():
            if values[column] in seen_values:
                ccgs.problem(line, column, f"{values[column]} appears twice")
            seen_values.add(values[column])
        team = values["area_team_code"]
        if team and team not in team_names:
            ccgs.problem(line, "area_team_code", f"{team} is not in {FILES['area_teams']}")
            continue
        if team:
            team_name, region_code = team_names[team]
            if row["area_team_name"].strip() != team_name:
                ccgs.problem(
                    line, "area_team_name", f"does not match {FILES['area_teams']} for {team}"
                )
            if row["region_code"].strip() != region_code:
                ccgs.problem(line, "region_code", f"is not the region of area team {team}")
        if all(v is not None for k, v in values.items() if k != "imd2015_score"):
            parsed["ccgs"].append(values)

    deadlines = _Reader(directory, "deadlines", problems)
    events = [choice.value for choice in DeadlineEvent]
    models = ["", CommissioningModel.JOINT.value, CommissioningModel.DELEGATED.value]
    keys: set[tuple[str, str, str]] = set()
    for line, row in deadlines.rows():
        cycle = deadlines.check(
            line, row, "cycle", _matching(r"\d{4}/\d{2}", "cycle (e.g. 2015/16)")
        )
        starts_on = deadlines.check(line, row, "cycle_starts_on", _date)
        event = deadlines.check(line, row, "event", _choice(events, "event"))
        model = deadlines.check(line, row, "model", _choice(models, "model"))
        day = deadlines.check(line, row, "date", _date)
        at = deadlines.check(line, row, "time", _time)
        if event == DeadlineEvent.PROPOSALS_DUE and model == "":
            deadlines.problem(line, "model", "a proposals-due deadline must name its model")
        if (cycle, event, model) in keys:
            deadlines.problem(line, None, f"a second {event} deadline for {cycle} {model}")
        keys.add((cycle, event, model))
        if None not in (cycle, starts_on, event, model, day, at):
            parsed["deadlines"].append(
                {
                    "cycle": cycle,
                    "cycle_starts_on": starts_on,
                    "event": event,
                    "model": model,
                    # Wall-clock time in London on that date: zoneinfo picks GMT or BST.
                    "due_at": datetime.combine(day, at, tzinfo=LONDON),
                    "description": row["description"].strip(),
                }
            )

    if problems:
        raise ReferenceDataError(problems)
    return parsed


def _upsert(model: type, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, str]:
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        return model.objects.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if not changed:
        return instance, "unchanged"
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=changed)
    return instance, "updated"


def load_reference_data(directory: Path) -> LoadReport:
    """Create or refresh organisations and the timetable. Organisations follow the files.
    Deadlines already in the database are left as they are: the national programme team
    may have moved one in the admin, and a reload must not undo that."""
    data = read_reference_data(directory)
    report = LoadReport()
    with transaction.atomic():
        regions = {}
        for row in data["regions"]:
            regions[row["code"]], outcome = _upsert(
                Region, {"code": row["code"]}, {"name": row["name"]}
            )
            report.add("regions", outcome)
        teams = {}
        for row in data["area_teams"]:
            teams[row["code"]], outcome = _upsert(
                AreaTeam,
                {"code": row["code"]},
                {"name": row["name"], "region": regions[row["region_code"]]},
            )
            report.add("area teams", outcome)
        for row in data["ccgs"]:
            _, outcome = _upsert(
                CCG,
                {"ods_code": row["ods_code"]},
                {
                    "ons_code": row["ons_code"],
                    "name": row["name"],
                    "area_team": teams[row["area_team_code"]],
                    "registered_population": row["registered_population"],
                    "imd2015_score": row["imd2015_score"],
                },
            )
            report.add("CCGs", outcome)
        cycles = {}
        for row in data["deadlines"]:
            if row["cycle"] not in cycles:
                cycles[row["cycle"]], outcome = _upsert(
                    Cycle, {"name": row["cycle"]}, {"starts_on": row["cycle_starts_on"]}
                )
                report.add("cycles", outcome)
            _, created = Deadline.objects.get_or_create(
                cycle=cycles[row["cycle"]],
                event=row["event"],
                model=row["model"],
                defaults={"due_at": row["due_at"], "description": row["description"]},
            )
            report.add("deadlines", "created" if created else "unchanged")
    return report
