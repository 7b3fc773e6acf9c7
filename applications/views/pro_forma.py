"""Filling in and sending the pro forma: sections, partners, check your answers and submit,
a partner's agreement, withdrawal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .. import actions, pro_forma, selectors
from ..documents import REQUIRED_DOCUMENTS
from ..errors import ProposalChanged, ProposalError, TransitionRefused
from ..forms import (
    SECTION_FORMS,
    PartnerAgreementForm,
    PartnersForm,
    SubmitForm,
    WithdrawForm,
)
from ..models import CommissioningModel, ProposalState
from ..pro_forma import DELEGABLE_FUNCTIONS, NON_DELEGABLE_FUNCTIONS
from .common import (
    back_to_overview,
    not_editable_message,
    page_title,
    proposal_or_404,
    require_lead,
)

CHECK = "check"


def _return_to(request: HttpRequest, proposal) -> str:
    """Where a saved section goes next: back to check your answers if it came from there,
    otherwise the task list. Only these two: a 'next' URL from the request is never used."""
    if request.GET.get("from") == CHECK or request.POST.get("from") == CHECK:
        return reverse("proposal_check", kwargs={"reference": proposal.reference})
    return reverse("proposal_overview", kwargs={"reference": proposal.reference})


@login_required
@require_http_methods(["GET", "POST"])
def proposal_section(request: HttpRequest, reference: str, section: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    require_lead(request, proposal)
    sections = {s.key: s for s in pro_forma.sections_for(proposal.model)}
    if section not in sections:
        raise Http404("No such section")
    if not selectors.is_editable(proposal):
        return back_to_overview(request, proposal, not_editable_message(proposal))
    form_class = SECTION_FORMS[section]
    saved = proposal.pro_forma.get(section) or {}
    digest = actions.section_digest(saved)
    if request.method == "POST":
        as_draft = request.POST.get("action") == "draft"
        form = form_class(request.POST, proposal=proposal, complete=not as_draft)
        if form.is_valid():
            try:
                actions.save_section(
                    proposal=proposal,
                    section=section,
                    answers=form.to_answers(),
                    by=request.user,
                    loaded_digest=request.POST.get("loaded") or None,
                )
            except ProposalChanged as changed:
                # What they typed stays on the page; the next save is against what is saved now.
                form.add_error(None, changed.message)
            except ProposalError as error:
                return back_to_overview(request, proposal, error.message)
            else:
                title = sections[section].title
                if as_draft:
                    messages.success(
                        request, f"'{title}' saved as a draft. You can come back to finish it."
                    )
                else:
                    messages.success(request, f"'{title}' saved.")
                return redirect(_return_to(request, proposal))
    else:
        form = form_class(initial=form_class.initial_from(saved), proposal=proposal)
    return render(
        request,
        "applications/proposal_section.html",
        {
            "proposal": proposal,
            "section": sections[section],
            "form": form,
            "loaded": digest,
            "from_check": request.GET.get("from") == CHECK or request.POST.get("from") == CHECK,
            "title": page_title(sections[section].title, form),
            "delegable": DELEGABLE_FUNCTIONS,
            "non_delegable": NON_DELEGABLE_FUNCTIONS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_partners(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    require_lead(request, proposal)
    if proposal.model != CommissioningModel.JOINT:
        raise Http404("Only joint proposals have partners")
    if not selectors.is_editable(proposal):
        return back_to_overview(request, proposal, not_editable_message(proposal))
    current = list(proposal.partner_links.select_related("ccg").order_by("ccg__name"))
    form = PartnersForm(
        request.POST if request.method == "POST" else None,
        proposal=proposal,
        initial={"partners": [link.ccg_id for link in current]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_partners(
                proposal=proposal, partners=form.cleaned_data["partners"], by=request.user
            )
        except ProposalError as error:
            form.add_error("partners", error.message)
        else:
            messages.success(request, "Partner CCGs saved.")
            return redirect(_return_to(request, proposal))
    return render(
        request,
        "applications/proposal_partners.html",
        {
            "proposal": proposal,
            "form": form,
            "current": current,
            "from_check": request.GET.get("from") == CHECK,
            "title": page_title("Partner CCGs", form),
        },
    )


def _check_context(request: HttpRequest, proposal, form) -> dict:
    data = selectors.overview(proposal)
    return {
        "proposal": proposal,
        "form": form,
        "overview": data,
        "sections": selectors.answers_by_section(proposal),
        "problems": selectors.problems_before_submission(proposal, data.partners, data.documents),
        "has_documents": bool(REQUIRED_DOCUMENTS.get(proposal.model)),
        "resubmission": proposal.state == ProposalState.CHANGES_REQUESTED,
        "greater_involvement": proposal.model == CommissioningModel.GREATER_INVOLVEMENT,
        "deadline": proposal.submission_deadline,
        "title": page_title("Check your answers before submitting", form),
    }


@login_required
@require_http_methods(["GET", "POST"])
def proposal_check(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    require_lead(request, proposal)
    resubmission = proposal.state == ProposalState.CHANGES_REQUESTED
    if request.method == "GET" and not selectors.is_editable(proposal):
        return back_to_overview(request, proposal, not_editable_message(proposal))
    form = SubmitForm(
        request.POST if request.method == "POST" else None,
        resubmission=resubmission,
        initial={"version": proposal.version},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                result = actions.submit(
                    proposal=proposal,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    summary_of_changes=form.cleaned_data.get("summary_of_changes", ""),
                )
            except TransitionRefused as refused:
                for reason in refused.unmet or [refused.message]:
                    form.add_error(None, reason)
            except ProposalError as error:
                form.add_error(None, error.message)
            else:
                return redirect("proposal_confirmation", reference=result.proposal.reference)
        if not selectors.is_editable(proposal):
            # A stale page posted after the proposal moved on (and not a replay of the
            # submission that moved it): say so on the proposal page.
            message = next(iter(form.non_field_errors()), None)
            return back_to_overview(request, proposal, message or not_editable_message(proposal))
        # Show the version now saved, so a second try is against what they can see.
        form.data = form.data.copy()
        form.data["version"] = proposal.version
    return render(
        request, "applications/proposal_check.html", _check_context(request, proposal, form)
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_agreement(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    link = selectors.partner_link_for(proposal, request.user)
    if link is None:
        raise PermissionDenied("Only a partner CCG's staff confirm its agreement.")
    if link.agreed_at is not None:
        return back_to_overview(
            request, proposal, f"{link.ccg.name} has already confirmed its agreement."
        )
    if not selectors.is_editable(proposal):
        return back_to_overview(request, proposal, not_editable_message(proposal))
    form = PartnerAgreementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_agreement(
                proposal=proposal,
                partner=link.ccg,
                by=request.user,
                governing_body_agreed_on=form.cleaned_data["governing_body_agreed_on"],
            )
        except ProposalError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"You confirmed {link.ccg.name}'s agreement to join {proposal.reference}."
            )
            return redirect("proposal_overview", reference=proposal.reference)
    return render(
        request,
        "applications/proposal_agreement.html",
        {
            "proposal": proposal,
            "link": link,
            "form": form,
            "sections": selectors.answers_by_section(proposal),
            "title": page_title("Confirm your governing body's agreement", form),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    require_lead(request, proposal)
    if proposal.state == ProposalState.WITHDRAWN and request.method == "POST":
        return back_to_overview(request, proposal)  # a replayed request: already done
    if not selectors.is_withdrawable(proposal):
        return back_to_overview(
            request,
            proposal,
            f"{proposal.reference} is {proposal.get_state_display().lower()}, "
            "so it can no longer be withdrawn.",
        )
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.withdraw(proposal=proposal, by=request.user, reason=form.cleaned_data["reason"])
        except ProposalError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{proposal.reference} has been withdrawn.")
            return redirect("proposal_overview", reference=proposal.reference)
    return render(
        request,
        "applications/proposal_withdraw.html",
        {"proposal": proposal, "form": form, "title": page_title("Withdraw the proposal", form)},
    )
