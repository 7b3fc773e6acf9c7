"""Security headers on a sample of real pages (anonymous and signed in), no caching of
signed-in pages, and a forced error that shows no traceback. HSTS and secure cookies are
production-only: see test_production.py."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ccg_staff, national_admin

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert re.fullmatch(r"[A-Za-z0-9._:-]+", response["X-Request-ID"])


def inline_script_nonces(html: str) -> list[str]:
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    return [(re.search(r'nonce="([^"]*)"', attributes) or [None, ""])[1] for attributes in scripts]


@pytest.fixture
def ccg_user(ccg):
    return ccg_staff(ccg, username="priya")


@pytest.mark.parametrize("path", ["/", "/sign-in/", "/admin/login/", "/healthz"])
def test_anonymous_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_security_headers(response)


def test_signed_in_pages_carry_the_headers_and_are_never_cached(client, ccg_user):
    client.force_login(ccg_user)
    for name in ["home", "ccg_start", "proposal_list"]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert_security_headers(response)
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache_control, (name, cache_control)
        assert "public" not in cache_control


def test_the_admin_signed_in_is_never_cached(client):
    client.force_login(national_admin(is_staff=True, is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_static_files_stay_cacheable_for_everyone(client, ccg_user):
    client.force_login(ccg_user)
    response = client.get("/static/nhsuk/nhsuk-frontend.min.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_each_inline_script_carries_this_responses_nonce(client):
    first, second = client.get("/"), client.get("/")
    nonces = []
    for response in (first, second):
        html = response.content.decode()
        found = inline_script_nonces(html)
        assert len(found) == 2, found  # the NHS.UK body snippet and the initAll() module
        assert len(set(found)) == 1 and found[0]
        assert f"'nonce-{found[0]}'" in response["Content-Security-Policy"]
        nonces.append(found[0])
    assert nonces[0] != nonces[1], "a nonce must be new on every response"


def test_documents_keep_their_own_stricter_policy(settings):
    """django-csp leaves a policy a view set itself alone (document downloads set
    `default-src 'none'; sandbox`)."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    response = HttpResponse(b"%PDF-")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    CSPMiddleware(lambda request: response).process_response(RequestFactory().get("/"), response)
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.urls("tests.security.urls_raising")
def test_a_forced_error_shows_the_error_page_and_no_traceback(ccg_user):
    from tests.security.urls_raising import SECRET_DETAIL

    client = Client(raise_request_exception=False)
    client.force_login(ccg_user)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    for leak in ("Traceback", "RuntimeError", SECRET_DETAIL, "urls_raising", "settings"):
        assert leak not in html, leak
    assert_security_headers(response)
    assert "no-store" in response["Cache-Control"]
