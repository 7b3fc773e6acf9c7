"""Who is told about a proposal, and what they are told. Emails go through the outbox."""

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from .models import Proposal, Role, User


def ccg_staff_emails(ccg_ids: Iterable[int]) -> dict[int, set[str]]:
    """Active CCG staff email addresses per CCG, in one query."""
    emails: dict[int, set[str]] = defaultdict(set)
    rows = User.objects.filter(
        role=Role.CCG_STAFF, ccg_id__in=set(ccg_ids), is_active=True
    ).exclude(email="")
    for ccg_id, email in rows.values_list("ccg_id", "email"):
        emails[ccg_id].add(email)
    return emails


def region_reviewer_emails(region_ids: Iterable[int]) -> dict[int, set[str]]:
    emails: dict[int, set[str]] = defaultdict(set)
    rows = User.objects.filter(
        role=Role.REGIONAL_REVIEWER, region_id__in=set(region_ids), is_active=True
    ).exclude(email="")
    for region_id, email in rows.values_list("region_id", "email"):
        emails[region_id].add(email)
    return emails


def proposal_contacts(proposal: Proposal, staff_emails: dict[int, set[str]]) -> set[str]:
    """The lead CCG's staff plus the contact named in its pro forma."""
    contact = (proposal.pro_forma.get("contact") or {}).get("contact_email", "")
    return staff_emails.get(proposal.ccg_id, set()) | ({contact} if contact else set())


def when(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%-d %B %Y} at {local:%H:%M}".replace("at 23:59", "at 11:59pm").replace(
        "at 00:00", "at midnight"
    )


def site_url(path: str = "/") -> str:
    return settings.SITE_URL.rstrip("/") + path
