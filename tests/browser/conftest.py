"""Browser tests: Debian's Chromium driven by Playwright (the Python sync API, never
`playwright install`), against pytest-django's live server, with axe-core injected into
every page. Screenshots and the axe report go to test-artifacts/ (not committed)."""

import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# the ORM calls the tests make between page actions.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
LONDON = ZoneInfo("Europe/London")
PASSWORD = "correct horse battery staple"

AXE_SOURCE = AXE.read_text() if AXE.exists() else ""
AXE_RUN = """async () => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                   'best-practice']},
    resultTypes: ['violations'],
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
  }));
}"""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (bin/test does)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (bin/test does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_report():
    """Every violation of any impact, per page, written out for people to read; the tests
    fail only on serious and critical ones."""
    report: dict[str, list] = {}
    yield report
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(report, indent=2))


class Journey:
    """A person's browser tab, with the checks made on every page."""

    def __init__(self, page: Page, base_url: str, report: dict[str, list]) -> None:
        self.page = page
        self.base_url = base_url
        self.report = report
        self.pages_checked = 0

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def check(self, name: str, screenshot: bool = False) -> None:
        """axe-core on the page as it is now: no serious or critical violations."""
        self.page.wait_for_load_state("load")
        # Evaluated through the DevTools protocol rather than added as a <script>: the
        # pages' Content-Security-Policy (rightly) refuses inline scripts without a nonce.
        self.page.evaluate(AXE_SOURCE)
        violations = self.page.evaluate(AXE_RUN)
        self.report[name] = violations
        self.pages_checked += 1
        if screenshot:
            ARTIFACTS.mkdir(exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name}: {json.dumps(serious, indent=2)}"

    def sign_in(self, username: str) -> None:
        self.goto("/sign-in/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.base_url + "/")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_url(self.base_url + "/")

    def click_link(self, name: str, exact: bool = False) -> None:
        """A link, or a link styled as a button (role="button")."""
        link = self.page.get_by_role("link", name=name, exact=exact)
        self.page.locator("a").and_(
            link.or_(self.page.get_by_role("button", name=name, exact=exact))
        ).first.click()
        self.page.wait_for_load_state("load")

    def click_button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()
        self.page.wait_for_load_state("load")

    def fill_date(self, field: str, day: dt.date) -> None:
        self.page.locator(f"#id_{field}_0").fill(str(day.day))
        self.page.locator(f"#id_{field}_1").fill(str(day.month))
        self.page.locator(f"#id_{field}_2").fill(str(day.year))

    def error_summary(self) -> list[str]:
        summary = self.page.locator(".nhsuk-error-summary")
        summary.wait_for()
        return [text.strip() for text in summary.locator("li").all_inner_texts()]

    def task_status(self, title: str) -> str:
        item = self.page.locator(".nhsuk-task-list__item").filter(
            has=self.page.get_by_role("link", name=title, exact=True)
        )
        return item.locator(".nhsuk-task-list__status").inner_text().strip()


@pytest.fixture
def journey(browser, live_server, axe_report):
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def csp_violation(message) -> None:
        # Chromium reports what the Content-Security-Policy blocked on the console.
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", csp_violation)
    yield Journey(page, live_server.url, axe_report)
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the pages: {errors}"


@pytest.fixture
def open_cycle(transactional_db):
    """A cycle whose deadlines are still ahead of the real clock (the browser and the live
    server run in real time, so the 2015 timetable would be closed)."""
    from applications.models import Cycle, Deadline, DeadlineEvent

    now = dt.datetime.now(tz=LONDON)
    starts = dt.date(now.year + 1, 4, 1)
    cycle = Cycle.objects.create(
        name=f"{starts.year}/{(starts.year + 1) % 100:02d}", starts_on=starts
    )

    def at(days: int, hour: int = 23, minute: int = 59) -> dt.datetime:
        day = (now + dt.timedelta(days=days)).date()
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)

    for event, model, due_at in [
        (DeadlineEvent.PROPOSALS_DUE, "delegated", at(14)),
        (DeadlineEvent.PROPOSALS_DUE, "joint", at(30)),
        (DeadlineEvent.COMMITTEE_SIGN_OFF, "", at(45, 10, 0)),
        (DeadlineEvent.GO_LIVE, "", dt.datetime(starts.year, 4, 1, tzinfo=LONDON)),
    ]:
        Deadline.objects.create(cycle=cycle, event=event, model=model, due_at=due_at)
    return cycle
