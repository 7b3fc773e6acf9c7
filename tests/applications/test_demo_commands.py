from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from applications.models import Cycle, User
from tests.factories import london

pytestmark = pytest.mark.django_db


def test_the_demo_cycle_is_open_today_and_added_once(settings):
    settings.DEBUG = True
    with time_machine.travel(london(2026, 11, 29, 12), tick=False):
        call_command("open_demo_cycle", stdout=StringIO())
        call_command("open_demo_cycle", stdout=StringIO())
        cycle = Cycle.objects.get()
        assert cycle.name == "2027/28"
        due = cycle.deadline("proposals_due", "delegated")
        assert not due.has_passed
        assert cycle.deadline("go_live").due_at == london(2027, 4, 1)
        assert cycle.deadlines.count() == 4


def test_demo_commands_refuse_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("open_demo_cycle", stdout=StringIO())
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo_users", stdout=StringIO())
    assert not Cycle.objects.exists()
    assert not User.objects.exists()


def test_one_demo_user_per_role(settings):
    settings.DEBUG = True
    call_command("load_reference_data", stdout=StringIO())
    out = StringIO()
    call_command("load_demo_users", stdout=out)
    call_command("load_demo_users", stdout=StringIO())
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {
        "ccg_staff",
        "area_team",
        "regional_reviewer",
        "committee_secretary",
        "national_admin",
    }
    assert User.objects.get(username="ccg.nottingham").ccg.ods_code == "04K"
    assert "password for all" in out.getvalue()
