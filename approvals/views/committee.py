"""The Commissioning Committee: meetings, the agenda (add, remove, order), decisions (one
item at a time, or the same decision for several), conditions met, decision letters. The
secretary acts; the national programme team reads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.errors import ProposalError, TransitionRefused
from applications.models import Cycle, Proposal, ProposalCondition
from applications.page_cache import cached_page
from applications.permissions import is_lead_ccg_staff
from applications.views.common import page_title

from .. import selectors, services
from ..forms import (
    AddToAgendaForm,
    BulkDecisionForm,
    ConditionMetForm,
    ItemDecisionForm,
    MeetingForm,
    MoveForm,
)
from ..models import AgendaItem, Decision, DecisionLetter
from .common import (
    back_to_meeting,
    pdf_download,
    require,
    require_committee,
    require_secretary,
)

# -- meetings -------------------------------------------------------------------------------


@login_required
@require_GET
def meetings(request: HttpRequest) -> HttpResponse:
    require_committee(request)
    return render(
        request,
        "approvals/meetings.html",
        {"meetings": selectors.meetings(), "title": "Commissioning Committee meetings"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    require_secretary(request)
    cycles = list(Cycle.objects.order_by("starts_on"))
    form = MeetingForm(request.POST if request.method == "POST" else None, cycles=cycles)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.create_meeting(
                cycle=data["cycle"],
                meets_at=form.meets_at(),
                by=request.user,
                title=data["title"],
                location=data["location"],
                members=data["members"],
            )
        except ProposalError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Meeting created: {meeting}.")
            return redirect("approvals:meeting", pk=meeting.pk)
    return render(
        request,
        "approvals/meeting_form.html",
        {"form": form, "title": page_title("Create a committee meeting", form)},
    )


def _meeting_page(request: HttpRequest, meeting, bulk_form=None) -> HttpResponse:
    items = selectors.agenda(meeting)
    undecided = [i for i in items if not i.decision]
    packs = selectors.packs_of(meeting)
    pack = packs[0] if packs else None
    current_version = meeting.contents_version(items)
    return render(
        request,
        "approvals/meeting.html",
        {
            "meeting": meeting,
            "items": items,
            "undecided": undecided,
            "awaiting": selectors.awaiting_committee(request.user, meeting)
            if selectors.is_secretary(request.user)
            else [],
            "conditions": [(i, c) for i in items for c in i.conditions],
            "letters": [(i, letter) for i in items for letter in i.letters.all()],
            "records": list(meeting.records.select_related("proposal").order_by("at", "pk")),
            "pack": pack,
            "pack_out_of_date": pack is not None and pack.is_out_of_date(current_version),
            "is_secretary": selectors.is_secretary(request.user),
            "bulk_form": bulk_form or (BulkDecisionForm(items=undecided) if undecided else None),
            "title": page_title(str(meeting), bulk_form),
        },
    )


@login_required
@require_GET
@cached_page
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    require_committee(request)
    return _meeting_page(request, selectors.meeting_or_404(pk))


# -- the agenda -----------------------------------------------------------------------------


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_secretary(request)
    meeting = selectors.meeting_or_404(pk)
    form = AddToAgendaForm(request.POST)
    if not form.is_valid():
        return back_to_meeting(request, meeting, "Choose a proposal to add.", error=True)
    proposal = (
        Proposal.objects.visible_to(request.user)
        .select_related("ccg")
        .filter(pk=form.cleaned_data["proposal"])
        .first()
    )
    if proposal is None:
        raise Http404("No such proposal")
    try:
        item = services.add_to_agenda(meeting=meeting, proposal=proposal, by=request.user)
    except ProposalError as error:
        return back_to_meeting(request, meeting, error.message, error=True)
    return back_to_meeting(
        request, meeting, f"{proposal.ccg.name} added to the agenda as item {item.position}."
    )


def _item_or_404(meeting, pk: int) -> AgendaItem:
    item = (
        AgendaItem.objects.select_related("proposal__ccg__area_team__region", "proposal__cycle")
        .filter(meeting=meeting, pk=pk)
        .first()
    )
    if item is None:
        raise Http404("No such agenda item")
    item.meeting = meeting
    return item


@login_required
@require_POST
def agenda_remove(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    require_secretary(request)
    meeting = selectors.meeting_or_404(pk)
    agenda_item = _item_or_404(meeting, item)
    try:
        services.remove_from_agenda(item=agenda_item, by=request.user)
    except ProposalError as error:
        return back_to_meeting(request, meeting, error.message, error=True)
    return back_to_meeting(
        request, meeting, f"{agenda_item.proposal.ccg.name} removed from the agenda."
    )


@login_required
@require_POST
def agenda_move(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    require_secretary(request)
    meeting = selectors.meeting_or_404(pk)
    agenda_item = _item_or_404(meeting, item)
    form = MoveForm(request.POST)
    if form.is_valid():
        offset = -1 if form.cleaned_data["direction"] == "up" else 1
        services.move_agenda_item(item=agenda_item, by=request.user, offset=offset)
    return redirect(f"{reverse('approvals:meeting', kwargs={'pk': meeting.pk})}#agenda")


# -- decisions ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def item_decision(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    require_secretary(request)
    meeting = selectors.meeting_or_404(pk)
    agenda_item = _item_or_404(meeting, item)
    if agenda_item.decision:
        return back_to_meeting(
            request,
            meeting,
            f"The decision on item {agenda_item.position} is already recorded: "
            f"{agenda_item.get_decision_display().lower()}.",
            error=True,
        )
    form = ItemDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_committee_decision(
                proposal=agenda_item.proposal,
                by=request.user,
                decision=data["decision"],
                conditions=data["condition_list"],
                minute=data["minute"],
                item=agenda_item,
            )
        except TransitionRefused as refused:
            for reason in refused.unmet or [refused.message]:
                form.add_error(None, reason)
        except ProposalError as error:
            form.add_error(None, error.message)
        else:
            return back_to_meeting(
                request,
                meeting,
                f"Decision recorded for item {agenda_item.position}, "
                f"{agenda_item.proposal.ccg.name}: {Decision(data['decision']).label.lower()}.",
            )
    return render(
        request,
        "approvals/item_decision.html",
        {
            "meeting": meeting,
            "item": agenda_item,
            "form": form,
            "title": page_title(f"Record the decision on item {agenda_item.position}", form),
        },
    )


@login_required
@require_POST
def bulk_decision(request: HttpRequest, pk: int) -> HttpResponse:
    require_secretary(request)
    meeting = selectors.meeting_or_404(pk)
    undecided = [i for i in selectors.agenda(meeting) if not i.decision]
    form = BulkDecisionForm(request.POST, items=undecided)
    if form.is_valid():
        chosen = form.cleaned_data["items"]
        try:
            services.record_item_decisions(
                items=chosen,
                by=request.user,
                decision=form.cleaned_data["decision"],
                minute=form.cleaned_data["minute"],
            )
        except ProposalError as error:
            form.add_error(None, f"Nothing was recorded. {error.message}")
        else:
            label = Decision(form.cleaned_data["decision"]).label.lower()
            return back_to_meeting(
                request,
                meeting,
                f"Decision recorded for {len(chosen)} item{'s' if len(chosen) != 1 else ''}: "
                f"{label}.",
            )
    return _meeting_page(request, meeting, bulk_form=form)


# -- conditions -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def condition_met(request: HttpRequest, pk: int, condition: int) -> HttpResponse:
    require_secretary(request)
    meeting = selectors.meeting_or_404(pk)
    found = (
        ProposalCondition.objects.select_related("proposal__ccg")
        .filter(pk=condition, proposal__agenda_items__meeting=meeting)
        .first()
    )
    if found is None:
        raise Http404("No such condition")
    if found.met_at is not None:
        return back_to_meeting(request, meeting, "That condition is already recorded as met.")
    form = ConditionMetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_condition_met(
                condition=found, by=request.user, note=form.cleaned_data["note"]
            )
        except ProposalError as error:
            form.add_error(None, error.message)
        else:
            return back_to_meeting(
                request, meeting, f"Condition recorded as met for {found.proposal.ccg.name}."
            )
    return render(
        request,
        "approvals/condition_met.html",
        {
            "meeting": meeting,
            "condition": found,
            "form": form,
            "title": page_title("Record that a condition is met", form),
        },
    )


# -- decision letters -----------------------------------------------------------------------


@login_required
@require_GET
def letter_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary and the national team read every letter; a CCG's staff read their own
    CCG's (404 for anyone who cannot see the proposal, exactly as if it did not exist)."""
    letter = DecisionLetter.objects.filter(pk=pk).first()
    proposal = (
        Proposal.objects.visible_to(request.user)
        .select_related("ccg")
        .filter(pk=letter.proposal_id if letter else None)
        .first()
    )
    if letter is None or proposal is None:
        raise Http404("No such letter")
    require(
        selectors.sees_committee(request.user) or is_lead_ccg_staff(proposal, request.user),
        "Only the committee secretary, the national team and the CCG see decision letters.",
    )
    return pdf_download(letter.file, f"Decision letter {proposal.reference}.pdf")
