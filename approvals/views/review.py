"""Regional review: the region's queue, a proposal's review page (pro forma, documents,
history, checklist), and the actions on it, each a POST carrying the version the page
showed, so a reviewer acting on an out-of-date page is told the proposal changed."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import selectors as application_selectors
from applications.errors import ProposalChanged, ProposalError, TransitionRefused
from applications.models import CommissioningModel, ProposalState
from applications.models.proposals import REVIEWABLE_STATES
from applications.page_cache import cached_page
from applications.pagination import page_number, paginate
from applications.permissions import is_regional_reviewer
from applications.views.common import page_title

from .. import selectors, services
from ..forms import DecisionForm, DeclareInterestForm, QueueFilterForm, ReviewForm, VersionForm
from ..models import ConflictOfInterest
from .common import back_to_review, require, version_from

# -- the queue ------------------------------------------------------------------------------


@login_required
@require_GET
@cached_page
def review_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(
        selectors.is_reviewer(user) or selectors.is_national(user),
        "Only regional reviewers and the national programme team see the review queue.",
    )
    form = QueueFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    found = selectors.queue(user, filters, page_number(request.GET))
    return render(
        request,
        "approvals/queue.html",
        {
            "form": form,
            "rows": found.rows,
            "page": paginate(
                found.total, selectors.QUEUE_PAGE_SIZE, found.number, request.GET, request.path
            ),
            "filtered": any(filters.values()),
            "region": user.region if selectors.is_reviewer(user) else None,
            "title": page_title("Proposals to review", form),
        },
    )


# -- the review page ------------------------------------------------------------------------


def _review_context(request: HttpRequest, proposal, page, data, form=None) -> dict:
    if form is None and page.may_act and page.open_review is not None:
        form = ReviewForm.for_review(page.open_review, proposal.version)
    problems = services.assurance_problems(page.open_review) if page.open_review is not None else []
    return {
        "proposal": proposal,
        "page": page,
        "overview": data,
        "sections": application_selectors.answers_by_section(proposal),
        "due": selectors.relevant_deadline(proposal),
        "go_live_at": selectors.go_live_date(proposal),
        "ready_to_go_live": selectors.ready_to_go_live(proposal, page.conditions),
        "form": form,
        "problems": problems,
        "can_start": page.may_act and proposal.state in REVIEWABLE_STATES,
        "can_decide": page.may_act and page.open_review is not None,
        "is_joint": proposal.model == CommissioningModel.JOINT,
        "is_delegated": proposal.model == CommissioningModel.DELEGATED,
        "can_declare": is_regional_reviewer(proposal, request.user),
        "start_form": VersionForm(initial={"version": proposal.version}),
        "title": page_title(f"Review of {proposal.reference}: {proposal.ccg}", form),
    }


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.proposal_for_review(request.user, reference)
    require(
        selectors.sees_reviews(request.user),
        "Only NHS England reviewers, the committee secretary and the national programme team "
        "see reviews.",
    )
    data = application_selectors.overview(proposal)
    page = selectors.review_page(request.user, proposal, transitions=data.history)
    form = None
    if request.method == "POST":
        require(page.may_act, "You cannot review this proposal.")
        if page.open_review is None:
            return back_to_review(
                request,
                proposal,
                f"{proposal.reference} was changed by someone else while you were looking at "
                f"it (it is now {proposal.get_state_display().lower()}), so there is no review "
                "in progress to save. Your changes were not saved.",
                error=True,
            )
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                services.save_review(
                    review=page.open_review,
                    by=request.user,
                    answers=form.answers(),
                    expected_version=form.cleaned_data["version"],
                )
            except ProposalError as error:
                form.add_error(None, error.message)
                # Show the version now current, so a second save is against what they see.
                form.data = form.data.copy()
                form.data["version"] = proposal.version
            else:
                messages.success(request, "Your review was saved as a draft.")
                return redirect(f"{request.path}#checklist")
    return render(
        request, "approvals/review.html", _review_context(request, proposal, page, data, form)
    )


@login_required
@require_POST
def start_review(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.proposal_for_review(request.user, reference)
    require(
        is_regional_reviewer(proposal, request.user)
        and not services.has_conflict(request.user, proposal),
        "You cannot review this proposal.",
    )
    form = VersionForm(request.POST)
    if not form.is_valid():
        return back_to_review(request, proposal, "Reload the page and try again.", error=True)
    try:
        services.start_review(
            proposal=proposal, by=request.user, expected_version=form.cleaned_data["version"]
        )
    except ProposalError as error:
        return back_to_review(request, proposal, error.message, error=True)
    messages.success(request, f"You started the review of {proposal.reference}.")
    return redirect("approvals:review", reference=proposal.reference)


# -- decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewDecision:
    title: str
    button: str
    label: str
    hint: str
    required_message: str  # blank when the text is optional
    model: str  # the model it applies to, blank for both
    done: str
    warning: bool = False
    needs_assurance: bool = False


DECISIONS = {
    "request-changes": ReviewDecision(
        title="Ask the CCG for changes",
        button="Send the request for changes",
        label="What must the CCG change?",
        hint="The CCG sees this on its proposal page and in the email it is sent.",
        required_message="Enter the changes you are asking the CCG to make",
        model="",
        done="You asked {ccg} for changes to {reference}.",
    ),
    "approve": ReviewDecision(
        title="Approve the joint commissioning proposal",
        button="Approve proposal",
        label="Comments for the CCG (optional)",
        hint="The CCG sees these in the proposal's history.",
        required_message="",
        model=CommissioningModel.JOINT,
        done="You approved {reference}.",
        needs_assurance=True,
    ),
    "not-approve": ReviewDecision(
        title="Do not approve the joint commissioning proposal",
        button="Do not approve",
        label="Why is the proposal not approved?",
        hint="The CCG sees this in the proposal's history.",
        required_message="Enter the reason the proposal is not approved",
        model=CommissioningModel.JOINT,
        done="You did not approve {reference}.",
        warning=True,
    ),
    "recommend": ReviewDecision(
        title="Recommend to the Commissioning Committee",
        button="Recommend to the committee",
        label="Comments (optional)",
        hint="The CCG sees these in the proposal's history. Your recommendation and conditions "
        "from the checklist go into the committee's sign-off pack.",
        required_message="",
        model=CommissioningModel.DELEGATED,
        done="You recommended {reference} to the Commissioning Committee.",
        needs_assurance=True,
    ),
    "not-recommend": ReviewDecision(
        title="Do not recommend to the Commissioning Committee",
        button="Do not recommend",
        label="Why do you not recommend it?",
        hint="The CCG and the committee see this.",
        required_message="Enter why you do not recommend it",
        model=CommissioningModel.DELEGATED,
        done="You did not recommend {reference}. It goes to the committee with your reasons.",
        warning=True,
    ),
}


def _apply(action: str, proposal, by, text: str, version: int):
    if action == "request-changes":
        return services.request_changes(
            proposal=proposal, by=by, comments=text, expected_version=version
        )
    if action == "approve":
        return services.approve_joint_proposal(
            proposal=proposal, by=by, comments=text, expected_version=version
        )
    if action == "not-approve":
        return services.not_approve_proposal(
            proposal=proposal, by=by, reason=text, expected_version=version
        )
    return services.recommend_to_committee(
        proposal=proposal,
        by=by,
        recommend=action == "recommend",
        comments=text,
        expected_version=version,
    )


@login_required
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """The confirmation page of a review decision, and the decision itself."""
    proposal = selectors.proposal_for_review(request.user, reference)
    decision = DECISIONS.get(action)
    if decision is None or (decision.model and decision.model != proposal.model):
        raise Http404("No such decision for this proposal")
    require(selectors.sees_reviews(request.user), "You cannot review this proposal.")
    page = selectors.review_page(request.user, proposal)
    require(page.may_act, "You cannot review this proposal.")
    review_now = page.open_review
    # A POST goes to the service even so: it compares the version the page showed and says
    # "changed" to a page that went out of date. A GET of a page with nothing to decide goes
    # back to the review.
    if request.method == "GET" and (
        proposal.state != ProposalState.UNDER_REVIEW or review_now is None
    ):
        return back_to_review(
            request,
            proposal,
            f"{proposal.reference} is {proposal.get_state_display().lower()}: there is no "
            "review in progress to decide.",
            error=True,
        )
    options = {
        "label": decision.label,
        "hint": decision.hint,
        "required_message": decision.required_message,
    }
    if request.method == "POST":
        form = DecisionForm(request.POST, **options)
        if form.is_valid():
            try:
                _apply(
                    action,
                    proposal,
                    request.user,
                    form.cleaned_data.get("text") or "",
                    form.cleaned_data["version"],
                )
            except ProposalChanged as changed:
                # The page they decided from is out of date: show them the proposal as it is.
                return back_to_review(request, proposal, changed.message, error=True)
            except TransitionRefused as refused:
                for reason in refused.unmet or [refused.message]:
                    form.add_error(None, reason)
            except ProposalError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    decision.done.format(ccg=proposal.ccg.name, reference=proposal.reference),
                )
                return redirect("approvals:review", reference=proposal.reference)
    else:
        initial = {"version": version_from(request, proposal.version)}
        if action == "request-changes" and review_now.comments:  # GET: review_now is set
            initial["text"] = review_now.comments
        form = DecisionForm(initial=initial, **options)
    problems = (
        services.assurance_problems(review_now)
        if decision.needs_assurance and review_now is not None
        else []
    )
    return render(
        request,
        "approvals/decide.html",
        {
            "proposal": proposal,
            "decision": decision,
            "review": review_now,
            "problems": problems,
            "form": form,
            "title": page_title(decision.title, form),
        },
    )


# -- conflicts of interest ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def declare_interest(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.proposal_for_review(request.user, reference)
    require(
        is_regional_reviewer(proposal, request.user),
        "Only the region's reviewers declare interests here.",
    )
    ccgs = [proposal.ccg, *(p.ccg for p in proposal.partner_links.select_related("ccg"))]
    declared = set(
        ConflictOfInterest.objects.filter(
            reviewer=request.user, ended_at__isnull=True, ccg__in=ccgs
        ).values_list("ccg_id", flat=True)
    )
    open_ccgs = [c for c in ccgs if c.pk not in declared]
    if not open_ccgs:
        return back_to_review(
            request,
            proposal,
            "You have already declared an interest in every CCG in this proposal.",
            error=True,
        )
    form = DeclareInterestForm(
        request.POST if request.method == "POST" else None,
        ccgs=open_ccgs,
        initial={"ccg": str(open_ccgs[0].pk)} if len(open_ccgs) == 1 else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.declare_conflict(
                reviewer=request.user,
                ccg=form.cleaned_data["ccg"],
                description=form.cleaned_data["description"],
            )
        except ProposalError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"You declared an interest in {form.cleaned_data['ccg'].name}. You cannot "
                "review its proposals; another reviewer in your region will.",
            )
            return redirect("approvals:queue")
    return render(
        request,
        "approvals/declare_interest.html",
        {
            "proposal": proposal,
            "form": form,
            "title": page_title("Declare an interest", form),
        },
    )
