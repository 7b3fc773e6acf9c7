"""Whole pages kept in the cache until the data they show changes.

A page is kept under: the person asking (each person's own copy: what they may see, their
name, their actions), the URL with its query, the data version (applications.DataVersion,
bumped by the database on every committed change to what pages show), the minute (pages say
"3 days left", "Closes today at 11:59pm", "as at 14:05"), and the release (the templates,
code and static files this process serves). So a page is only ever served again to the
person it was made for, for the same data, in the same minute; any change anywhere makes
every page be built afresh.

What differs between two responses of the same page is put back each time: the CSP nonce of
the inline scripts (the middleware sends the new one in the header) and the CSRF token of
every form (one for the asking session, so a form in a kept page posts as well as a fresh
one). Nothing is kept or served while a message is waiting to be shown, and only 200s are
kept. ADR 0006 has the reasoning and the figures.
"""

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

NONCE = b"%%page-cache-nonce%%"
CSRF = b"%%page-cache-csrf%%"
CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
SECONDS = 10 * 60  # a version's pages are gone soon after the data moves on
KEPT_TYPES = ("text/html", "text/csv", "application/json")
# Each process also keeps the pages it served last, so a big page (a 60-item agenda is
# 200 KB) is not fetched from the shared cache for every request. Safe for the same reason
# the shared copy is: the key names the data version.
LOCAL_PAGES = 64


class _Recent:
    """The last few kept pages of this process, newest last. Locked: a threaded server
    (runserver, gthread workers) serves requests side by side in one process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pages: OrderedDict[str, dict] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self.lock:
            kept = self.pages.get(key)
            if kept is not None:
                self.pages.move_to_end(key)
            return kept

    def put(self, key: str, kept: dict) -> None:
        with self.lock:
            self.pages[key] = kept
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()


recent = _Recent(LOCAL_PAGES)


def data_version() -> int | None:
    """The current data version: one read of one row (None if the row is missing, as after
    a test database is flushed: then nothing is kept or served until a change recreates
    it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM applications_dataversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


@lru_cache(maxsize=1)
def release() -> str:
    """What this process serves: its templates, Python code and static files manifest. A
    deployment that changes any of them starts with an empty page cache."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    files = [*base.glob("templates/**/*.html")]
    for package in ("applications", "approvals", "uptake", "cocommissioning"):
        files += base.glob(f"{package}/**/*.py")
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        files.append(manifest)
    for path in sorted(files):
        name = path.relative_to(base) if path.is_relative_to(base) else path.name
        digest.update(str(name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(request: HttpRequest, timeless: bool) -> str | None:
    version = data_version()
    if version is None:
        return None
    user = request.user
    who = f"u{user.pk}" if user.is_authenticated else "anonymous"
    minute = "-" if timeless else timezone.now().strftime("%Y%m%d%H%M")
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"page:{release()}:{version}:{minute}:{who}:{path}"


def _messages_waiting(request: HttpRequest) -> bool:
    # len() reads the stored messages without marking them seen.
    return len(messages.get_messages(request)) > 0


def _fill(body: bytes, request: HttpRequest) -> bytes:
    if NONCE in body:
        body = body.replace(NONCE, str(request.csp_nonce).encode())
    if CSRF in body:
        body = body.replace(CSRF, get_token(request).encode())
    return body


def _keepable(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "")
    return (
        response.status_code == 200
        and not response.streaming
        and content_type.startswith(KEPT_TYPES)
        and not response.cookies
    )


def _from_kept(request: HttpRequest, kept: dict) -> HttpResponse:
    headers = dict(kept["headers"])
    etag = headers.get("ETag")
    modified = parse_http_date_safe(headers.get("Last-Modified", ""))
    if etag or modified:
        not_modified = get_conditional_response(request, etag=etag, last_modified=modified)
        if not_modified is not None:
            for name in ("ETag", "Last-Modified", "Cache-Control"):
                if name in headers:
                    not_modified[name] = headers[name]
            not_modified._csp_exempt = True  # keep the policy the browser's copy came with
            not_modified.page_cache_hit = True
            return not_modified
    response = HttpResponse(_fill(kept["body"], request), status=200)
    for name, value in headers.items():
        response[name] = value
    response.page_cache_hit = True
    return response


def cached_page(
    view: Callable[..., HttpResponse] | None = None, *, timeless: bool = False
) -> Callable[..., HttpResponse]:
    """Serve the page from the cache when nothing it shows can have changed. Put it inside
    the sign-in and method decorators: it never decides who may see a page, it only hands a
    person back the page they were given a moment ago. ``timeless=True`` for a page that shows
    nothing of the clock (the register): kept across minutes, until the data changes."""
    if view is None:
        return lambda view: cached_page(view, timeless=timeless)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            not settings.PAGE_CACHE
            or request.method not in ("GET", "HEAD")
            or _messages_waiting(request)
        ):
            response = view(request, *args, **kwargs)
            response.page_cache_hit = False
            return response
        key = _key(request, timeless)
        kept = None
        if key:
            kept = recent.get(key)
            if kept is None:
                kept = cache.get(key)
                if kept is not None:
                    recent.put(key, kept)
        if kept is not None:
            return _from_kept(request, kept)
        response = view(request, *args, **kwargs)
        if key and _keepable(response) and not _messages_waiting(request):
            body = response.content
            nonce = getattr(request, "_csp_nonce", None)
            if isinstance(nonce, str):
                body = body.replace(nonce.encode(), NONCE)
            body = CSRF_INPUT.sub(rb"\g<1>" + CSRF + rb"\g<2>", body)
            # Content-Length, if a view set one, would not fit the filled-in body.
            headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
            kept = {"body": body, "headers": headers}
            cache.set(key, kept, SECONDS)
            recent.put(key, kept)
        response.page_cache_hit = False
        return response

    return wrapper
