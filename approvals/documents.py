"""Generating and storing sign-off packs and decision letters (run by Celery workers)."""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from applications import notifications as notify
from applications.models import Proposal
from applications.outbox import enqueue_email

from .models import AgendaItem, DecisionLetter, SignOffPack
from .packs import build_letter, build_pack

logger = logging.getLogger(__name__)


def generate_sign_off_pack(*, pack_id: int) -> SignOffPack:
    """Build the PDF for a queued pack. A second delivery of the same task finds the pack
    already claimed or ready and does nothing."""
    with transaction.atomic():
        claimed = SignOffPack.objects.filter(
            pk=pack_id, status__in=[SignOffPack.Status.QUEUED, SignOffPack.Status.FAILED]
        ).update(status=SignOffPack.Status.GENERATING, started_at=timezone.now(), error="")
    pack = SignOffPack.objects.select_related("meeting__cycle").get(pk=pack_id)
    if not claimed:
        return pack
    try:
        pdf, version, item_count = build_pack(pack.meeting)
    except Exception as error:
        logger.exception("sign-off pack %s failed", pack_id)
        pack.status = SignOffPack.Status.FAILED
        pack.error = f"{type(error).__name__}: {error}"[:2000]
        pack.save(update_fields=["status", "error"])
        return pack
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    pack.file.save(
        f"sign-off-pack-{pack.meeting.meets_at:%Y-%m-%d}-{stamp}-{pack.pk}.pdf",
        ContentFile(pdf.content),
        save=False,
    )
    pack.sha256 = pdf.sha256
    pack.page_count = pdf.pages
    pack.item_count = item_count
    pack.contents_version = version
    pack.generated_at = timezone.now()
    pack.status = SignOffPack.Status.READY
    pack.save()
    return pack


def generate_decision_letter(*, proposal_id: int, item_id: int | None) -> DecisionLetter:
    proposal = Proposal.objects.select_related("ccg__area_team__region", "cycle").get(
        pk=proposal_id
    )
    item = AgendaItem.objects.select_related("meeting").filter(pk=item_id).first()
    existing = DecisionLetter.objects.filter(proposal=proposal, decision=proposal.state).first()
    if existing is not None:
        return existing
    pdf = build_letter(proposal, item)
    with transaction.atomic():
        letter = DecisionLetter(
            proposal=proposal, agenda_item=item, decision=proposal.state, sha256=pdf.sha256
        )
        letter.file.save(
            f"decision-letter-{proposal.reference}-{proposal.state}.pdf",
            ContentFile(pdf.content),
            save=False,
        )
        letter.save()
        staff = notify.ccg_staff_emails([proposal.ccg_id])
        enqueue_email(
            key=f"letter-email:{letter.pk}",
            to=notify.proposal_contacts(proposal, staff),
            subject=f"Decision on {proposal.ccg}'s proposal {proposal.reference}",
            body=(
                f"The decision on {proposal.ccg}'s {proposal.get_model_display().lower()} "
                f"proposal {proposal.reference} is: {proposal.get_state_display().lower()}.\n\n"
                f"The decision letter is with the proposal: {notify.site_url()}\n"
            ),
        )
    return letter
