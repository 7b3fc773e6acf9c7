"""Two sweeps at once on PostgreSQL: no duplicate emails, transitions or audit rows."""

import threading

import pytest
import time_machine
from django.db import connection

from applications.deadlines import run_sweep
from applications.models import OutboxMessage, ProposalEvent, ProposalState, ProposalTransition
from applications.services import create_proposal
from tests.factories import CCGFactory, ccg_staff, london


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("moment", ["reminders", "lapse"])
def test_two_sweeps_at_once_act_once(area_team, cycle, moment):
    proposals = []
    for _ in range(25):
        ccg = CCGFactory(area_team=area_team)
        staff = ccg_staff(ccg, email=f"{ccg.ods_code}@example.nhs.uk")
        with time_machine.travel(london(2014, 11, 20), tick=False):
            proposals.append(create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff))
    when = london(2015, 1, 5, 9) if moment == "reminders" else london(2015, 1, 6, 0, 5)

    barrier = threading.Barrier(3)
    errors = []

    def sweep():
        try:
            with time_machine.travel(when, tick=False):
                barrier.wait()
                run_sweep()
        except Exception as error:  # noqa: BLE001 - collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []

    ids = [p.pk for p in proposals]
    if moment == "reminders":
        assert ProposalEvent.objects.filter(kind="reminder_sent", proposal__in=ids).count() == 25
        assert OutboxMessage.objects.filter(dedupe_key__startswith="reminder:").count() == 25
    else:
        lapses = ProposalTransition.objects.filter(name="lapse", proposal__in=ids)
        assert lapses.count() == 25
        assert len(set(lapses.values_list("proposal_id", flat=True))) == 25
        assert OutboxMessage.objects.filter(dedupe_key__startswith="lapsed:").count() == 25
        assert {p.state for p in type(proposals[0]).objects.filter(pk__in=ids)} == {
            ProposalState.LAPSED
        }
