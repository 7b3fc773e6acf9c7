"""Sign-in with a limit on failed attempts, per username and per address.

Failures are counted in the cache (Redis in production, so every web process shares them)
in a fixed window of SIGN_IN_LOCKOUT_SECONDS from the first failure. Once a username or an
address reaches its limit, every attempt is refused, right password or not, until the window
ends; the page says so in an error summary and answers 429. A correct sign-in clears the
username's count. If the cache cannot be reached the limiter lets the attempt through and
logs an error: people can still sign in with their password while Redis is repaired."""

import hashlib
import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger("applications.sign_in")

LOCKED_OUT = (
    "You have tried to sign in too many times. Wait {minutes} minutes, then try again. "
    "If you have forgotten your password, ask your organisation's administrator to reset it."
)


def client_address(request: HttpRequest) -> str:
    """The address of the person signing in: REMOTE_ADDR, or, behind N trusted proxies,
    the entry those proxies added to X-Forwarded-For (entries further left are the
    client's own word, so never trusted)."""
    hops = settings.SIGN_IN_TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    name = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    address = hashlib.sha256(client_address(request).encode()).hexdigest()
    return [
        (f"sign-in-failures:user:{name}", settings.SIGN_IN_MAX_FAILURES_PER_USERNAME),
        (f"sign-in-failures:address:{address}", settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS),
    ]


def is_locked_out(request: HttpRequest, username: str) -> bool:
    try:
        counts = cache.get_many([key for key, _ in _keys(request, username)])
    except Exception:  # a cache outage must not stop people signing in
        logger.exception("sign-in limiter: cache unavailable")
        return False
    return any(counts.get(key, 0) >= limit for key, limit in _keys(request, username))


def record_failure(request: HttpRequest, username: str) -> None:
    window = settings.SIGN_IN_LOCKOUT_SECONDS
    try:
        for key, _ in _keys(request, username):
            cache.add(key, 0, timeout=window)  # starts the window at the first failure
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=window)
    except Exception:  # a cache outage must not stop people signing in
        logger.exception("sign-in limiter: cache unavailable")


def clear_username(request: HttpRequest, username: str) -> None:
    try:
        cache.delete(_keys(request, username)[0][0])
    except Exception:  # a cache outage must not stop people signing in
        logger.exception("sign-in limiter: cache unavailable")


class SignInLimitMixin:
    """For AuthenticationForm and its subclasses (the admin's too)."""

    locked_out = False

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if self.request is not None and is_locked_out(self.request, username):
            self.locked_out = True
            logger.warning("sign-in refused: too many failed attempts")
            raise forms.ValidationError(
                LOCKED_OUT.format(minutes=settings.SIGN_IN_LOCKOUT_SECONDS // 60),
                code="locked_out",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self.request is not None:
                record_failure(self.request, username)
            logger.info("sign-in failed")
            raise
        if self.request is not None:
            clear_username(self.request, username)
        return cleaned


class LimitedAuthenticationForm(SignInLimitMixin, AuthenticationForm):
    pass


class LimitedAdminAuthenticationForm(SignInLimitMixin, AdminAuthenticationForm):
    pass


class SignInView(LoginView):
    """Django's LoginView with the limited form; a refused attempt answers 429."""

    authentication_form = LimitedAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "locked_out", False):
            response.status_code = 429
        return response
