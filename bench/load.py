"""The locust file of the load test: every role doing what it does on a working day.

Run it with bench/load_run.py, which builds the database, the accounts (LOAD_ACCOUNTS, a JSON
file) and gunicorn, then runs this file headless and checks the outcome. Each simulated
person signs in through the real sign-in form (CSRF token and all):

- CCG staff take a fresh CCG account for each journey: start page, start a delegated
  proposal in the open cycle, fill in every pro forma section, upload the three documents,
  check your answers, submit, confirmation. Each answered submission's reference is appended
  to LOAD_SUBMISSIONS, which the runner compares with the database.
- Area team staff list their proposals, read one, and comment on one.
- Regional reviewers load their review queue and review pages.
- The committee secretary loads the meetings and a meeting.
- The national programme team loads the uptake dashboard and a drill-down page.
- Anonymous people read the public register as HTML, CSV and JSON.

Every request is sent without following redirects and must answer the status the page
answers a person (200, or 302 to the right place for a form that succeeded); anything else
is a failure.
"""

import json
import os
import random
import re
import time
import uuid
from itertools import cycle
from pathlib import Path

from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
SUBMISSIONS = Path(os.environ["LOAD_SUBMISSIONS"])
FAILURES = Path(os.environ["LOAD_FAILURES"])
PASSWORD = ACCOUNTS["password"]
THINK = (0.3, 1.2)  # seconds between the steps of one journey (reading, typing)

CCG_ACCOUNTS = iter(ACCOUNTS["ccg_staff"])  # each CCG proposes once: never reused
POOLS = {role: cycle(ACCOUNTS[role]) for role in ("area_team", "reviewer", "secretary", "national")}

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOADED = re.compile(r'name="loaded" value="([^"]*)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
PROPOSAL = re.compile(r'href="/proposals/([A-Z0-9][A-Z0-9-]*)/"')
REVIEW = re.compile(r'href="/review/([A-Z0-9][A-Z0-9-]*)/"')
MEETING = re.compile(r'href="/committee/(\d+)/"')
DRILL_DOWN = re.compile(r'href="(/uptake/\d{4}-\d{2}/(?:regions|area-teams|ccgs)/[^"/]+/)"')

PDF = (
    b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
    b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
DOCUMENTS = ("constitution_amendment", "conflicts_of_interest_policy", "governing_body_resolution")


@events.request.add_listener
def note_failure(request_type, name, exception=None, **kwargs) -> None:
    if exception is not None:
        with FAILURES.open("a") as out:
            out.write(f"{request_type} {name}: {exception}\n")


def date_fields(name: str, iso: str) -> dict[str, str]:
    year, month, day = iso.split("-")
    return {f"{name}_day": day, f"{name}_month": month, f"{name}_year": year}


def delegated_sections() -> list[tuple[str, dict]]:
    agreed = ACCOUNTS["agreed_on"]  # a date a few weeks ago: "today or in the past"
    return [
        (
            "contact",
            {
                "contact_name": "Load Test",
                "contact_role": "Head of primary care",
                "contact_email": "load.test@example.nhs.uk",
                "contact_phone": "0115 496 0000",
            },
        ),
        ("model_and_start", date_fields("start_date", ACCOUNTS["start_date"])),
        ("delegated_functions", {"functions": ["gms_pms_apms_contracts", "enhanced_services"]}),
        ("conflicts_of_interest", {"arrangements": "Lay chair; GPs declare and leave the room."}),
        (
            "governance",
            {
                **date_fields("governing_body_approved_on", agreed),
                "member_practice_engagement": "All member practices voted; most in favour.",
            },
        ),
        ("resources", {"resources_agreed": "Two band 7 posts transfer from the area team."}),
        (
            "constitution",
            {
                "constitution_amendment_summary": "Adds the primary care commissioning committee.",
                **date_fields("constitution_amendment_agreed_on", agreed),
            },
        ),
    ]


def choose(items: list[str]) -> str:
    # Which page to load next, not a secret.
    return random.choice(items)  # nosec B311


def token(text: str) -> str:
    found = CSRF.search(text or "")
    return found.group(1) if found else ""


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def on_start(self) -> None:
        if not self.host.startswith("http://127.0.0.1:"):
            raise RuntimeError("The load test only talks to 127.0.0.1")

    def call(self, method: str, path: str, name: str, expect=(200,), location="", **kwargs):
        """One request, no redirects followed; a failure unless the status is expected and
        a redirect goes where the page sends a person who succeeded."""
        with self.client.request(
            method, path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            where = response.headers.get("Location", "")
            if response.status_code not in expect:
                response.failure(f"{response.status_code}, expected {expect} {where}".strip())
            elif location and not re.search(location, where):
                response.failure(f"{response.status_code} to {where!r}, expected {location!r}")
            return response

    def sign_in(self, username: str) -> bool:
        page = self.call("GET", "/sign-in/", "/sign-in/")
        answer = self.call(
            "POST",
            "/sign-in/",
            "/sign-in/ POST",
            expect=(302,),
            location=r"^/$",
            data={
                "csrfmiddlewaretoken": token(page.text),
                "username": username,
                "password": PASSWORD,
                "next": "",
            },
        )
        return answer.status_code == 302

    def sign_out(self) -> None:
        self.call(
            "POST",
            "/sign-out/",
            "/sign-out/ POST",
            expect=(302,),
            data={"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
        )

    def think(self) -> None:
        # gevent-patched by locust; a think time, not a secret
        time.sleep(random.uniform(*THINK))  # nosec B311


class CCGStaff(Person):
    weight = 20

    account = None
    reference = ""

    @task
    def propose(self) -> None:
        account = next(CCG_ACCOUNTS, None)
        if account is None:  # every CCG has proposed: keep reading the last one's pages
            if self.account is not None:
                self.call("GET", "/ccg/", "/ccg/")
                if self.reference:
                    self.call("GET", f"/proposals/{self.reference}/", "/proposals/[ref]/")
            return
        if self.account is not None:
            self.sign_out()
        self.account, self.reference = account, ""
        if not self.sign_in(account["username"]):
            return
        self.call("GET", "/", "/")
        self.call("GET", "/ccg/", "/ccg/")
        self.think()
        page = self.call("GET", "/proposals/start/", "/proposals/start/")
        started = self.call(
            "POST",
            "/proposals/start/",
            "/proposals/start/ POST",
            expect=(302,),
            location=r"^/proposals/[A-Z0-9-]+/$",
            data={
                "csrfmiddlewaretoken": token(page.text),
                "model": "delegated",
                "cycle": ACCOUNTS["cycle"],
            },
        )
        found = re.search(r"/proposals/([A-Z0-9-]+)/", started.headers.get("Location", ""))
        if started.status_code != 302 or not found:
            return
        ref = self.reference = found.group(1)
        base = f"/proposals/{ref}"
        self.call("GET", f"{base}/", "/proposals/[ref]/")
        for section, answers in delegated_sections():
            self.think()
            page = self.call(
                "GET", f"{base}/sections/{section}/", "/proposals/[ref]/sections/[section]/"
            )
            loaded = LOADED.search(page.text or "")
            self.call(
                "POST",
                f"{base}/sections/{section}/",
                "/proposals/[ref]/sections/[section]/ POST",
                expect=(302,),
                location=rf"^{base}/$",
                data={
                    "csrfmiddlewaretoken": token(page.text),
                    "loaded": loaded.group(1) if loaded else "",
                    "action": "continue",
                    **answers,
                },
            )
        self.think()
        page = self.call("GET", f"{base}/documents/", "/proposals/[ref]/documents/")
        csrf = token(page.text)
        for kind in DOCUMENTS:
            self.think()
            self.call(
                "POST",
                f"{base}/documents/",
                "/proposals/[ref]/documents/ POST",
                expect=(302,),
                location=rf"^{base}/documents/$",
                data={"csrfmiddlewaretoken": csrf, "kind": kind},
                files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
            )
        self.think()
        page = self.call("GET", f"{base}/check/", "/proposals/[ref]/check/")
        version = VERSION.search(page.text or "")
        self.think()
        answer = self.call(
            "POST",
            f"{base}/check/",
            "/proposals/[ref]/check/ POST (submit)",
            expect=(302,),
            location=rf"^{base}/confirmation/$",
            data={
                "csrfmiddlewaretoken": token(page.text),
                "version": version.group(1) if version else "",
            },
        )
        if answer.status_code == 302 and answer.headers.get("Location") == f"{base}/confirmation/":
            with SUBMISSIONS.open("a") as out:
                out.write(ref + "\n")
            self.call("GET", f"{base}/confirmation/", "/proposals/[ref]/confirmation/")


class SignedIn(Person):
    abstract = True
    role = ""

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(next(POOLS[self.role])["username"])


class AreaTeamStaff(SignedIn):
    weight = 8
    role = "area_team"

    def references(self) -> list[str]:
        page = self.call("GET", "/proposals/", "/proposals/")
        return sorted(set(PROPOSAL.findall(page.text or "")))

    @task(3)
    def read(self) -> None:
        refs = self.references()
        if refs:
            self.think()
            self.call("GET", f"/proposals/{choose(refs)}/", "/proposals/[ref]/")

    @task(1)
    def comment(self) -> None:
        refs = self.references()
        if not refs:
            return
        ref = choose(refs)
        self.think()
        page = self.call("GET", f"/proposals/{ref}/", "/proposals/[ref]/")
        self.think()
        self.call(
            "POST",
            f"/proposals/{ref}/comments/",
            "/proposals/[ref]/comments/ POST",
            expect=(302,),
            location=rf"^/proposals/{ref}/#comments$",
            data={
                "csrfmiddlewaretoken": token(page.text),
                "text": f"Load test comment {uuid.uuid4().hex[:8]}: please confirm the dates.",
            },
        )


class RegionalReviewer(SignedIn):
    weight = 8
    role = "reviewer"

    @task
    def review(self) -> None:
        page = self.call("GET", "/review/", "/review/")
        refs = sorted(set(REVIEW.findall(page.text or "")))
        if refs:
            self.think()
            self.call("GET", f"/review/{choose(refs)}/", "/review/[ref]/")


class CommitteeSecretary(SignedIn):
    weight = 3
    role = "secretary"

    @task
    def meetings(self) -> None:
        page = self.call("GET", "/committee/", "/committee/")
        meetings = sorted(set(MEETING.findall(page.text or "")))
        if meetings:
            self.think()
            self.call("GET", f"/committee/{choose(meetings)}/", "/committee/[pk]/")


class NationalTeam(SignedIn):
    weight = 4
    role = "national"

    @task
    def dashboard(self) -> None:
        current = self.call("GET", "/uptake/", "/uptake/", expect=(302,), location=r"^/uptake/")
        where = current.headers.get("Location", "")
        if not where.startswith("/uptake/"):
            return
        page = self.call("GET", where, "/uptake/[cycle]/")
        links = sorted(set(DRILL_DOWN.findall(page.text or "")))
        if links:
            self.think()
            self.call("GET", choose(links), "/uptake/[cycle]/[level]/[code]/")


class Public(Person):
    weight = 7

    @task(3)
    def register(self) -> None:
        self.call("GET", "/register/", "/register/")

    @task(1)
    def register_csv(self) -> None:
        self.call("GET", "/register/arrangements.csv", "/register/arrangements.csv")

    @task(1)
    def register_json(self) -> None:
        self.call("GET", "/register/arrangements.json", "/register/arrangements.json")

    @task(1)
    def home(self) -> None:
        self.call("GET", "/", "/")
