"""Sessions and sign-in: the session key rotates at sign-in, cookies are HttpOnly and
SameSite (Secure in production: test_production.py), a deactivated person's session ends on
their next request, and failed sign-ins are limited per username and per address. The idle
and absolute limits are tested in tests/applications/test_views_sessions.py."""

import datetime as dt
import logging

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import ccg_staff, london, national_admin

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
MORNING = london(2015, 1, 2, 8)
LOCKED = "You have tried to sign in too many times. Wait 15 minutes, then try again."


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def is_signed_in(client) -> bool:
    response = client.get(reverse("ccg_start"))
    return response.status_code == 200


@pytest.fixture
def priya(ccg):
    return ccg_staff(ccg, username="priya")


def test_the_session_key_rotates_at_sign_in(client, priya):
    session = client.session
    session["seen_start_page"] = True
    session.save()
    before = session.session_key
    assert client.cookies["sessionid"].value == before

    response = sign_in(client, "priya")

    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()[SESSION_KEY] == str(priya.pk)
    # A fixated (stolen before sign-in) key is no use afterwards.
    attacker = Client()
    attacker.cookies["sessionid"] = before
    assert attacker.get(reverse("ccg_start")).status_code == 302


def test_session_and_csrf_cookies_are_httponly_and_same_site(client, priya):
    client.get(reverse("login"))
    response = sign_in(client, "priya")
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


@pytest.mark.parametrize("next_page", ["ccg_start", "home"])
def test_a_deactivated_persons_session_ends_on_their_next_request(client, priya, next_page):
    sign_in(client, "priya")
    assert is_signed_in(client)
    key = client.cookies["sessionid"].value

    priya.is_active = False
    priya.save(update_fields=["is_active"])
    response = client.get(reverse(next_page), follow=True)

    assert response.context["user"].is_anonymous
    assert "You were signed out to keep your account safe." in response.content.decode()
    assert not Session.objects.filter(session_key=key).exists()
    assert SESSION_KEY not in client.session
    # Reactivating the account does not bring the old session back.
    priya.is_active = True
    priya.save(update_fields=["is_active"])
    assert not is_signed_in(client)


def test_wrong_passwords_lock_the_username_then_the_window_ends(client, priya):
    with time_machine.travel(MORNING, tick=False) as traveller:
        for _ in range(5):
            response = sign_in(client, "priya", "wrong password")
            assert response.status_code == 200
            assert "Please enter a correct username and password" in response.content.decode()
        # The right password is refused too while locked: guessing learns nothing.
        response = sign_in(client, "Priya", PASSWORD)
        assert response.status_code == 429
        html = response.content.decode()
        assert "There is a problem" in html and LOCKED in html
        assert "<title>Error: Sign in" in html
        assert SESSION_KEY not in client.session

        # Another person at the same address is not locked out by Priya's username.
        ccg_staff(priya.ccg, username="tom")
        assert sign_in(Client(), "tom").status_code == 302

        traveller.shift(dt.timedelta(minutes=14))
        assert sign_in(client, "priya").status_code == 429
        traveller.shift(dt.timedelta(minutes=2))
        assert sign_in(client, "priya").status_code == 302
        assert is_signed_in(client)


def test_a_successful_sign_in_clears_the_usernames_failures(client, priya):
    for _ in range(4):
        sign_in(client, "priya", "wrong password")
    assert sign_in(client, "priya").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "priya", "wrong password").status_code == 200
    assert sign_in(client, "priya").status_code == 302


def test_many_failures_from_one_address_lock_that_address(ccg):
    for n in range(4):
        ccg_staff(ccg, username=f"target{n}")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(20):  # 20 usernames, one wrong password each
        assert sign_in(attacker, f"guess{n}", "wrong").status_code == 200
    assert sign_in(attacker, "target0").status_code == 429
    # Someone else, elsewhere, signs in as usual.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), "target1").status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(ccg, settings):
    settings.SIGN_IN_TRUSTED_PROXY_HOPS = 1
    ccg_staff(ccg, username="target")
    for n in range(20):
        # The left-most entries are the client's own word and change every time; the
        # proxy's entry (right-most) is what counts.
        proxied = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9")
        assert sign_in(proxied, f"guess{n}", "wrong").status_code == 200
    locked = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9")
    assert sign_in(locked, "target").status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert sign_in(other, "target").status_code == 302


def test_the_admin_sign_in_has_the_same_limits(client):
    national_admin(username="admin", is_staff=True, is_superuser=True)
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "admin", "password": "nope"})
        assert response.status_code == 200
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_if_the_cache_is_down_people_can_still_sign_in(client, priya, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with caplog.at_level(logging.ERROR, logger="applications.sign_in"):
        assert sign_in(client, "priya", "wrong").status_code == 200
        assert sign_in(client, "priya").status_code == 302
    assert "sign-in limiter: cache unavailable" in caplog.text
