"""Structured logs: every record is one JSON object on one line, carrying the id of the
request it belongs to.

- ``JsonFormatter`` writes each record as JSON. Whatever text a person supplied (a path, a
  reason, a name) is a JSON string value, escaped by ``json.dumps`` with ``ensure_ascii``:
  newlines, quotes and Unicode line separators come out as escapes, so nobody can end a line
  early or forge a record of their own.
- ``RequestLogMiddleware`` (first in ``MIDDLEWARE``) gives each request an id (the caller's
  ``X-Request-ID`` if it is a plain token, else a new one), echoes it in the response's
  ``X-Request-ID`` header, and writes one ``request`` line when the response is ready: method,
  path, status, duration in milliseconds, user id and request id.
- Other code adds fields with ``logger.info("message", extra={"fields": {...}})``; the state
  changes of proposals are logged that way (``applications.transition_log``).
"""

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a little punctuation, as load balancers and tracing tools send them.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

request_logger = logging.getLogger("cocommissioning.requests")

# The attributes every LogRecord has; anything else was added through `extra`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "fields"}


def current_request_id() -> str | None:
    return request_id_var.get()


def _request_id_of(record: logging.LogRecord) -> str | None:
    # Django logs some responses (django.request) after the middleware has returned, with
    # the request attached to the record.
    request = getattr(record, "request", None)
    return (
        getattr(record, "request_id", None)
        or request_id_var.get()
        or getattr(request, "request_id", None)
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id_of(record),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        for key, value in record.__dict__.items():
            if key == "request":  # Django's loggers attach the request object itself
                continue
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=True, default=str)


def _request_id_from(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if VALID_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Request ids and one log line per request. First in MIDDLEWARE, so it times and
    sees everything, including responses other middleware short-circuits."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = _request_id_from(request)
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            request_logger.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": duration_ms,
                        "user_id": user_id,
                    }
                },
            )
            return response
        finally:
            request_id_var.reset(id_token)
