"""Reading a proposal: the list, the proposal page (a task list for the lead CCG while it
holds the pen, a summary for everyone else), comments, version comparisons, confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import actions, selectors
from ..errors import ProposalError
from ..forms import CommentForm
from ..models import ProposalState
from ..page_cache import cached_page
from ..permissions import is_lead_ccg_staff
from .common import back_to_overview, page_title, proposal_or_404


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "applications/proposal_list.html",
        {"proposals": selectors.proposal_list(request.user)},
    )


def _overview_context(request: HttpRequest, proposal, comment_form=None) -> dict:
    user = request.user
    data = selectors.overview(proposal)
    lead = is_lead_ccg_staff(proposal, user)
    editable = selectors.is_editable(proposal)
    link = next((p for p in data.partners if p.ccg_id == getattr(user, "ccg_id", None)), None)
    context = {
        "proposal": proposal,
        "overview": data,
        "is_lead": lead,
        "editable": editable,
        "partner_link": link if not lead else None,
        "can_withdraw": lead and selectors.is_withdrawable(proposal),
        "can_comment": actions.can_comment(proposal, user),
        "comment_form": comment_form or CommentForm(),
        "sections": selectors.answers_by_section(proposal),
        "deadline": proposal.submission_deadline,
        "deadline_left": (
            selectors.time_left(proposal.submission_deadline.due_at)
            if proposal.submission_deadline
            else None
        ),
        "changes_requested": proposal.state == ProposalState.CHANGES_REQUESTED,
        "confirmed": selectors.can_see_confirmation(proposal, user),
    }
    if lead and editable:
        context["tasks"] = selectors.task_list(proposal, data.partners, data.documents)
    context["title"] = page_title(f"{proposal.reference}: {proposal.ccg}", comment_form)
    return context


@login_required
@require_GET
@cached_page
def proposal_overview(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    return render(
        request, "applications/proposal_overview.html", _overview_context(request, proposal)
    )


@login_required
@require_POST
def proposal_comment(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    if not actions.can_comment(proposal, request.user):
        raise PermissionDenied("You cannot comment on this proposal.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            actions.add_comment(proposal=proposal, by=request.user, text=form.cleaned_data["text"])
        except ProposalError as error:
            form.add_error("text", error.message)
        else:
            messages.success(request, "Your comment was added.")
            url = reverse("proposal_overview", kwargs={"reference": proposal.reference})
            return redirect(f"{url}#comments")
    return render(
        request,
        "applications/proposal_overview.html",
        _overview_context(request, proposal, comment_form=form),
    )


@login_required
@require_GET
def proposal_changes(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    snapshots, comparisons = selectors.version_comparisons(proposal)
    return render(
        request,
        "applications/proposal_changes.html",
        {"proposal": proposal, "snapshots": snapshots, "comparisons": comparisons},
    )


@login_required
@require_GET
def proposal_confirmation(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    if not is_lead_ccg_staff(proposal, request.user):
        raise PermissionDenied("Only the lead CCG's staff see this page.")
    if not selectors.can_see_confirmation(proposal, request.user):
        return back_to_overview(request, proposal)
    return render(
        request,
        "applications/proposal_confirmation.html",
        {"proposal": proposal, "title": page_title("Proposal submitted")},
    )
