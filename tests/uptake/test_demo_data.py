"""The demo data: all 211 CCGs, played through the write paths, realistic and repeatable."""

import csv
import itertools
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from applications.models import CCG, OutboxMessage, Proposal, ProposalTransition, User
from uptake import demo, figures

pytestmark = pytest.mark.django_db


def reference_ccgs() -> list[tuple[str, str]]:
    with (settings.REFERENCE_DATA_DIR / "ccgs_2014.csv").open() as handle:
        return [(row["ods_code"], row["area_team_code"]) for row in csv.DictReader(handle)]


def test_the_plan_is_deterministic_and_follows_the_survey():
    ccgs = reference_ccgs()
    plan = demo.make_plan(ccgs, seed=2015)
    assert plan.stories == demo.make_plan(ccgs, seed=2015).stories
    assert plan.stories != demo.make_plan(ccgs, seed=7).stories
    models = Counter(story.model for story in plan.stories.values())
    assert len(ccgs) == 211
    # January 2015: 37% delegated, 43% joint, 12% greater involvement, some undecided.
    assert models == {"delegated": 79, "joint": 91, "greater_involvement": 26, "undecided": 15}
    by_team = {}
    for story in plan.stories.values():
        by_team.setdefault(story.area_team, Counter())[story.model] += 1
    assert by_team["Q55"] == {"delegated": 10}
    assert by_team["Q69"] == {"joint": 10}
    assert by_team["Q44"] == {"joint": 6}
    assert by_team["Q46"]["joint"] == 10 and sum(by_team["Q46"].values()) == 12
    # Partners are in their lead's area team and the lead is one of the plan's joint CCGs.
    for story in plan.stories.values():
        if story.lead:
            lead = plan.stories[story.lead]
            assert lead.area_team == story.area_team and story.ods in lead.partners


@pytest.fixture
def loaded(tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_reference_data", stdout=StringIO())
    call_command("load_demo_users", force=True, stdout=StringIO())
    before = dict(User.objects.values_list("username", "password"))
    out = StringIO()
    call_command("load_demo_data", force=True, seed=2015, stdout=out)
    return out.getvalue(), before


def test_the_demo_data_drives_every_ccg_through_the_write_paths(loaded, client):
    output, users_before = loaded
    assert "Demo data loaded (seed 2015)" in output
    assert CCG.objects.count() == 211

    # Every proposal got where it is by its transitions, each from where the last one left it.
    transitions = {}
    for t in ProposalTransition.objects.order_by("at", "pk"):
        transitions.setdefault(t.proposal_id, []).append(t)
    for proposal in Proposal.objects.all():
        chain = transitions[proposal.pk]
        assert chain[0].name == "create", proposal.reference
        for before, after in itertools.pairwise(chain):
            assert after.from_state == before.to_state, proposal.reference
        assert chain[-1].to_state == proposal.state, proposal.reference
    states = Counter(Proposal.objects.values_list("state", flat=True))
    for state in ("live", "recorded", "withdrawn", "declined", "not_approved", "lapsed"):
        assert states[state], state
    for state in ("submitted", "under_review", "changes_requested", "recommended"):
        assert states[state], state  # 2016/17 proposals still with NHS England
    # The write paths' own side effects: confirmation emails (relayed after commit, which a
    # test's transaction never reaches), reviews, committee items.
    assert OutboxMessage.objects.filter(dedupe_key__startswith="submitted:").exists()

    # One actor per CCG, none able to sign in; the demo users are as they were.
    demo_staff = User.objects.filter(username__startswith="demo.ccg.")
    assert demo_staff.count() == 211
    assert not any(user.has_usable_password() for user in demo_staff)
    after = dict(User.objects.values_list("username", "password"))
    assert {name: after[name] for name in users_before} == users_before

    # The figures the dashboard shows for 2015/16 look like the programme did.
    from applications.models import Cycle

    cycle = Cycle.objects.prefetch_related("deadlines").get(name="2015/16")
    summary = {line.key: line.ccgs for line in figures.summary(cycle, CCG.objects.all()).categories}
    assert summary == {
        "delegated": 75,
        "joint": 90,
        "greater_involvement": 26,
        "none": 5,
        "not_decided": 15,
    }
    teams = {g.code: g for g in figures.groups(cycle, CCG.objects.all(), "area_team")}
    assert teams["Q55"].unanimous.key == "delegated"
    assert teams["Q69"].unanimous.key == "joint"
    assert teams["Q44"].unanimous.key == "joint"
    assert teams["Q46"].category("joint").ccgs == 10

    # Every page has something to show.
    assert client.get(reverse("uptake:register")).status_code == 200
    client.force_login(User.objects.get(username="national"))
    for url in (
        reverse("uptake:dashboard", args=["2015-16"]),
        reverse("uptake:dashboard", args=["2016-17"]),
        reverse("uptake:area_team", args=["2015-16", "Q55"]),
    ):
        assert client.get(url).status_code == 200

    # Running it again changes nothing.
    count = Proposal.objects.count()
    again = StringIO()
    call_command("load_demo_data", force=True, stdout=again)
    assert "already exist" in again.getvalue()
    assert Proposal.objects.count() == count


def test_the_demo_data_is_for_local_machines_only(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo_data", stdout=StringIO())
