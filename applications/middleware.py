"""Request-wide rules: session lifetimes and the guards on file uploads."""

import time
import types

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import ImmutableList

from .documents import GuardedMultiPartParser, SizeLimitUploadHandler

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"


def _stamp_sign_in(sender, request, user, **kwargs) -> None:
    # A fresh sign-in starts a fresh 12 hours, even when Django kept the old session's data.
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


class SessionLimitsMiddleware:
    """Signs people out after 30 minutes without a request and 12 hours after signing in,
    whatever they do in between, and ends the session of anyone deactivated on their next
    request.

    The idle limit is also the session cookie's age (SESSION_COOKIE_AGE, renewed on every
    request by SESSION_SAVE_EVERY_REQUEST), and the database session expires with it; this
    middleware checks both limits from timestamps kept in the session, so they hold even if a
    stolen cookie is replayed or another session engine is configured."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        user_logged_in.connect(_stamp_sign_in, dispatch_uid="applications.session_limits")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            last_seen_at = session.get(LAST_SEEN_AT, now)
            absolute = settings.SESSION_ABSOLUTE_LIMIT_SECONDS
            idle = settings.SESSION_IDLE_LIMIT_SECONDS
            if now - signed_in_at >= absolute or now - last_seen_at >= idle:
                logout(request)
                messages.info(request, "You were signed out to keep your account safe.")
                return redirect_to_login(request.get_full_path())
            session[LAST_SEEN_AT] = now
        elif user is not None and SESSION_KEY in request.session:
            # The session names someone who can no longer sign in (deactivated or deleted;
            # Django's backend then answers as if nobody were signed in): end it for good.
            logout(request)
            messages.info(request, "You were signed out to keep your account safe.")
        return self.get_response(request)


class UploadGuardMiddleware:
    """For multipart requests: stop reading a file once it passes the size limit, and note
    any file name that had folders or control characters in it before Django tidied it up
    (see applications.documents). Views read ``request.upload_refusals``.

    It swaps in our parser for this request only, by replacing the request's
    ``parse_file_upload`` with the same four lines Django runs, using a subclass of Django's
    MultiPartParser. It must run before anything reads request.POST (CSRF does), which it
    does: middleware ``__call__`` runs before any view processing."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.upload_refusals = []
        if request.content_type == "multipart/form-data":
            request.upload_handlers.insert(0, SizeLimitUploadHandler(request))

            def parse_file_upload(self, meta, post_data):
                self.upload_handlers = ImmutableList(
                    self.upload_handlers,
                    warning="You cannot alter upload handlers after the upload has been processed.",
                )
                parser = GuardedMultiPartParser(
                    meta, post_data, self.upload_handlers, self.encoding, request=self
                )
                return parser.parse()

            request.parse_file_upload = types.MethodType(parse_file_upload, request)
        return self.get_response(request)
