"""Celery for real: a worker process on the machine's Redis, and a broker that is down."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from applications.models import (
    Cycle,
    Deadline,
    OutboxMessage,
    Proposal,
    ProposalState,
    SweepRun,
)
from applications.services import create_proposal, submit_proposal
from cocommissioning.celery import app as celery_app
from tests.factories import CCGFactory, ccg_staff, complete_pro_forma

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def wait_for(check, timeout=60, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {message}")


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real Celery worker on the test database and a Redis database of its own."""
    broker = settings.CELERY_BROKER_URL
    redis.Redis.from_url(broker).flushdb()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cocommissioning.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": broker,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cocommissioning",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: "ready" in log.read_text() or process.poll() is not None,
            message="the worker to start",
        )
        assert process.poll() is None, log.read_text()
        yield log
    finally:
        process.terminate()
        process.wait(timeout=30)


# send_task always goes to the broker, which is the point here; Celery warns it ignores eager.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_worker_runs_the_sweep_and_lapses_exactly_the_overdue_drafts(worker, area_team):
    now = timezone.now()
    cycle = Cycle.objects.create(name="2030/31", starts_on=(now + timedelta(days=200)).date())
    Deadline.objects.create(
        cycle=cycle, event="proposals_due", model="delegated", due_at=now - timedelta(hours=1)
    )
    Deadline.objects.create(
        cycle=cycle, event="proposals_due", model="joint", due_at=now + timedelta(days=10)
    )
    overdue, on_time, submitted = [], [], []
    for index in range(6):
        ccg = CCGFactory(area_team=area_team)
        staff = ccg_staff(ccg, email=f"{ccg.ods_code}@example.nhs.uk")
        model = "delegated" if index % 2 == 0 else "joint"
        proposal = create_proposal(ccg=ccg, cycle=cycle, model=model, by=staff)
        (overdue if model == "delegated" else on_time).append(proposal.pk)
    ccg = CCGFactory(area_team=area_team)
    early = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=ccg_staff(ccg))
    Proposal.objects.filter(pk=early.pk).update(state=ProposalState.SUBMITTED)
    submitted.append(early.pk)

    celery_app.send_task("applications.run_deadline_sweep")

    wait_for(
        lambda: SweepRun.objects.filter(finished_at__isnull=False).exists(),
        message=f"a sweep run; worker log:\n{worker.read_text()}",
    )
    states = dict(Proposal.objects.values_list("pk", "state"))
    assert {states[pk] for pk in overdue} == {ProposalState.LAPSED}
    assert {states[pk] for pk in on_time} == {ProposalState.DRAFT}
    assert states[submitted[0]] == ProposalState.SUBMITTED
    # The lapse notices were relayed by the worker after the sweep committed.
    wait_for(
        lambda: (
            OutboxMessage.objects.filter(
                dedupe_key__startswith="lapsed:", sent_at__isnull=False
            ).count()
            == len(overdue)
        ),
        message=f"the outbox relay; worker log:\n{worker.read_text()}",
    )
    assert SweepRun.objects.count() == 1


@contextmanager
def broker(url: str, eager: bool):
    """Point the web process's Celery at another broker, as a Redis outage would. The write
    URL is set too: Celery prefers it, and takes it from CELERY_BROKER_URL when that is set."""
    names = ("broker_url", "broker_write_url", "task_always_eager")
    saved = {name: celery_app.conf[name] for name in names}

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.update(broker_url=url, broker_write_url=url, task_always_eager=eager)
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        reset_pools()


@pytest.mark.django_db
def test_submissions_while_redis_is_down_are_kept_and_emailed_when_it_is_back(
    area_team, cycle, django_capture_on_commit_callbacks, caplog
):
    import time_machine

    from tests.factories import london

    proposals = []
    with time_machine.travel(london(2015, 1, 2, 10), tick=False):
        for _ in range(5):
            ccg = CCGFactory(area_team=area_team)
            staff = ccg_staff(ccg, email=f"{ccg.ods_code}@example.nhs.uk")
            proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
            Proposal.objects.filter(pk=proposal.pk).update(
                pro_forma=complete_pro_forma("delegated")
            )
            proposals.append((proposal, staff))

        closed_port = "redis://127.0.0.1:1/0"
        started = time.monotonic()
        with broker(closed_port, eager=False), django_capture_on_commit_callbacks(execute=True):
            for proposal, staff in proposals:
                submit_proposal(proposal=proposal, by=staff)
        elapsed = time.monotonic() - started

    assert elapsed < 10, "a dead broker must not hold up the person submitting"
    assert "broker unavailable" in caplog.text
    assert {p.state for p in Proposal.objects.filter(pk__in=[p.pk for p, _ in proposals])} == {
        ProposalState.SUBMITTED
    }
    pending = OutboxMessage.objects.filter(dedupe_key__startswith="submitted:", sent_at=None)
    assert pending.count() == 5
    assert mail.outbox == []

    # Redis is back: the periodic relay (beat, every minute) sends what waited.
    from applications.tasks import relay_outbox

    relay_outbox.apply()
    assert not OutboxMessage.objects.filter(sent_at=None).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(staff.email for _, staff in proposals)
    assert all("has been submitted" in m.subject for m in mail.outbox)
