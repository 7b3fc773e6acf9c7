"""The sign-off pack page: ask for a pack, watch it being built, download it. Only the
committee secretary and the national programme team ever see packs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from applications.errors import ProposalError

from .. import selectors, services
from ..models import SignOffPack
from .common import pdf_download, require_committee, require_secretary


def _pack_or_404(meeting, pk: int) -> SignOffPack:
    pack = SignOffPack.objects.filter(meeting=meeting, pk=pk).first()
    if pack is None:
        raise Http404("No such pack")
    pack.meeting = meeting
    return pack


@login_required
@require_http_methods(["GET", "POST"])
def pack_page(request: HttpRequest, pk: int) -> HttpResponse:
    require_committee(request)
    meeting = selectors.meeting_or_404(pk)
    if request.method == "POST":
        require_secretary(request)
        try:
            pack = services.request_sign_off_pack(meeting=meeting, by=request.user)
        except ProposalError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"You asked for a sign-off pack at {timezone.localtime(pack.requested_at):%H:%M}.",
            )
        return redirect("approvals:pack", pk=meeting.pk)
    items = selectors.agenda(meeting)
    packs = selectors.packs_of(meeting)
    pack = packs[0] if packs else None
    current_version = meeting.contents_version(items)
    return render(
        request,
        "approvals/pack.html",
        {
            "meeting": meeting,
            "items": items,
            "pack": pack,
            "past_packs": packs[1:],
            "in_progress": pack is not None and pack.status in selectors.PACK_IN_PROGRESS,
            "out_of_date": pack is not None and pack.is_out_of_date(current_version),
            "current_version": current_version,
            "is_secretary": selectors.is_secretary(request.user),
            "title": f"Sign-off pack: {meeting}",
        },
    )


@login_required
@require_GET
def pack_status(request: HttpRequest, pk: int, pack: int) -> JsonResponse:
    """What the pack page polls while a pack is being built."""
    require_committee(request)
    found = _pack_or_404(selectors.meeting_or_404(pk), pack)
    response = JsonResponse(
        {
            "status": found.status,
            "label": found.get_status_display(),
            "done": found.status not in selectors.PACK_IN_PROGRESS,
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def pack_download(request: HttpRequest, pk: int, pack: int) -> HttpResponse:
    require_committee(request)
    meeting = selectors.meeting_or_404(pk)
    found = _pack_or_404(meeting, pack)
    if found.status != SignOffPack.Status.READY or not found.file:
        raise Http404("This pack has no file yet")
    local = timezone.localtime(found.generated_at)
    return pdf_download(
        found.file, f"Sign-off pack {meeting.meets_at:%Y-%m-%d} ({local:%Y%m%d-%H%M}).pdf"
    )
