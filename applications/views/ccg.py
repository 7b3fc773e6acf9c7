"""The CCG's own pages: its start page and starting a proposal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import selectors, services
from ..errors import ProposalError
from ..forms import MODEL_HINTS, StartProposalForm
from ..page_cache import cached_page
from .common import page_title, require_ccg_staff


@login_required
@require_GET
@cached_page
def ccg_start(request: HttpRequest) -> HttpResponse:
    require_ccg_staff(request)
    return render(request, "applications/ccg_start.html", selectors.ccg_start(request.user))


@login_required
@require_http_methods(["GET", "POST"])
def proposal_start(request: HttpRequest) -> HttpResponse:
    require_ccg_staff(request)
    cycles = selectors.cycles_with_deadlines()
    open_cycles = selectors.open_cycles(cycles)
    form = StartProposalForm(request.POST if request.method == "POST" else None, cycles=open_cycles)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.create_proposal(
                ccg=request.user.ccg,
                cycle=form.cleaned_data["cycle"],
                model=form.cleaned_data["model"],
                by=request.user,
            )
        except ProposalError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Proposal {proposal.reference} started.")
            return redirect("proposal_overview", reference=proposal.reference)
    return render(
        request,
        "applications/proposal_start.html",
        {
            "form": form,
            "title": page_title("Start a proposal", form),
            "model_hints": MODEL_HINTS,
            "cycles": [{"cycle": c, "deadlines": selectors.deadline_rows(c)} for c in open_cycles],
        },
    )
