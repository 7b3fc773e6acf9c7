"""Read paths for the proposal pages. Every proposal a page shows comes from
``Proposal.objects.visible_to(user)``, so another CCG's proposal is simply not found (404),
and every list fetches what it shows in a fixed number of queries."""

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from . import pro_forma
from .documents import (
    EDITABLE_STATES,
    REQUIRED_DOCUMENTS,
    document_kinds_for,
    missing_documents,
)
from .forms import SECTION_FORMS, answer_rows, display_value, long_date
from .models import (
    CCG,
    CommissioningModel,
    Cycle,
    Deadline,
    DeadlineEvent,
    Proposal,
    ProposalDocument,
    ProposalEvent,
    ProposalPartner,
    ProposalSnapshot,
    ProposalState,
    ProposalTransition,
    Role,
)
from .models.proposals import ARRANGEMENT_STATES, IN_FLIGHT_STATES, WITHDRAWABLE_STATES
from .permissions import is_lead_ccg_staff

# -- one proposal -------------------------------------------------------------------------------


def proposal_for(user: Any, reference: str) -> Proposal:
    """The proposal with this reference if the person may see it; otherwise 404, exactly as
    if it did not exist."""
    proposal = (
        Proposal.objects.visible_to(user)
        .select_related("cycle", "ccg__area_team__region")
        .prefetch_related("cycle__deadlines")
        .filter(reference=reference)
        .first()
    )
    if proposal is None:
        raise Http404("No such proposal")
    return proposal


def document_for(proposal: Proposal, pk: int) -> ProposalDocument:
    document = ProposalDocument.objects.filter(proposal=proposal, pk=pk).first()
    if document is None:
        raise Http404("No such document")
    document.proposal = proposal
    return document


def is_editable(proposal: Proposal) -> bool:
    return proposal.state in EDITABLE_STATES


def is_withdrawable(proposal: Proposal) -> bool:
    return proposal.state in WITHDRAWABLE_STATES


def partner_link_for(proposal: Proposal, user: Any) -> ProposalPartner | None:
    if getattr(user, "role", None) != Role.CCG_STAFF:
        return None
    return (
        ProposalPartner.objects.filter(proposal=proposal, ccg_id=user.ccg_id)
        .select_related("ccg", "agreed_by")
        .first()
    )


# -- deadlines and time left --------------------------------------------------------------------


def time_left(due_at: dt.datetime, now: dt.datetime | None = None) -> str:
    """'12 days left', 'Closes tomorrow', 'Closes today at 11:59pm', 'Passed': counted in
    London calendar days, which is how people read a deadline."""
    now = now or timezone.now()
    if now >= due_at:
        return "Passed"
    local_due = timezone.localtime(due_at)
    days = (local_due.date() - timezone.localtime(now).date()).days
    if days == 0:
        at = f"{local_due:%-I:%M%p}".lower().replace(":00", "")
        return "Closes today at midnight" if at == "12am" else f"Closes today at {at}"
    if days == 1:
        return "Closes tomorrow"
    return f"{days} days left"


def deadline_rows(cycle: Cycle, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The cycle's deadlines (prefetched), in date order, with how long is left."""
    rows = []
    for deadline in sorted(cycle.deadlines.all(), key=lambda d: d.due_at):
        if deadline.event == DeadlineEvent.PROPOSALS_DUE:
            label = f"{CommissioningModel(deadline.model).label} proposals due"
        else:
            label = deadline.get_event_display()
        rows.append(
            {
                "label": label,
                "due_at": deadline.due_at,
                "left": time_left(deadline.due_at, now),
                "passed": (now or timezone.now()) >= deadline.due_at,
            }
        )
    return rows


def open_cycles(cycles: list[Cycle]) -> list[Cycle]:
    """Cycles whose arrangements have not gone live yet: a proposal can still start."""
    now = timezone.now()
    result = []
    for cycle in cycles:
        go_live = cycle.deadline(DeadlineEvent.GO_LIVE)
        if go_live is None or go_live.due_at > now:
            result.append(cycle)
    return result


def cycles_with_deadlines() -> list[Cycle]:
    return list(
        Cycle.objects.prefetch_related(
            Prefetch("deadlines", queryset=Deadline.objects.order_by("due_at"))
        ).order_by("starts_on")
    )


# -- the CCG's start page -----------------------------------------------------------------------


def ccg_start(user: Any) -> dict[str, Any]:
    """Everything the CCG start page shows, in a fixed number of queries."""
    ccg = CCG.objects.select_related("area_team__region").get(pk=user.ccg_id)
    cycles = cycles_with_deadlines()
    cycles_by_pk = {c.pk: c for c in cycles}
    proposals = list(
        Proposal.objects.visible_to(user)
        .select_related("ccg")
        .prefetch_related(
            Prefetch("partner_links", queryset=ProposalPartner.objects.select_related("ccg"))
        )
        .order_by("-created_at")
    )
    for proposal in proposals:
        proposal.cycle = cycles_by_pk[proposal.cycle_id]  # deadlines already prefetched
    own = [p for p in proposals if p.ccg_id == ccg.pk]
    as_partner = []
    for proposal in proposals:
        if proposal.ccg_id == ccg.pk:
            continue
        link = next((li for li in proposal.partner_links.all() if li.ccg_id == ccg.pk), None)
        as_partner.append({"proposal": proposal, "link": link})
    arrangements = [p for p in own if p.state in ARRANGEMENT_STATES]
    current = max(
        arrangements,
        key=lambda p: (CommissioningModel.level(p.model), p.created_at),
        default=None,
    )
    busy_cycles = {p.cycle_id for p in own if p.state in IN_FLIGHT_STATES}
    startable = [c for c in open_cycles(cycles) if c.pk not in busy_cycles]
    now = timezone.now()
    return {
        "ccg": ccg,
        "current": current,
        "cycles": [
            {
                "cycle": cycle,
                "deadlines": deadline_rows(cycle, now),
                "proposals": [p for p in own if p.cycle_id == cycle.pk],
            }
            for cycle in cycles
        ],
        "as_partner": as_partner,
        "can_start": bool(startable)
        and (current is None or current.model != CommissioningModel.DELEGATED),
    }


# -- lists for area teams, regions and the national team -----------------------------------------


def proposal_list(user: Any) -> list[Proposal]:
    return list(
        Proposal.objects.visible_to(user)
        .select_related("ccg", "cycle")
        .prefetch_related(
            Prefetch("partner_links", queryset=ProposalPartner.objects.select_related("ccg"))
        )
        .order_by("ccg__name", "-created_at")
    )


# -- the proposal page ----------------------------------------------------------------------------

STATUS_LABELS = {
    "completed": "Completed",
    "in_progress": "In progress",
    "not_started": "Not started",
    "waiting": "Waiting for partners",
}


def task_list(
    proposal: Proposal, partners: list[ProposalPartner], documents: list[ProposalDocument]
) -> list[dict[str, Any]]:
    """The pro forma as an NHS.UK task list: each section and its status, plus the partner
    CCGs (joint) and the supporting documents."""
    tasks = []
    for section in pro_forma.sections_for(proposal.model):
        answers = proposal.pro_forma.get(section.key) or {}
        if section.is_complete(answers):
            status = "completed"
        elif any(v not in (None, "", [], ()) for v in answers.values()):
            status = "in_progress"
        else:
            status = "not_started"
        tasks.append(
            {"key": section.key, "title": section.title, "status": status, "kind": "section"}
        )
        if section.key == pro_forma.MODEL_AND_START.key and (
            proposal.model == CommissioningModel.JOINT
        ):
            waiting = [p for p in partners if p.agreed_at is None]
            hint = (
                f"{len(partners)} partner CCG{'s' if len(partners) != 1 else ''}, "
                f"{len(partners) - len(waiting)} agreed"
                if partners
                else "Optional: proposing on your own"
            )
            tasks.append(
                {
                    "key": "partners",
                    "title": "Partner CCGs",
                    "status": "waiting" if waiting else "completed",
                    "kind": "partners",
                    "hint": hint,
                }
            )
    if REQUIRED_DOCUMENTS.get(proposal.model):
        current = [d for d in documents if d.removed_at is None]
        missing = missing_documents(proposal, documents)
        if not missing:
            status = "completed"
        elif current:
            status = "in_progress"
        else:
            status = "not_started"
        tasks.append(
            {
                "key": "documents",
                "title": "Supporting documents",
                "status": status,
                "kind": "documents",
                "hint": ", ".join(label for _, label in document_kinds_for(proposal.model)),
            }
        )
    for index, task in enumerate(tasks, start=1):
        task["index"] = index
        task["status_label"] = STATUS_LABELS[task["status"]]
    return tasks


def problems_before_submission(
    proposal: Proposal, partners: list[ProposalPartner], documents: list[ProposalDocument]
) -> list[str]:
    """What still stops submission, in words, for the check-your-answers page."""
    problems = [
        f"Complete the section '{section.title}'."
        for section in proposal.missing_pro_forma_sections()
    ]
    problems += [
        f"{p.ccg.name} must confirm its governing body's agreement."
        for p in partners
        if p.agreed_at is None
    ]
    problems += [f"Upload the {label.lower()}." for label in missing_documents(proposal, documents)]
    if proposal.model != CommissioningModel.GREATER_INVOLVEMENT and proposal.state == (
        ProposalState.DRAFT
    ):
        due = proposal.submission_deadline
        if due is None:
            problems.append(f"{proposal.cycle} has no deadline for this kind of proposal.")
        elif due.has_passed:
            problems.append(
                f"The deadline for this proposal was {long_date(timezone.localdate(due.due_at))}."
            )
    return problems


def answers_by_section(proposal: Proposal) -> list[dict[str, Any]]:
    return [
        {
            "key": section.key,
            "title": section.title,
            "rows": answer_rows(section.key, proposal.pro_forma.get(section.key) or {}),
            "complete": section.is_complete(proposal.pro_forma.get(section.key) or {}),
        }
        for section in pro_forma.sections_for(proposal.model)
    ]


@dataclass
class Overview:
    proposal: Proposal
    partners: list[ProposalPartner]
    documents: list[ProposalDocument]
    comments: list[ProposalEvent]
    history: list[ProposalTransition]
    change_request: ProposalTransition | None
    snapshot_count: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def current_documents(self) -> list[ProposalDocument]:
        return [d for d in self.documents if d.removed_at is None]


def overview(proposal: Proposal) -> Overview:
    partners = list(proposal.partner_links.select_related("ccg", "agreed_by").order_by("ccg__name"))
    documents = list(
        ProposalDocument.objects.filter(proposal=proposal).select_related("uploaded_by")
    )
    comments = list(
        ProposalEvent.objects.filter(proposal=proposal, kind=ProposalEvent.Kind.COMMENT).order_by(
            "-at", "-pk"
        )
    )
    history = list(proposal.transitions.order_by("at", "pk"))
    change_request = next((t for t in reversed(history) if t.name == "request_changes"), None)
    return Overview(
        proposal=proposal,
        partners=partners,
        documents=documents,
        comments=comments,
        history=history,
        change_request=change_request,
        snapshot_count=ProposalSnapshot.objects.filter(proposal=proposal).count(),
    )


# -- what changed between submitted versions -------------------------------------------------------


def compare_snapshots(
    model: str, before: ProposalSnapshot, after: ProposalSnapshot
) -> dict[str, Any]:
    sections = []
    for section in pro_forma.sections_for(model):
        form = SECTION_FORMS[section.key]
        old = before.pro_forma.get(section.key) or {}
        new = after.pro_forma.get(section.key) or {}
        rows = []
        for name, form_field in form.base_fields.items():
            was, now = (
                display_value(form_field, old.get(name)),
                display_value(form_field, new.get(name)),
            )
            if was != now:
                rows.append({"label": str(form_field.label), "before": was, "after": now})
        if rows:
            sections.append({"title": section.title, "rows": rows})
    old_docs = {d["id"]: d for d in before.documents}
    new_docs = {d["id"]: d for d in after.documents}
    old_partners = {p["ccg"]: p for p in before.partners}
    new_partners = {p["ccg"]: p for p in after.partners}
    return {
        "before": before,
        "after": after,
        "sections": sections,
        "documents_added": [d for pk, d in new_docs.items() if pk not in old_docs],
        "documents_removed": [d for pk, d in old_docs.items() if pk not in new_docs],
        "partners_added": [p for c, p in new_partners.items() if c not in old_partners],
        "partners_removed": [p for c, p in old_partners.items() if c not in new_partners],
    }


def version_comparisons(proposal: Proposal) -> tuple[list[ProposalSnapshot], list[dict]]:
    """Each submitted version compared with the one before it, newest first."""
    snapshots = list(ProposalSnapshot.objects.filter(proposal=proposal).order_by("version"))
    for number, snapshot in enumerate(snapshots, start=1):
        # People count submissions (1st, 2nd), not the internal version counter.
        snapshot.number = number
    comparisons = [
        compare_snapshots(proposal.model, before, after)
        for before, after in itertools.pairwise(snapshots)
    ]
    return snapshots, list(reversed(comparisons))


# While the confirmation's "what happens next" is still true.
CONFIRMED_STATES = (
    ProposalState.SUBMITTED,
    ProposalState.RESUBMITTED,
    ProposalState.UNDER_REVIEW,
    ProposalState.RECORDED,
)


def can_see_confirmation(proposal: Proposal, user: Any) -> bool:
    return is_lead_ccg_staff(proposal, user) and proposal.state in CONFIRMED_STATES
