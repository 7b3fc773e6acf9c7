"""The deadline sweep, driven through the programme's real 2015 dates with the clock moved
by time-machine. Every action must happen exactly once, within one sweep interval."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from applications.deadlines import run_sweep
from applications.models import (
    Deadline,
    OutboxMessage,
    Proposal,
    ProposalCondition,
    ProposalEvent,
    ProposalState,
    ProposalTransition,
)
from applications.services import create_proposal
from tests.factories import CCGFactory, ccg_staff, complete_pro_forma, london, reviewer

pytestmark = pytest.mark.django_db

INTERVAL = timedelta(minutes=5)


def sweeps(start: datetime, end: datetime, interval: timedelta = INTERVAL):
    """Run the sweep every `interval` from start to end; return [(time, run)]."""
    runs = []
    moment = start
    while moment <= end:
        with time_machine.travel(moment, tick=False):
            runs.append((moment, run_sweep()))
        moment += interval
    return runs


def acted_on(runs, action: str, reference: str):
    return [
        moment
        for moment, run in runs
        if reference in run.actions.get("proposals", {}).get(action, [])
    ]


def draft(ccg, cycle, model, staff=None, **updates):
    staff = staff or ccg_staff(ccg, email=f"staff.{ccg.ods_code}@example.nhs.uk")
    with time_machine.travel(london(2014, 11, 20, 9), tick=False):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model=model, by=staff)
    if updates:
        Proposal.objects.filter(pk=proposal.pk).update(**updates)
        proposal.refresh_from_db()
    return proposal


@pytest.fixture
def ccgs(area_team):
    return [CCGFactory(area_team=area_team) for _ in range(6)]


def test_drafts_lapse_at_their_own_models_deadline_once(ccgs, cycle):
    delegated = draft(ccgs[0], cycle, "delegated")
    joint = draft(ccgs[1], cycle, "joint")
    submitted = draft(
        ccgs[2],
        cycle,
        "delegated",
        state=ProposalState.SUBMITTED,
        pro_forma=complete_pro_forma("delegated"),
    )

    runs = sweeps(london(2015, 1, 5, 23, 30), london(2015, 1, 6, 0, 30))
    due = london(2015, 1, 5, 23, 59)
    [when] = acted_on(runs, "lapsed", delegated.reference)
    assert due <= when < due + INTERVAL
    assert acted_on(runs, "lapsed", joint.reference) == []
    assert Proposal.objects.get(pk=joint.pk).state == ProposalState.DRAFT
    assert Proposal.objects.get(pk=submitted.pk).state == ProposalState.SUBMITTED

    runs = sweeps(london(2015, 1, 30, 23, 30), london(2015, 1, 31, 0, 30))
    due = london(2015, 1, 30, 23, 59)
    [when] = acted_on(runs, "lapsed", joint.reference)
    assert due <= when < due + INTERVAL

    for proposal in (delegated, joint):
        assert proposal.transitions.filter(name="lapse").count() == 1
        row = proposal.transitions.get(name="lapse")
        assert (row.actor_id, row.actor_role) == (None, "system")
        notices = OutboxMessage.objects.filter(dedupe_key=f"lapsed:{proposal.pk}")
        assert notices.count() == 1
        assert notices.get().payload["to"] == [f"staff.{proposal.ccg.ods_code}@example.nhs.uk"]
        assert "carry it forward" in notices.get().payload["body"]


def test_reminders_at_14_7_and_1_days_each_sent_once(ccgs, cycle):
    delegated = draft(ccgs[0], cycle, "delegated")
    joint = draft(ccgs[1], cycle, "joint")
    submitted_in_time = draft(ccgs[2], cycle, "delegated", state=ProposalState.SUBMITTED)

    runs = sweeps(london(2014, 12, 15, 9), london(2015, 1, 5, 9), timedelta(hours=12))
    # A sweep running late, twice in a row, changes nothing.
    with time_machine.travel(london(2015, 1, 5, 9, 1), tick=False):
        run_sweep()
        run_sweep()

    def reminders(proposal):
        return sorted(
            event.data["days"]
            for event in ProposalEvent.objects.filter(
                proposal=proposal, kind=ProposalEvent.Kind.REMINDER_SENT
            )
        )

    assert reminders(delegated) == [1, 7, 14]
    assert (
        OutboxMessage.objects.filter(dedupe_key__startswith=f"reminder:{delegated.pk}:").count()
        == 3
    )
    # Joint proposals are due on 30 January: their 14-day reminder opens on 16 January.
    assert reminders(joint) == []
    # Each reminder went in the first sweep after its moment opened (sweeps every 12 hours).
    deadline = london(2015, 1, 5, 23, 59)
    for days in (14, 7, 1):
        action = f"reminded ({days} days before)"
        [when] = acted_on(runs, action, delegated.reference)
        opens = deadline - timedelta(days=days)
        assert opens <= when < opens + timedelta(hours=12)
    assert reminders(submitted_in_time) == []
    sweeps(london(2015, 1, 16, 9), london(2015, 1, 30, 9), timedelta(days=1))
    assert reminders(joint) == [1, 7, 14]


def test_open_reviews_escalate_to_the_region_a_week_before_the_committee(ccgs, cycle, region):
    reviewer(region, email="reviewer@example.nhs.uk")
    under_review = draft(ccgs[0], cycle, "delegated", state=ProposalState.UNDER_REVIEW)
    recommended = draft(ccgs[1], cycle, "delegated", state=ProposalState.RECOMMENDED)
    joint = draft(ccgs[2], cycle, "joint", state=ProposalState.UNDER_REVIEW)

    committee = london(2015, 2, 16, 10)
    runs = sweeps(committee - timedelta(days=7, minutes=30), committee - timedelta(days=6))
    [when] = acted_on(runs, "escalated", under_review.reference)
    opens = committee - timedelta(days=7)
    assert opens <= when < opens + INTERVAL
    assert acted_on(runs, "escalated", recommended.reference) == []
    assert acted_on(runs, "escalated", joint.reference) == []
    message = OutboxMessage.objects.get(dedupe_key__startswith=f"escalated:{under_review.pk}:")
    assert message.payload["to"] == ["reviewer@example.nhs.uk"]
    assert under_review.events.filter(kind=ProposalEvent.Kind.ESCALATED).count() == 1


def test_approved_proposals_go_live_on_1_april_unless_conditions_are_open(ccgs, cycle, actors):
    joint = draft(ccgs[0], cycle, "joint", state=ProposalState.APPROVED)
    clear = draft(ccgs[1], cycle, "delegated", state=ProposalState.APPROVED_WITH_CONDITIONS)
    ProposalCondition.objects.create(
        proposal=clear,
        text="Publish register",
        set_by=actors["committee_secretary"],
        met_at=london(2015, 3, 20),
    )
    held = draft(ccgs[2], cycle, "delegated", state=ProposalState.APPROVED_WITH_CONDITIONS)
    ProposalCondition.objects.create(
        proposal=held, text="Appoint a lay chair", set_by=actors["committee_secretary"]
    )
    declined = draft(ccgs[3], cycle, "delegated", state=ProposalState.DECLINED)

    # Across midnight BST: 1 April 2015 00:00 in London is 31 March 23:00 UTC.
    go_live = london(2015, 4, 1)
    assert go_live.astimezone(UTC) == datetime(2015, 3, 31, 23, 0, tzinfo=UTC)
    runs = sweeps(go_live - timedelta(minutes=30), go_live + timedelta(minutes=30))
    for proposal in (joint, clear):
        [when] = acted_on(runs, "went live", proposal.reference)
        assert go_live <= when < go_live + INTERVAL
        assert Proposal.objects.get(pk=proposal.pk).state == ProposalState.LIVE
        assert OutboxMessage.objects.filter(dedupe_key=f"live:{proposal.pk}").count() == 1
    assert Proposal.objects.get(pk=held.pk).state == ProposalState.APPROVED_WITH_CONDITIONS
    assert Proposal.objects.get(pk=declined.pk).state == ProposalState.DECLINED
    last = runs[-1][1]
    assert last.actions["proposals"]["held back: conditions open"] == [held.reference]
    assert held.events.filter(kind=ProposalEvent.Kind.NOT_LIVE).count() == 1


def test_the_2016_17_delegated_deadline_on_1_june(ccgs, next_cycle):
    proposal = draft(ccgs[0], next_cycle, "delegated")
    due = london(2015, 6, 1, 23, 59)
    runs = sweeps(due - timedelta(minutes=20), due + timedelta(minutes=20))
    [when] = acted_on(runs, "lapsed", proposal.reference)
    assert due <= when < due + INTERVAL


@pytest.mark.parametrize(
    ("label", "deadline_local", "start_utc", "end_utc"),
    [
        # Clocks go forward at 01:00 UTC on 29 March 2015: 03:00 BST is 02:00 UTC.
        (
            "spring forward",
            london(2015, 3, 29, 3, 0),
            datetime(2015, 3, 29, 0, 0, tzinfo=UTC),
            datetime(2015, 3, 29, 3, 0, tzinfo=UTC),
        ),
        # Clocks go back at 01:00 UTC on 25 October 2015: 01:30 happens twice in London;
        # the deadline is the first (BST) one, and the repeated hour must not act again.
        (
            "fall back",
            london(2015, 10, 25, 1, 30),
            datetime(2015, 10, 24, 23, 30, tzinfo=UTC),
            datetime(2015, 10, 25, 3, 0, tzinfo=UTC),
        ),
    ],
)
def test_across_a_clock_change_the_deadline_acts_once(
    ccgs, cycle, label, deadline_local, start_utc, end_utc
):
    Deadline.objects.filter(cycle=cycle, event="proposals_due", model="delegated").update(
        due_at=deadline_local
    )
    proposal = draft(ccgs[0], cycle, "delegated")
    runs = sweeps(start_utc, end_utc)
    [when] = acted_on(runs, "lapsed", proposal.reference)
    assert deadline_local <= when < deadline_local + INTERVAL, label
    assert ProposalTransition.objects.filter(proposal=proposal, name="lapse").count() == 1


def test_a_failing_step_is_recorded_and_the_others_still_run(ccgs, cycle, monkeypatch):
    from applications import deadlines

    proposal = draft(ccgs[0], cycle, "delegated")

    def broken(now, log):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(deadlines, "SWEEP_STEPS", [broken, *deadlines.SWEEP_STEPS])
    with time_machine.travel(london(2015, 1, 6, 9), tick=False):
        run = run_sweep()
    assert run.failures == ["broken: RuntimeError: mail server on fire"]
    assert run.actions["proposals"]["lapsed"] == [proposal.reference]
    assert not run.succeeded


def test_the_sweep_query_count_does_not_grow_with_proposals(ccgs, cycle):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measure(n):
        for _ in range(n):
            draft(CCGFactory(area_team=ccgs[0].area_team), cycle, "delegated")
        with (
            time_machine.travel(london(2015, 1, 6, 9), tick=False),
            CaptureQueriesContext(connection) as queries,
        ):
            run = run_sweep()
        assert run.actions["counts"]["lapsed"] == n
        return len(queries)

    assert measure(3) == measure(30)
