import pytest
from django.urls import reverse

from tests.factories import ccg_staff, national_admin

pytestmark = pytest.mark.django_db


def test_the_home_page_invites_people_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Primary care co-commissioning" in page
    assert reverse("login") in page


def test_signing_in_shows_who_and_in_which_role(client, ccg):
    staff = ccg_staff(ccg, username="priya", first_name="Priya", last_name="Shah")
    response = client.post(
        reverse("login"),
        {"username": "priya", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.context["user"] == staff
    assert "Signed in as Priya Shah (role: CCG staff)" in response.content.decode()


def test_a_wrong_password_is_refused_with_a_message_and_keeps_the_username(client, ccg):
    ccg_staff(ccg, username="priya")
    response = client.post(reverse("login"), {"username": "priya", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'value="priya"' in page
    assert "_auth_user_id" not in client.session


def test_health_check_reaches_the_database(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


def test_the_admin_shows_the_audit_trail_read_only(client, ccg, cycle, actors):
    from applications.services import create_proposal

    proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=actors["lead_ccg_staff"])
    admin = national_admin(is_staff=True, is_superuser=True)
    client.force_login(admin)
    row = proposal.transitions.get()
    listing = client.get(reverse("admin:applications_proposaltransition_changelist"))
    assert listing.status_code == 200
    assert proposal.reference in listing.content.decode()
    detail = client.get(reverse("admin:applications_proposaltransition_change", args=[row.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert (
        client.post(
            reverse("admin:applications_proposaltransition_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:applications_proposaltransition_add")).status_code == 403
    assert proposal.transitions.count() == 1


def test_the_admin_edits_deadlines_and_the_special_measures_flag(client, ccg, cycle):
    admin = national_admin(is_staff=True, is_superuser=True)
    client.force_login(admin)
    for name in ["cycle", "deadline", "ccg", "areateam", "region", "proposal", "user"]:
        assert client.get(reverse(f"admin:applications_{name}_changelist")).status_code == 200
    deadline = cycle.deadlines.get(event="proposals_due", model="delegated")
    page = client.get(reverse("admin:applications_deadline_change", args=[deadline.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("admin:applications_deadline_change", args=[deadline.pk]),
        {
            "cycle": cycle.pk,
            "event": "proposals_due",
            "model": "delegated",
            "due_at_0": "09/01/2015",
            "due_at_1": "17:00:00",
            "description": "Moved after the 2014 Christmas break",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deadline.refresh_from_db()
    from tests.factories import london

    assert deadline.due_at == london(2015, 1, 9, 17)
    response = client.post(
        reverse("admin:applications_ccg_change", args=[ccg.pk]),
        {"in_special_measures": "on", "special_measures_note": "Governance review 2014"},
    )
    assert response.status_code == 302
    ccg.refresh_from_db()
    assert ccg.in_special_measures


def test_the_admin_shows_upcoming_deadlines_the_last_sweep_and_failures(client, cycle):
    import time_machine

    from applications.deadlines import run_sweep
    from applications.models import OutboxMessage
    from tests.factories import london

    with time_machine.travel(london(2015, 1, 10, 9), tick=False):
        run = run_sweep()
    OutboxMessage.objects.create(
        kind="email",
        dedupe_key="submitted:1:2",
        payload={},
        attempts=3,
        last_error="SMTPServerDisconnected: gone",
    )
    client.force_login(national_admin(is_staff=True, is_superuser=True))
    with time_machine.travel(london(2015, 1, 10, 9, 5), tick=False):
        page = client.get(reverse("admin:applications_sweeprun_changelist")).content.decode()
    assert "Last sweep started 10 January 2015, 09:00" in page
    assert "30 January 2015, 23:59" in page  # the joint deadline is next
    assert "5 January 2015" not in page  # passed deadlines are not listed as upcoming
    assert "SMTPServerDisconnected: gone" in page
    assert "Emails waiting in the outbox: 1." in page
    assert run.pk
