"""Production settings, run as production runs them, in a subprocess: Django's deployment
checks pass at WARNING with nothing silenced, and a sample of real pages carries HSTS, the
other security headers, secure cookies and no caching for signed-in pages."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import ccg_staff

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    db = connection.settings_dict
    # Only what a deployment sets: nothing DJANGO_* of the test run (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE, which the deployment checks rightly refuse).
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "cocommissioning.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "testserver,co-commissioning.england.nhs.uk",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_CACHE_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"),
    }
    env.update(overrides)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_check_deploy_passes_with_nothing_silenced(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.django_db
def test_check_deploy_would_catch_a_weakened_setting(tmp_path):
    """The check is not vacuous: without HSTS it fails."""
    result = check_deploy(production_env(tmp_path, DJANGO_SECURE_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    env.pop("DJANGO_SECRET_KEY")
    result = check_deploy(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.fixture
def probe(transactional_db, tmp_path, ccg):
    """What the production app answers, from a subprocess reading the test database."""
    user = ccg_staff(ccg, username="priya.production")
    password = secrets.token_urlsafe(16)
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.production_probe", user.username, password],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout), result.stderr


def test_production_pages_headers_cookies_and_logs(probe):
    """One subprocess (it builds the static manifest first), four checks."""
    pages, stderr = probe
    check_headers(pages)
    check_cookies(pages)
    check_logs(stderr)
    check_static_and_templates(pages)


def check_static_and_templates(pages: dict) -> None:
    """Static files have content-hashed names, are sent compressed when the browser can
    take it, and may be kept by any cache for a year; templates are compiled once per
    process (the cached loader)."""
    url = pages["static css url"]["url"]
    assert re.search(r"\.[0-9a-f]{12}\.css$", url), url
    plain = pages["static css plain"]
    assert plain["status"] == 200 and "Content-Encoding" not in plain["headers"]
    for encoding in ("br", "gzip"):
        page = pages[f"static css {encoding}"]
        assert page["status"] == 200
        assert page["headers"]["Content-Encoding"] == encoding
        assert page["bytes"] < plain["bytes"] / 3, (encoding, page["bytes"], plain["bytes"])
        cache_control = page["headers"]["Cache-Control"]
        assert "max-age=315360000" in cache_control and "immutable" in cache_control
        assert "public" in cache_control
        assert "Accept-Encoding" in page["headers"]["Vary"]
    assert pages["template loaders"]["loaders"] == ["django.template.loaders.cached.Loader"]


def check_headers(pages: dict) -> None:
    assert pages["http /"]["status"] == 301
    assert pages["http /"]["headers"]["Location"] == "https://testserver/"
    for name in ("/", "/sign-in/", "/admin/login/", "/ (signed in)", "/ccg/", "sign in"):
        page = pages[name]
        headers = page["headers"]
        assert page["status"] in (200, 302), (name, page["status"])
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        ), name
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp, name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["X-Frame-Options"] == "DENY", name
    for name in ("/ (signed in)", "/ccg/", "sign in"):
        cache_control = pages[name]["headers"]["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, name
    assert pages["/ccg/"]["status"] == 200


def check_cookies(pages: dict) -> None:
    signed_in = pages["sign in"]
    assert signed_in["status"] == 302
    session = signed_in["cookies"]["sessionid"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}
    csrf = pages["/sign-in/"]["cookies"]["csrftoken"]
    assert csrf == {"secure": True, "httponly": True, "samesite": "Lax"}


def check_logs(stderr: str) -> None:
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "cocommissioning.requests"]
    assert len(requests) == 12  # every request the probe made
    paths = {line["path"] for line in requests}
    assert {p for p in paths if not p.startswith("/static/")} == {
        "/",
        "/sign-in/",
        "/admin/login/",
        "/ccg/",
    }
    assert all(line["request_id"] for line in requests)
