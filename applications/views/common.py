"""Helpers every proposal page uses: find the proposal through the person's scope (404 if it
is not theirs to see), then check they may do what the page does (403), then the state."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect

from .. import selectors
from ..models import Proposal, Role
from ..permissions import is_lead_ccg_staff


def proposal_or_404(request: HttpRequest, reference: str) -> Proposal:
    return selectors.proposal_for(request.user, reference)


def require_lead(request: HttpRequest, proposal: Proposal) -> None:
    if not is_lead_ccg_staff(proposal, request.user):
        raise PermissionDenied("Only the lead CCG's staff can do this.")


def require_ccg_staff(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) != Role.CCG_STAFF:
        raise PermissionDenied("Only CCG staff can do this.")


def back_to_overview(
    request: HttpRequest, proposal: Proposal, message: str | None = None
) -> HttpResponseRedirect:
    if message:
        messages.info(request, message)
    return redirect("proposal_overview", reference=proposal.reference)


def not_editable_message(proposal: Proposal) -> str:
    return (
        f"{proposal.reference} is {proposal.get_state_display().lower()}, so it cannot be changed."
    )


def page_title(title: str, form: Any = None) -> str:
    """NHS.UK pages prefix the title with 'Error: ' when the form has errors."""
    return f"Error: {title}" if form is not None and form.errors else title
