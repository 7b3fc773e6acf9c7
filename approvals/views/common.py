"""Helpers the approvals pages share: who may use a page (403), the version a page showed,
and sending people back to a page with a message."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect

from applications.models import Proposal

from .. import selectors


def require(allowed: bool, message: str = "You cannot use this page.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_committee(request: HttpRequest) -> None:
    require(
        selectors.sees_committee(request.user),
        "Only the committee secretary and the national programme team see this page.",
    )


def require_secretary(request: HttpRequest) -> None:
    require(
        selectors.is_secretary(request.user),
        "Only the Commissioning Committee secretary can do this.",
    )


def back_to_review(
    request: HttpRequest, proposal: Proposal, message: str | None = None, *, error: bool = False
) -> HttpResponseRedirect:
    if message:
        (messages.error if error else messages.success)(request, message)
    return redirect("approvals:review", reference=proposal.reference)


def back_to_meeting(
    request: HttpRequest, meeting: Any, message: str | None = None, *, error: bool = False
) -> HttpResponseRedirect:
    if message:
        (messages.error if error else messages.success)(request, message)
    return redirect("approvals:meeting", pk=meeting.pk)


def version_from(request: HttpRequest, default: int) -> int:
    """The version a link carried from the page the person saw (?version=), else now's."""
    value = request.GET.get("version", "")
    return int(value) if value.isdigit() else default


def pdf_download(file_field: Any, filename: str) -> FileResponse:
    """A stored PDF as an attachment, never cached on a shared machine."""
    try:
        handle = file_field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing") from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
