"""Demo data: the co-commissioning programme of 2014-2016 for all 211 CCGs, played through
the real write paths (applications.actions and .services, approvals.services) at the dates
a real programme would have had them, with time_machine moving the clock. Nothing writes a
state directly, so every proposal has its audit trail, events, snapshots, reviews, agenda
items and emails exactly as if people had clicked through the pages.

The plan is made first, from a seed, and is pure (``make_plan``): the same seed and the
same CCGs give the same stories. It follows the figures reported at the time
(docs/domain.md): by the end of the 2015/16 round about 36% of CCGs delegated, 43% joint,
12% greater involvement, a few with no arrangement and the rest undecided; whole area
teams chose alike (all of Derbyshire and Nottinghamshire delegated, all of Thames Valley and
of Cheshire, Warrington and Wirral joint, 10 of 12 in Greater Manchester joint).
"""

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

LONDON = ZoneInfo("Europe/London")

D, J, G, U = "delegated", "joint", "greater_involvement", "undecided"

# Shares of all CCGs by the end of the 2015/16 round (January 2015 survey: 37% delegated,
# 43% joint, 12% greater involvement, 5 with no role, the rest undecided). Five of the
# delegated and joint proposals end without an arrangement (the "none" CCGs).
SHARES = {D: 79 / 211, J: 91 / 211, G: 26 / 211}

# Area teams whose CCGs all chose alike, and Greater Manchester's 10 of 12.
ALL_DELEGATED = ("Q55",)  # Derbyshire and Nottinghamshire
ALL_JOINT = ("Q69", "Q44")  # Thames Valley; Cheshire, Warrington and Wirral
MOSTLY_JOINT = {"Q46": (10, [D, G])}  # Greater Manchester: 10 joint, the others not

# Thames Valley's joint committees, as the Berkshire and Buckinghamshire CCGs grouped.
KNOWN_GROUPS = [
    ["10M", "10N", "10W", "11D"],  # Berkshire West
    ["10G", "10T", "11C"],  # Berkshire East
    ["10H", "10Y"],  # Buckinghamshire
]
# The demo users' CCGs lead their own proposals.
LEADS = ("04K", "10Q")


@dataclass
class Story:
    """One CCG's part in the programme."""

    ods: str
    area_team: str
    model: str  # D, J, G or U for 2015/16
    path: str = "plain"
    lead: str = ""  # a joint partner's lead CCG
    partners: list[str] = field(default_factory=list)
    next_year: str = ""  # what happens in 2016/17, if anything


@dataclass
class Plan:
    stories: dict[str, Story]

    def count(self, **where) -> int:
        return sum(
            all(getattr(story, key) == value for key, value in where.items())
            for story in self.stories.values()
        )


def _take(rng: random.Random, pool: list[str], n: int) -> list[str]:
    chosen = rng.sample(pool, min(n, len(pool)))
    for item in chosen:
        pool.remove(item)
    return chosen


def make_plan(ccgs: list[tuple[str, str]], seed: int) -> Plan:
    """Each CCG's story from (ODS code, area team code) pairs. Pure and deterministic."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311 # demo data, not security
    teams: dict[str, list[str]] = defaultdict(list)
    for ods, team in sorted(ccgs):
        teams[team].append(ods)
    total = len(ccgs)
    target = {model: round(total * share) for model, share in SHARES.items()}
    target[U] = total - sum(target.values())

    label: dict[str, str] = {}
    for team, members in teams.items():
        if team in ALL_DELEGATED:
            label.update(dict.fromkeys(members, D))
        elif team in ALL_JOINT:
            label.update(dict.fromkeys(members, J))
        elif team in MOSTLY_JOINT:
            joint, others = MOSTLY_JOINT[team]
            shuffled = rng.sample(members, len(members))
            label.update(dict.fromkeys(shuffled[:joint], J))
            for ods, model in zip(shuffled[joint:], others, strict=False):
                label[ods] = model
    bag = Counter(target)
    bag.subtract(Counter(label.values()))
    for key in bag:
        bag[key] = max(bag[key], 0)

    def draw(choices: list[str]) -> str:
        weights = [bag[c] for c in choices]
        if not any(weights):
            choices, weights = list(bag), [bag[c] for c in bag]
        if not any(weights):
            return U
        return rng.choices(choices, weights=weights)[0]

    # Undecided CCGs are scattered: a few per area team, never most of one.
    open_teams = [t for t in sorted(teams) if not all(m in label for m in teams[t])]
    seats = [
        ods
        for team in open_teams
        for ods in rng.sample(teams[team], max(1, len(teams[team]) // 3))
        if ods not in label
    ]
    for ods in _take(rng, seats, bag[U]):
        label[ods] = U
    bag[U] = 0

    # The other area teams cluster: each leans to one model, most of its CCGs follow.
    for team in rng.sample(open_teams, len(open_teams)):
        dominant = draw([D, J, G])
        for ods in rng.sample(teams[team], len(teams[team])):
            if ods in label:
                continue
            model = dominant if rng.random() < 0.65 and bag[dominant] > 0 else draw([D, J, G])
            label[ods] = model
            bag[model] -= 1

    stories = {
        ods: Story(ods=ods, area_team=team, model=label[ods])
        for team, members in teams.items()
        for ods in members
    }
    _joint_groups(rng, stories, teams)
    _paths(rng, stories)
    return Plan(stories)


def _joint_groups(rng: random.Random, stories: dict[str, Story], teams) -> None:
    """Some CCGs propose joint commissioning together: a lead and partners in one team."""
    for group in KNOWN_GROUPS:
        if all(ods in stories and stories[ods].model == J for ods in group):
            lead, *partners = group
            stories[lead].partners = partners
            for ods in partners:
                stories[ods].lead = lead
    for team in sorted(teams):
        free = [
            ods
            for ods in teams[team]
            if stories[ods].model == J and not stories[ods].lead and not stories[ods].partners
        ]
        free = rng.sample(free, len(free))
        while free:
            size = min(rng.choice([1, 1, 1, 1, 2, 2, 3]), len(free))
            group, free = free[:size], free[size:]
            lead = next((ods for ods in group if ods in LEADS), group[0])
            partners = [ods for ods in group if ods != lead]
            stories[lead].partners = partners
            for ods in partners:
                stories[ods].lead = lead


def _paths(rng: random.Random, stories: dict[str, Story]) -> None:
    """How each proposal goes: most straight through, some by the side roads."""
    protected = {*ALL_DELEGATED, *ALL_JOINT, *MOSTLY_JOINT}
    delegated = sorted(s.ods for s in stories.values() if s.model == D)
    outside = [ods for ods in delegated if stories[ods].area_team not in protected]
    outside = [ods for ods in outside if ods not in LEADS]
    for path, n in (("declined", 1), ("withdrawn", 1), ("lapsed", 1), ("lapsed_carried", 1)):
        for ods in _take(rng, outside, n):
            stories[ods].path = path
    rest = [ods for ods in delegated if stories[ods].path == "plain" and ods not in LEADS]
    for path, n in (
        ("changes", 6),
        ("deferred", 3),
        ("conditions", 6),
        ("late_conditions", 2),
    ):
        for ods in _take(rng, rest, n):
            stories[ods].path = path

    solo_leads = sorted(
        s.ods
        for s in stories.values()
        if s.model == J and not s.lead and not s.partners and s.area_team not in protected
    )
    solo_leads = [ods for ods in solo_leads if ods not in LEADS]
    for ods in _take(rng, solo_leads, 1):
        stories[ods].path = "not_approved"
    leads = sorted(
        s.ods
        for s in stories.values()
        if s.model == J and not s.lead and s.path == "plain" and s.ods not in LEADS
    )
    for ods in _take(rng, leads, 5):
        stories[ods].path = "changes"

    # 2016/17: CCGs with joint (on their own) or greater involvement move up to delegated,
    # again in clusters: two area teams go most of the way, a few others follow.
    movers = [
        s
        for s in stories.values()
        if s.model in (J, G)
        and not s.lead
        and not s.partners
        and s.path in ("plain", "changes")
        and s.ods not in LEADS
        and s.area_team not in protected
    ]
    by_team: dict[str, list[str]] = defaultdict(list)
    for story in sorted(movers, key=lambda s: s.ods):
        by_team[story.area_team].append(story.ods)
    ranked = sorted(by_team, key=lambda team: (-len(by_team[team]), team))
    chosen: list[str] = []
    for team in ranked[:2]:
        chosen += by_team[team][: max(1, len(by_team[team]) - 1)]
    others = [ods for team in ranked[2:] for ods in by_team[team]]
    chosen += _take(rng, others, max(0, 20 - len(chosen)))
    chosen = sorted(chosen)[:20]
    outcomes = ["live"] * 14 + ["submitted"] * 2 + ["under_review"] * 2
    outcomes += ["changes_requested", "recommended"]
    rng.shuffle(outcomes)
    for ods, outcome in zip(chosen, outcomes, strict=False):
        stories[ods].next_year = outcome
    for story in stories.values():
        if story.path == "lapsed_carried":
            story.next_year = "live"


# -- the clock ------------------------------------------------------------------------------

BANK_HOLIDAYS = {
    dt.date(2014, 12, 25),
    dt.date(2014, 12, 26),
    dt.date(2015, 1, 1),
    dt.date(2015, 4, 3),
    dt.date(2015, 4, 6),
    dt.date(2015, 5, 4),
    dt.date(2015, 5, 25),
    dt.date(2015, 8, 31),
    dt.date(2015, 12, 25),
    dt.date(2015, 12, 28),
    dt.date(2016, 1, 1),
}


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def _workday(day: dt.date) -> dt.date:
    while day.weekday() >= 5 or day in BANK_HOLIDAYS:
        day += dt.timedelta(days=1)
    return day


class Clock:
    """Working-day times for a story, always moving forward."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def between(self, first: dt.date, last: dt.date, *, late: bool = False) -> dt.datetime:
        span = (last - first).days
        day = _workday(first + dt.timedelta(days=self.rng.randint(0, max(span, 0))))
        if day > last:
            day = last
            while day.weekday() >= 5 or day in BANK_HOLIDAYS:
                day -= dt.timedelta(days=1)
        hour = self.rng.randint(16, 22) if late else self.rng.randint(9, 16)
        return london(day.year, day.month, day.day, hour, self.rng.randint(0, 59))

    def after(self, moment: dt.datetime, low: int, high: int) -> dt.datetime:
        day = _workday(moment.astimezone(LONDON).date() + dt.timedelta(self.rng.randint(low, high)))
        candidate = london(day.year, day.month, day.day, self.rng.randint(9, 16))
        candidate += dt.timedelta(minutes=self.rng.randint(0, 59))
        return max(candidate, moment + dt.timedelta(minutes=5))


# -- the pro forma's answers --------------------------------------------------------------

FIRST_NAMES = [
    "Priya", "Tom", "Grace", "Sam", "Helen", "Alex", "Jo", "Amara", "David", "Fiona",
    "Imran", "Kate", "Liam", "Mei", "Nadia", "Owen", "Rachel", "Sunil", "Claire", "Gareth",
    "Hannah", "Marcus", "Ruth", "Yusuf", "Emma", "Paul", "Aisha", "Simon", "Louise", "Niall",
]  # fmt: skip
LAST_NAMES = [
    "Shah", "Ellis", "Okafor", "Hughes", "Price", "Morgan", "Bennett", "Patel", "Clarke",
    "Walsh", "Hussain", "Murray", "Evans", "Chen", "Khan", "Roberts", "Turner", "Singh",
    "Wright", "Davies", "Green", "Ahmed", "Hall", "Lewis", "Baker", "Wood", "Mills",
]  # fmt: skip
ROLES = [
    "Head of primary care",
    "Director of commissioning",
    "Chief operating officer",
    "Primary care commissioning manager",
    "Director of strategy and transformation",
]
PHONE_AREAS = ["0113", "0114", "0115", "0116", "0117", "0118", "0121", "0151", "0161", "0191"]


def _name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def pro_forma_answers(
    rng: random.Random, ccg, model: str, submit_by: dt.datetime, starts_on: dt.date
) -> dict[str, dict]:
    first, last = _name(rng)
    before = submit_by.astimezone(LONDON).date()
    agreed = before - dt.timedelta(days=rng.randint(7, 35))
    practices = rng.randint(14, 70)
    in_favour = rng.randint(int(practices * 0.7), practices)
    answers = {
        "contact": {
            "contact_name": f"{first} {last}",
            "contact_role": rng.choice(ROLES),
            "contact_email": f"{first}.{last}@example.nhs.uk".lower(),
            "contact_phone": f"{rng.choice(PHONE_AREAS)} 496 0{rng.randint(0, 999):03d}",
        },
        "model_and_start": {"start_date": starts_on.isoformat()},
        "constitution": {
            "constitution_amendment_summary": (
                f"Amends {ccg.name}'s constitution to set up a primary care commissioning "
                "committee with a lay chair and a lay majority, and to add the functions the "
                "CCG takes on to the scheme of reservation and delegation."
            ),
            "constitution_amendment_agreed_on": agreed.isoformat(),
        },
        "greater_involvement": {
            "arrangement_summary": (
                f"{ccg.name} and {ccg.area_team.name} area team review primary care "
                "decisions together each month; the CCG advises on contract changes, "
                "list dispersals and new services."
            ),
            "agreed_with_area_team_on": agreed.isoformat(),
        },
        "joint_committee": {
            "committee_form": rng.choice(["joint_committee"] * 3 + ["committee_in_common"]),
            "terms_of_reference_summary": (
                "Model terms of reference and scheme of delegation adopted; the committee "
                "meets in public every two months with a lay chair from the CCG."
            ),
        },
        "pooled_budget": {"pooled_budget": "no"},
        "delegated_functions": {
            "functions": ["gms_pms_apms_contracts", "enhanced_services", "property_costs", "qof"]
            if rng.random() < 0.8
            else ["gms_pms_apms_contracts", "enhanced_services", "qof"]
        },
        "conflicts_of_interest": {
            "arrangements": (
                "Lay chair and lay vice chair; GP members declare interests at every meeting "
                "and leave for items they are conflicted on; the register of interests and "
                "procurement decisions are published on the CCG's website."
            )
        },
        "governance": {
            "governing_body_approved_on": agreed.isoformat(),
            "member_practice_engagement": (
                f"All {practices} member practices were consulted; {in_favour} voted in favour."
            ),
        },
        "resources": {
            "resources_agreed": (
                f"{rng.choice(['Two', 'Three', 'Four'])} posts transfer from the area team's "
                "primary care team; contract management support continues from the area team "
                "under a memorandum of understanding."
            )
        },
    }
    if model == J and rng.random() < 0.2:
        answers["pooled_budget"] = {
            "pooled_budget": "yes",
            "financial_instructions_compliance": (
                "The CCG hosts the pooled budget under its standing financial instructions; "
                "NHS England's share is governed by a section 75-style agreement."
            ),
        }
    return answers


def pdf_document(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (text in Helvetica) for a supporting document."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = [f"BT /F1 16 Tf 56 780 Td ({escape(title)}) Tj /F1 11 Tf 0 -30 Td"]
    body += [f"({escape(line)}) Tj 0 -16 Td" for line in lines]
    stream = " ".join(body) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1", "replace")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return out


# -- playing the stories --------------------------------------------------------------------


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    import time_machine

    with time_machine.travel(moment, tick=False):
        yield


REVIEW_ANSWERS = {
    "governance_compliant": "yes",
    "constitution_acceptable": "yes",
    "conflicts_managed": "yes",
    "pooled_budget_compliant": "n/a",
    "special_measures_risk_accepted": "n/a",
    "recommendation": (
        "Governance, constitution and conflicts of interest arrangements meet the framework."
    ),
}
CHANGE_REQUESTS = [
    "Say who chairs the primary care commissioning committee and how its lay majority is kept "
    "when members are conflicted.",
    "The constitution amendment does not yet name the functions delegated; add them to the "
    "scheme of reservation and delegation.",
    "Explain how the area team's staff will support the committee from 1 April.",
]
CONDITIONS = [
    "Publish the register of interests and the procurement decisions register on the CCG's "
    "website.",
    "Appoint a second lay member to the primary care commissioning committee.",
    "Agree the memorandum of understanding on contract management with the area team.",
]
COMMENTS = [
    "The area team supports this proposal: the CCG has worked with us on primary care "
    "decisions throughout 2014.",
    "We have agreed the staffing and support arrangements with the CCG.",
    "The CCG's member practices are engaged; two practices asked about conflicts of interest "
    "and the CCG has answered them.",
]


class Player:
    """Plays the plan through the write paths. Holds the demo actors and the proposals."""

    def __init__(self, plan: Plan, seed: int, say: Callable[[str], None]) -> None:
        from applications.models import CCG, Cycle

        self.plan = plan
        self.rng = random.Random(seed + 1)  # noqa: S311  # nosec B311 # demo data, not security
        self.clock = Clock(self.rng)
        self.say = say
        self.ccgs = {c.ods_code: c for c in CCG.objects.select_related("area_team__region")}
        self.cycles = {c.name: c for c in Cycle.objects.prefetch_related("deadlines")}
        self.proposals: dict[tuple[str, str], object] = {}
        self.staff: dict[str, object] = {}
        self.area_staff: dict[int, object] = {}
        self.reviewers: dict[int, object] = {}

    # actors ---------------------------------------------------------------------------

    def make_actors(self) -> None:
        """One person per CCG, area team and region, and a committee secretary and national
        lead, none of whom can sign in (no usable password). The demo users of
        load_demo_users are left as they are."""
        from applications.models import AreaTeam, Region, Role, User

        def person(username: str, role: str, **organisation) -> User:
            first, last = _name(self.rng)
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.nhs.uk",
                    "role": role,
                    **organisation,
                },
            )
            if user.has_usable_password():
                user.set_unusable_password()
                user.save(update_fields=["password"])
            return user

        for ods, ccg in sorted(self.ccgs.items()):
            self.staff[ods] = person(f"demo.ccg.{ods.lower()}", Role.CCG_STAFF, ccg=ccg)
        for team in AreaTeam.objects.all():
            self.area_staff[team.pk] = person(
                f"demo.area.{team.code.lower()}", Role.AREA_TEAM, area_team=team
            )
        for region in Region.objects.all():
            self.reviewers[region.pk] = person(
                f"demo.reviewer.{region.code.lower()}", Role.REGIONAL_REVIEWER, region=region
            )
        self.secretary = person("demo.secretary", Role.COMMITTEE_SECRETARY)
        self.national = person("demo.national", Role.NATIONAL_ADMIN)

    # one proposal's steps --------------------------------------------------------------

    def _refresh(self, proposal):
        from applications.models import Proposal

        return Proposal.objects.select_related("cycle", "ccg__area_team").get(pk=proposal.pk)

    def prepare(
        self,
        story: Story,
        cycle_name: str,
        model: str,
        created: dt.datetime,
        submit_at: dt.datetime,
        *,
        carried_from=None,
        complete: bool = True,
    ):
        """Start (or carry forward), fill in, add partners and documents. Returns the
        draft, ready to submit at submit_at."""
        from applications import actions, services

        ccg, staff, cycle = self.ccgs[story.ods], self.staff[story.ods], self.cycles[cycle_name]
        with _at(created):
            if carried_from is not None:
                proposal = services.carry_forward(
                    proposal=carried_from, to_cycle=cycle, by=self.national
                )
            else:
                proposal = services.create_proposal(ccg=ccg, cycle=cycle, model=model, by=staff)
        go_live = cycle.deadline("go_live")
        starts_on = go_live.due_at.astimezone(LONDON).date() if go_live else cycle.starts_on
        answers = pro_forma_answers(self.rng, ccg, model, submit_at, starts_on)
        from applications.pro_forma import sections_for

        sections = list(sections_for(model))
        if not complete:
            sections = sections[:2]
        moment = created
        for section in sections:
            moment = min(self.clock.after(moment, 0, 3), submit_at - dt.timedelta(hours=2))
            with _at(moment):
                proposal = actions.save_section(
                    proposal=proposal, section=section.key, answers=answers[section.key], by=staff
                )
        if story.partners and carried_from is None:
            partners = [self.ccgs[ods] for ods in story.partners]
            with _at(moment):
                proposal = actions.set_partners(proposal=proposal, partners=partners, by=staff)
            for partner in partners:
                agreed = min(self.clock.after(moment, 1, 6), submit_at - dt.timedelta(hours=1))
                with _at(agreed):
                    actions.confirm_agreement(
                        proposal=proposal,
                        partner=partner,
                        by=self.staff[partner.ods_code],
                        governing_body_agreed_on=agreed.date() - dt.timedelta(days=3),
                    )
        if complete:
            self.attach_documents(proposal, submit_at - dt.timedelta(hours=1))
        return self._refresh(proposal)

    def attach_documents(self, proposal, moment: dt.datetime) -> None:
        from applications.documents import REQUIRED_DOCUMENTS, attach_document, check_upload
        from applications.models import DocumentKind

        ccg = proposal.ccg
        for kind in REQUIRED_DOCUMENTS.get(proposal.model, ()):
            label = DocumentKind(kind).label
            content = pdf_document(
                f"{ccg.name}: {label.lower()}",
                [
                    f"Proposal {proposal.reference} ({proposal.get_model_display().lower()}).",
                    "Demonstration document created by manage.py load_demo_data.",
                ],
            )
            upload = SimpleUploadedFile(
                f"{label} - {ccg.name}.pdf", content, content_type="application/pdf"
            )
            with _at(moment):
                attach_document(
                    proposal=proposal,
                    kind=kind,
                    upload=upload,
                    checked=check_upload(upload),
                    by=self.staff[ccg.ods_code],
                )

    def submit(self, proposal, moment: dt.datetime, summary: str = ""):
        from applications import actions

        proposal = self._refresh(proposal)
        with _at(moment):
            return actions.submit(
                proposal=proposal,
                by=self.staff[proposal.ccg.ods_code],
                expected_version=proposal.version,
                summary_of_changes=summary,
            ).proposal

    def reviewer_for(self, proposal):
        return self.reviewers[proposal.ccg.area_team.region_id]

    def review(self, proposal, moment: dt.datetime) -> None:
        from approvals import services as approvals

        reviewer = self.reviewer_for(proposal)
        with _at(moment):
            review = approvals.start_review(proposal=proposal, by=reviewer)
        answers = dict(REVIEW_ANSWERS)
        if (proposal.pro_forma.get("pooled_budget") or {}).get("pooled_budget") == "yes":
            answers["pooled_budget_compliant"] = "yes"
        if proposal.ccg.in_special_measures:
            answers["special_measures_risk_accepted"] = "yes"
        with _at(moment + dt.timedelta(minutes=30)):
            approvals.save_review(review=review, by=reviewer, answers=answers)

    def comment(self, proposal, moment: dt.datetime) -> None:
        from applications import actions

        with _at(moment):
            actions.add_comment(
                proposal=proposal,
                by=self.area_staff[proposal.ccg.area_team_id],
                text=self.rng.choice(COMMENTS),
            )

    def changes_loop(self, proposal, moment: dt.datetime) -> tuple[object, dt.datetime]:
        """The region asks for changes; the CCG edits a section and resubmits; the region
        reviews again. Returns the proposal and when the second review started."""
        from applications import actions
        from approvals import services as approvals

        reviewer, staff = self.reviewer_for(proposal), self.staff[proposal.ccg.ods_code]
        asked = self.clock.after(moment, 1, 3)
        with _at(asked):
            proposal = approvals.request_changes(
                proposal=proposal, by=reviewer, comments=self.rng.choice(CHANGE_REQUESTS)
            )
        edited = self.clock.after(asked, 2, 5)
        section = "constitution"
        answers = dict(proposal.pro_forma.get(section) or {})
        answers["constitution_amendment_summary"] = (
            answers.get("constitution_amendment_summary", "")
            + " The amendment now names the chair and the functions delegated."
        )
        with _at(edited):
            proposal = actions.save_section(
                proposal=proposal, section=section, answers=answers, by=staff
            )
        resubmitted = edited + dt.timedelta(hours=2)
        proposal = self.submit(
            proposal, resubmitted, summary="Named the committee chair and the delegated functions."
        )
        again = self.clock.after(resubmitted, 1, 2)
        self.review(proposal, again)
        return self._refresh(proposal), again

    def go_live(self, proposal, moment: dt.datetime) -> None:
        from applications import services

        with _at(moment):
            services.go_live(proposal=proposal)

    # the programme ----------------------------------------------------------------------

    def play(self) -> None:
        self.make_actors()
        self.round_2015_16()
        self.round_2016_17()

    def _stories(self, *, model: str | None = None, lead_only: bool = True) -> list[Story]:
        stories = sorted(self.plan.stories.values(), key=lambda s: s.ods)
        if model is not None:
            stories = [s for s in stories if s.model == model]
        if lead_only:
            stories = [s for s in stories if not s.lead]
        return stories

    def round_2015_16(self) -> None:
        from applications import actions, services
        from approvals import services as approvals

        clock = self.clock
        cycle = "2015/16"
        awaiting: list[tuple[Story, object]] = []

        # Greater involvement: recorded with the area team, October 2014 to March 2015.
        for story in self._stories(model=G):
            created = clock.between(dt.date(2014, 10, 13), dt.date(2015, 3, 6))
            recorded = clock.after(created, 3, 20)
            proposal = self.prepare(story, cycle, G, created, recorded)
            self.proposals[(story.ods, cycle)] = self.submit(proposal, recorded)

        # Delegated: due 5 January 2015; almost half came in the last week.
        for story in self._stories(model=D):
            created = clock.between(dt.date(2014, 10, 20), dt.date(2014, 12, 5))
            if story.path.startswith("lapsed"):
                proposal = self.prepare(
                    story, cycle, D, created, london(2015, 1, 5, 12), complete=False
                )
                with _at(london(2015, 1, 6, 0, 15)):
                    proposal = services.lapse_proposal(proposal=proposal)
                self.proposals[(story.ods, cycle)] = proposal
                continue
            if self.rng.random() < 0.45:
                submit_at = clock.between(dt.date(2014, 12, 29), dt.date(2015, 1, 5), late=True)
            else:
                submit_at = clock.between(dt.date(2014, 12, 1), dt.date(2014, 12, 23))
            submit_at = max(submit_at, created + dt.timedelta(days=7))
            proposal = self.prepare(story, cycle, D, created, submit_at)
            proposal = self.submit(proposal, submit_at)
            started = clock.after(submit_at, 1, 6)
            self.review(proposal, started)
            if self.rng.random() < 0.3:
                self.comment(proposal, started + dt.timedelta(hours=3))
            if story.path == "withdrawn":
                with _at(clock.after(started, 5, 10)):
                    proposal = actions.withdraw(
                        proposal=proposal,
                        by=self.staff[story.ods],
                        reason="Our governing body wants conflicts of interest arrangements "
                        "in place first; we will propose again for 2016/17.",
                    )
                self.proposals[(story.ods, cycle)] = proposal
                continue
            if story.path == "changes":
                proposal, started = self.changes_loop(proposal, started)
            decided = min(clock.after(started, 3, 15), london(2015, 2, 6, 16))
            with _at(decided):
                if story.path == "declined":
                    proposal = approvals.recommend_to_committee(
                        proposal=proposal,
                        by=self.reviewer_for(proposal),
                        recommend=False,
                        comments="Conflicts of interest arrangements for GP members do not "
                        "yet meet the statutory guidance.",
                    )
                else:
                    proposal = approvals.recommend_to_committee(
                        proposal=proposal,
                        by=self.reviewer_for(proposal),
                        recommend=True,
                        comments="Recommended: assured against the governance framework.",
                    )
            awaiting.append((story, proposal))

        # Joint: due 30 January 2015 at the regional office.
        joint_decided: list[tuple[Story, object]] = []
        for story in self._stories(model=J):
            created = clock.between(dt.date(2014, 11, 3), dt.date(2015, 1, 9))
            if self.rng.random() < 0.5:
                submit_at = clock.between(dt.date(2015, 1, 26), dt.date(2015, 1, 30), late=True)
            else:
                submit_at = clock.between(dt.date(2015, 1, 5), dt.date(2015, 1, 23))
            submit_at = max(submit_at, created + dt.timedelta(days=7))
            proposal = self.prepare(story, cycle, J, created, submit_at)
            proposal = self.submit(proposal, submit_at)
            started = clock.after(submit_at, 1, 5)
            self.review(proposal, started)
            if self.rng.random() < 0.3:
                self.comment(proposal, started + dt.timedelta(hours=3))
            if story.path == "changes":
                proposal, started = self.changes_loop(proposal, started)
            decided = min(clock.after(started, 5, 30), london(2015, 3, 25, 15))
            with _at(decided):
                if story.path == "not_approved":
                    proposal = approvals.not_approve_proposal(
                        proposal=proposal,
                        by=self.reviewer_for(proposal),
                        reason="The terms of reference give the joint committee no "
                        "decision-making role on primary care contracts.",
                    )
                else:
                    proposal = approvals.approve_joint_proposal(
                        proposal=proposal,
                        by=self.reviewer_for(proposal),
                        comments="Assured against the governance framework.",
                    )
            joint_decided.append((story, proposal))
            self.proposals[(story.ods, cycle)] = proposal

        # The Commissioning Committee, 16 February 2015; deferred items on 16 March.
        decisions = self.committee(
            cycle,
            awaiting,
            created=london(2015, 2, 2, 9),
            meets=london(2015, 2, 16, 10),
            agenda=london(2015, 2, 9, 10),
        )
        deferred = [(s, p) for s, p in decisions if s.path == "deferred"]
        decisions += self.committee(
            cycle,
            deferred,
            created=london(2015, 2, 23, 9),
            meets=london(2015, 3, 16, 10),
            agenda=london(2015, 3, 9, 10),
            second=True,
        )
        # Conditions met in March (two only in late April), then go-live on 1 April 2015;
        # the two late ones go live when the sweep next runs after their conditions are met.
        final = {story.ods: (story, proposal) for story, proposal in decisions}
        for story, proposal in final.values():
            if story.path not in ("conditions", "late_conditions"):
                continue
            if story.path == "late_conditions":
                met = clock.between(dt.date(2015, 4, 20), dt.date(2015, 4, 24))
            else:
                met = clock.between(dt.date(2015, 3, 2), dt.date(2015, 3, 27))
            for condition in proposal.conditions.all():
                with _at(met):
                    approvals.record_condition_met(
                        condition=condition,
                        by=self.secretary,
                        note="Evidence received from the CCG and checked by the region.",
                    )
        approved = [*final.values(), *joint_decided]
        for story, proposal in approved:
            if proposal.state not in ("approved", "approved_with_conditions"):
                continue
            if story.path == "late_conditions":
                self.go_live(proposal, london(2015, 5, 1, 0, 5))
            else:
                self.go_live(proposal, london(2015, 4, 1, 0, 5))

    def committee(
        self,
        cycle_name: str,
        items: list[tuple[Story, object]],
        *,
        created: dt.datetime,
        meets: dt.datetime,
        agenda: dt.datetime,
        second: bool = False,
    ) -> list[tuple[Story, object]]:
        """A committee meeting: agenda built a week before, a decision on each item."""
        from approvals import services as approvals

        if not items:
            return []
        cycle = self.cycles[cycle_name]
        with _at(created):
            meeting = approvals.create_meeting(
                cycle=cycle,
                meets_at=meets,
                by=self.secretary,
                location="Skipton House, London",
                members="Chair, NHS England\nNational Director: Commissioning Operations\n"
                "Lay member\nDirector of Primary Care",
            )
        ordered = sorted(
            items,
            key=lambda pair: (pair[1].ccg.area_team.region.name, pair[1].ccg.name),
        )
        agenda_items = []
        for index, (_, proposal) in enumerate(ordered):
            with _at(agenda + dt.timedelta(minutes=index)):
                agenda_items.append(
                    approvals.add_to_agenda(meeting=meeting, proposal=proposal, by=self.secretary)
                )
        decided = []
        for index, ((story, proposal), item) in enumerate(zip(ordered, agenda_items, strict=True)):
            if second or story.path in ("plain", "changes", ""):
                decision, conditions = "approved", []
            elif story.path in ("conditions", "late_conditions"):
                decision = "approved_with_conditions"
                conditions = self.rng.sample(CONDITIONS, self.rng.randint(1, 2))
            elif story.path == "deferred":
                decision, conditions = "deferred", []
            elif story.path == "declined":
                decision, conditions = "declined", []
            else:
                decision, conditions = "approved", []
            minute = {
                "approved": "Approved.",
                "approved_with_conditions": "Approved subject to the conditions below.",
                "deferred": "Deferred to the next meeting for further evidence on conflicts "
                "of interest.",
                "declined": "Declined: conflicts of interest arrangements are not adequate.",
            }[decision]
            with _at(meets + dt.timedelta(minutes=15 + 2 * index)):
                proposal = approvals.record_committee_decision(
                    proposal=proposal,
                    by=self.secretary,
                    decision=decision,
                    conditions=conditions,
                    minute=minute,
                    item=item,
                )
            decided.append((story, self._refresh(proposal)))
        return decided

    def round_2016_17(self) -> None:
        from approvals import services as approvals

        clock = self.clock
        cycle = "2016/17"
        if cycle not in self.cycles:
            return
        movers = [s for s in self._stories() if s.next_year]
        awaiting: list[tuple[Story, object]] = []
        for story in movers:
            created = clock.between(dt.date(2015, 4, 7), dt.date(2015, 5, 8))
            if self.rng.random() < 0.4:
                submit_at = clock.between(dt.date(2015, 5, 26), dt.date(2015, 6, 1), late=True)
            else:
                submit_at = clock.between(dt.date(2015, 5, 11), dt.date(2015, 5, 22))
            carried = None
            if story.path == "lapsed_carried":
                carried = self.proposals[(story.ods, "2015/16")]
            proposal = self.prepare(story, cycle, D, created, submit_at, carried_from=carried)
            proposal = self.submit(proposal, submit_at)
            self.proposals[(story.ods, cycle)] = proposal
            if story.next_year == "submitted":
                continue
            started = clock.after(submit_at, 2, 10)
            self.review(proposal, started)
            if story.next_year == "under_review":
                continue
            if story.next_year == "changes_requested":
                asked = clock.after(started, 2, 5)
                with _at(asked):
                    approvals.request_changes(
                        proposal=proposal,
                        by=self.reviewer_for(proposal),
                        comments=self.rng.choice(CHANGE_REQUESTS),
                    )
                continue
            with _at(clock.after(started, 10, 40)):
                proposal = approvals.recommend_to_committee(
                    proposal=proposal,
                    by=self.reviewer_for(proposal),
                    recommend=True,
                    comments="Recommended: assured against the governance framework.",
                )
            if story.next_year == "recommended":
                continue
            awaiting.append((story, proposal))
        decisions = self.committee(
            cycle,
            awaiting,
            created=london(2015, 9, 28, 9),
            meets=london(2015, 10, 12, 10),
            agenda=london(2015, 10, 5, 10),
        )
        for story, proposal in decisions:
            self.go_live(proposal, london(2016, 4, 1, 0, 5))
            self.proposals[(story.ods, cycle)] = self._refresh(proposal)


def load(seed: int, say: Callable[[str], None]) -> Plan:
    """Make the plan and play it, in one transaction."""
    from applications.models import CCG

    ccgs = list(CCG.objects.values_list("ods_code", "area_team__code"))
    plan = make_plan(ccgs, seed)
    with transaction.atomic():
        Player(plan, seed, say).play()
    return plan
