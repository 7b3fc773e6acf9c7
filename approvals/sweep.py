"""The sweep's committee step: the pack for the next meeting is ready in good time."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef

from applications.deadlines import SweepLog

from .models import AgendaItem, CommitteeMeeting, SignOffPack
from .services import request_sign_off_pack


def generate_packs_before_meetings(now: datetime, log: SweepLog) -> None:
    """Queue a pack for each meeting within the lead time that has items and no current
    pack (none ready with today's contents, none queued or being built)."""
    lead = timedelta(days=settings.SIGN_OFF_PACK_DAYS_BEFORE_MEETING)
    has_items = AgendaItem.objects.filter(meeting=OuterRef("pk"))
    meetings = list(
        CommitteeMeeting.objects.select_for_update(skip_locked=True)
        .filter(meets_at__gt=now, meets_at__lte=now + lead)
        .filter(Exists(has_items))
    )
    for meeting in meetings:
        packs = list(meeting.packs.all())
        in_progress = any(
            p.status in (SignOffPack.Status.QUEUED, SignOffPack.Status.GENERATING) for p in packs
        )
        current = meeting.contents_version()
        up_to_date = any(
            p.status == SignOffPack.Status.READY and p.contents_version == current for p in packs
        )
        if in_progress or up_to_date:
            continue
        request_sign_off_pack(meeting=meeting, by=None)
        log.did("sign-off pack queued", [str(meeting)])
