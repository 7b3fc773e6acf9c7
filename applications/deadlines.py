"""The deadline sweep: a periodic task that acts on whatever has fallen due.

Deadlines are rows (applications.Deadline), never Celery ETA tasks. Each pass is
idempotent: every step selects only what still needs doing (state predicates, "no event
recorded yet"), locks it with SELECT ... FOR UPDATE SKIP LOCKED so a concurrent pass skips
it, and writes its records and outbox emails in the same transaction. Running twice, two at
once, or late after a missed hour has the effect of running once. Each step runs a constant
number of queries whatever the number of proposals."""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import notifications as notify
from .models import Deadline, DeadlineEvent, Proposal, ProposalEvent, ProposalState, SweepRun
from .models.proposals import APPROVED_STATES
from .outbox import enqueue_emails
from .permissions import SYSTEM
from .services import perform_bulk_transition

logger = logging.getLogger(__name__)

OPEN_REVIEW_STATES = (
    ProposalState.SUBMITTED,
    ProposalState.UNDER_REVIEW,
    ProposalState.CHANGES_REQUESTED,
    ProposalState.RESUBMITTED,
)


@dataclass
class SweepLog:
    actions: Counter = field(default_factory=Counter)
    details: dict[str, list[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def did(self, action: str, references: list[str]) -> None:
        if references:
            self.actions[action] += len(references)
            self.details.setdefault(action, []).extend(references)


SweepStep = Callable[[datetime, SweepLog], None]
SWEEP_STEPS: list[SweepStep] = []


def sweep_step(step: SweepStep) -> SweepStep:
    """Register a step. Other apps (approvals: sign-off packs) register theirs in ready()."""
    if step not in SWEEP_STEPS:
        SWEEP_STEPS.append(step)
    return step


def _lock(queryset):
    return queryset.select_for_update(skip_locked=True, of=("self",))


def _event(proposal: Proposal, kind: str, detail: str, **data) -> ProposalEvent:
    return ProposalEvent(
        proposal=proposal, kind=kind, actor_name=SYSTEM.name, detail=detail, data=data
    )


@sweep_step
def send_deadline_reminders(now: datetime, log: SweepLog) -> None:
    """Remind CCGs with unsubmitted drafts at each configured offset before the deadline:
    the nearest offset that has opened, once per proposal, deadline and offset."""
    upcoming = Deadline.objects.filter(event=DeadlineEvent.PROPOSALS_DUE, due_at__gt=now)
    for deadline in upcoming:
        days_left = (deadline.due_at - now) / timedelta(days=1)
        opened = [int(days) for days in deadline.reminder_days or [] if days_left <= int(days)]
        if not opened:
            continue
        offset = min(opened)
        already = ProposalEvent.objects.filter(
            proposal=OuterRef("pk"),
            kind=ProposalEvent.Kind.REMINDER_SENT,
            data__deadline=deadline.pk,
            data__days=offset,
        )
        drafts = list(
            _lock(
                Proposal.objects.filter(
                    cycle_id=deadline.cycle_id, model=deadline.model, state=ProposalState.DRAFT
                ).exclude(Exists(already))
            ).select_related("ccg")
        )
        if not drafts:
            continue
        staff = notify.ccg_staff_emails(p.ccg_id for p in drafts)
        due = notify.when(deadline.due_at)
        ProposalEvent.objects.bulk_create(
            _event(
                p,
                ProposalEvent.Kind.REMINDER_SENT,
                f"{offset} days before {due}",
                deadline=deadline.pk,
                days=offset,
            )
            for p in drafts
        )
        enqueue_emails(
            (
                f"reminder:{p.pk}:{deadline.pk}:{offset}",
                notify.proposal_contacts(p, staff),
                f"Reminder: {p.ccg}'s {p.get_model_display().lower()} proposal is due {due}",
                f"{p.ccg}'s proposal {p.reference} has not been submitted yet.\n\n"
                f"The deadline is {due}. A draft not submitted by then closes for this "
                f"cycle.\n\nContinue the proposal: {notify.site_url()}\n",
            )
            for p in drafts
        )
        log.did(f"reminded ({offset} days before)", [p.reference for p in drafts])


@sweep_step
def lapse_overdue_drafts(now: datetime, log: SweepLog) -> None:
    """Close the drafts whose submission deadline has passed, and tell their CCGs."""
    passed = Deadline.objects.filter(
        cycle=OuterRef("cycle"),
        model=OuterRef("model"),
        event=DeadlineEvent.PROPOSALS_DUE,
        due_at__lte=now,
    )
    drafts = list(
        _lock(Proposal.objects.filter(state=ProposalState.DRAFT).filter(Exists(passed)))
        .select_related("ccg", "cycle")
        .prefetch_related("cycle__deadlines")
    )
    lapsed = perform_bulk_transition(
        proposals=drafts, transition="lapse", by=SYSTEM, reason="Not submitted by the deadline"
    )
    if not lapsed:
        return
    staff = notify.ccg_staff_emails(p.ccg_id for p in lapsed)
    due_by_deadline: dict[int, str] = {}

    def due(proposal: Proposal) -> str:
        deadline = proposal.submission_deadline
        if deadline.pk not in due_by_deadline:
            due_by_deadline[deadline.pk] = notify.when(deadline.due_at)
        return due_by_deadline[deadline.pk]

    enqueue_emails(
        (
            f"lapsed:{p.pk}",
            notify.proposal_contacts(p, staff),
            f"{p.ccg}'s {p.get_model_display().lower()} proposal closed at the deadline",
            f"Proposal {p.reference} was not submitted by {due(p)}, so it has closed for "
            f"{p.cycle}.\n\n"
            "You can carry it forward to the next cycle's deadline with its answers kept: "
            f"{notify.site_url()}\n",
        )
        for p in lapsed
    )
    log.did("lapsed", [p.reference for p in lapsed])


@sweep_step
def escalate_open_reviews(now: datetime, log: SweepLog) -> None:
    """Delegated proposals still under review shortly before the committee meets are
    escalated to their region's reviewers, once per committee date."""
    window = timedelta(days=settings.ESCALATE_REVIEWS_DAYS_BEFORE_COMMITTEE)
    meetings = Deadline.objects.filter(
        event=DeadlineEvent.COMMITTEE_SIGN_OFF, due_at__gt=now, due_at__lte=now + window
    )
    for meeting in meetings:
        already = ProposalEvent.objects.filter(
            proposal=OuterRef("pk"), kind=ProposalEvent.Kind.ESCALATED, data__deadline=meeting.pk
        )
        open_reviews = list(
            _lock(
                Proposal.objects.filter(
                    cycle_id=meeting.cycle_id, model="delegated", state__in=OPEN_REVIEW_STATES
                ).exclude(Exists(already))
            ).select_related("ccg__area_team__region")
        )
        if not open_reviews:
            continue
        reviewers = notify.region_reviewer_emails(p.ccg.area_team.region_id for p in open_reviews)
        meets = notify.when(meeting.due_at)
        ProposalEvent.objects.bulk_create(
            _event(
                p,
                ProposalEvent.Kind.ESCALATED,
                f"Still {p.get_state_display().lower()} "
                f"before the Commissioning Committee on {meets}",
                deadline=meeting.pk,
            )
            for p in open_reviews
        )
        enqueue_emails(
            (
                f"escalated:{p.pk}:{meeting.pk}",
                reviewers.get(p.ccg.area_team.region_id, set()),
                f"Escalated: {p.reference} ({p.ccg}) is still open before the committee",
                f"{p.ccg}'s delegated proposal {p.reference} is "
                f"{p.get_state_display().lower()}. The Commissioning Committee meets {meets}; "
                f"a recommendation is needed before then.\n\n{notify.site_url()}\n",
            )
            for p in open_reviews
        )
        log.did("escalated", [p.reference for p in open_reviews])


@sweep_step
def go_live_due(now: datetime, log: SweepLog) -> None:
    """On the go-live date, approved proposals with every condition met go live; those
    with open conditions stay as they are and are listed (and recorded once)."""
    passed = Deadline.objects.filter(
        cycle=OuterRef("cycle"), event=DeadlineEvent.GO_LIVE, due_at__lte=now
    )
    approved = list(
        _lock(Proposal.objects.filter(state__in=APPROVED_STATES).filter(Exists(passed)))
        .select_related("ccg", "cycle")
        .prefetch_related("cycle__deadlines", "conditions")
    )
    went_live = perform_bulk_transition(
        proposals=approved, transition="go_live", by=SYSTEM, reason="Go-live date reached"
    )
    held = [p for p in approved if p.state != ProposalState.LIVE]
    if went_live:
        staff = notify.ccg_staff_emails(p.ccg_id for p in went_live)
        enqueue_emails(
            (
                f"live:{p.pk}",
                notify.proposal_contacts(p, staff),
                f"{p.ccg}'s {p.get_model_display().lower()} arrangement is now live",
                f"Proposal {p.reference} went live on {notify.when(p.live_at)}.\n",
            )
            for p in went_live
        )
        log.did("went live", [p.reference for p in went_live])
    if held:
        recorded = set(
            ProposalEvent.objects.filter(
                proposal__in=held, kind=ProposalEvent.Kind.NOT_LIVE
            ).values_list("proposal_id", flat=True)
        )
        ProposalEvent.objects.bulk_create(
            _event(p, ProposalEvent.Kind.NOT_LIVE, "Committee conditions still open")
            for p in held
            if p.pk not in recorded
        )
        log.did("held back: conditions open", [p.reference for p in held])


def run_sweep(now: datetime | None = None) -> SweepRun:
    """One pass. Each step commits on its own, so one failing step (recorded on the run)
    does not hold back the others."""
    now = now or timezone.now()
    run = SweepRun.objects.create(started_at=now)
    log = SweepLog()
    for step in SWEEP_STEPS:
        try:
            with transaction.atomic():
                step(now, log)
        except Exception as error:  # recorded on the run; the next pass retries
            logger.exception("deadline sweep step %s failed", step.__name__)
            log.failures.append(f"{step.__name__}: {type(error).__name__}: {error}")
    run.finished_at = timezone.now()
    run.actions = {"counts": dict(log.actions), "proposals": log.details}
    run.failures = log.failures
    run.save(update_fields=["finished_at", "actions", "failures"])
    return run
