"""Sessions end after 30 minutes without a request and 12 hours after signing in, however
busy the person is."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.factories import ccg_staff, london

pytestmark = pytest.mark.django_db

MORNING = london(2015, 1, 2, 8)
PASSWORD = "correct horse battery staple"


def is_signed_in(client) -> bool:
    response = client.get(reverse("ccg_start"))
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    return False


def test_thirty_minutes_without_a_request_signs_you_out(client, ccg):
    with time_machine.travel(MORNING, tick=False) as traveller:
        ccg_staff(ccg, username="priya")
        client.post(reverse("login"), {"username": "priya", "password": PASSWORD})
        traveller.shift(dt.timedelta(minutes=29))
        assert is_signed_in(client)
        traveller.shift(dt.timedelta(minutes=29))  # 29 minutes after the last request
        assert is_signed_in(client)
        traveller.shift(dt.timedelta(minutes=30))
        assert not is_signed_in(client)
        assert "_auth_user_id" not in client.session


def test_twelve_hours_after_signing_in_you_are_signed_out_however_busy(client, ccg):
    with time_machine.travel(MORNING, tick=False) as traveller:
        ccg_staff(ccg, username="priya")
        client.post(reverse("login"), {"username": "priya", "password": PASSWORD})
        for _ in range(12 * 3 - 1):  # a request every 20 minutes for 11h40m
            traveller.shift(dt.timedelta(minutes=20))
            assert is_signed_in(client)
        traveller.shift(dt.timedelta(minutes=20))  # 12 hours after signing in
        response = client.get(reverse("ccg_start"), follow=True)
        assert response.redirect_chain[0][0].startswith(reverse("login"))
        assert "You were signed out to keep your account safe." in response.content.decode()
        # Signing in again starts a new 12 hours.
        client.post(reverse("login"), {"username": "priya", "password": PASSWORD})
        traveller.shift(dt.timedelta(minutes=20))
        assert is_signed_in(client)


def test_the_limits_hold_even_while_the_session_itself_would_last_longer(client, ccg, settings):
    """The middleware checks the session's own timestamps, so the limits hold even if
    sessions were kept longer (another engine, a changed cookie age, a replayed cookie)."""
    settings.SESSION_COOKIE_AGE = 7 * 24 * 60 * 60
    with time_machine.travel(MORNING, tick=False) as traveller:
        ccg_staff(ccg, username="priya")
        client.post(reverse("login"), {"username": "priya", "password": PASSWORD})
        traveller.shift(dt.timedelta(minutes=29))
        assert is_signed_in(client)
        traveller.shift(dt.timedelta(minutes=31))
        assert not is_signed_in(client)
