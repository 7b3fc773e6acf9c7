"""Write paths behind the proposal pages, built on applications.services in the same style:
each is atomic, checks who is acting before anything else, and records what it did (an audit
row for a state change, an event otherwise) in the same transaction. Emails go through the
outbox inside that transaction, keyed so that a replayed request sends nothing twice."""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import pro_forma, services
from .documents import EDITABLE_STATES, missing_documents
from .errors import InvalidProposal, NotPermitted, ProposalChanged, TransitionRefused
from .models import (
    CCG,
    CommissioningModel,
    Proposal,
    ProposalDocument,
    ProposalEvent,
    ProposalPartner,
    ProposalSnapshot,
    ProposalState,
    User,
)
from .outbox import enqueue_email
from .permissions import is_area_team_staff, is_lead_ccg_staff, is_regional_reviewer

SUBMITTING_TRANSITIONS = ("submit", "resubmit", "record")


def _lock(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("cycle", "ccg__area_team__region")
        .get(pk=proposal.pk)
    )


def _editable_by_lead(locked: Proposal, by: User) -> None:
    if not is_lead_ccg_staff(locked, by):
        raise NotPermitted("Only the lead CCG's staff can change this proposal.")
    if locked.state not in EDITABLE_STATES:
        raise TransitionRefused(
            f"A proposal that is {locked.get_state_display().lower()} cannot be changed."
        )


def _bump(locked: Proposal) -> None:
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["version", "updated_at"])


# -- the pro forma ----------------------------------------------------------------------------


def section_digest(answers: Mapping[str, Any] | None) -> str:
    """A fingerprint of one section's saved answers. The edit page carries the one it was
    built from, so saving can tell whether somebody else saved the same section meanwhile
    (saves of other sections do not matter, so the proposal's version is too coarse)."""
    encoded = json.dumps(answers or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:20]


def save_section(
    *,
    proposal: Proposal,
    section: str,
    answers: Mapping[str, Any],
    by: User,
    loaded_digest: str | None = None,
) -> Proposal:
    with transaction.atomic():
        locked = _lock(proposal)
        _editable_by_lead(locked, by)
        if loaded_digest is not None and section_digest(locked.pro_forma.get(section)) != (
            loaded_digest
        ):
            raise ProposalChanged(
                "Someone else saved this section while you were editing it. Your answers are "
                "below but have not been saved: check them against the saved ones and save again."
            )
        saved = services.save_pro_forma_section(
            proposal=locked, section=section, answers=answers, by=by
        )
        # Who changed which answers, and when: the snapshots hold what was submitted, this
        # holds the edits in between.
        definition = next(s for s in pro_forma.sections_for(saved.model) if s.key == section)
        complete = definition.is_complete(saved.pro_forma.get(section) or {})
        services.record_event(
            proposal=saved,
            kind=ProposalEvent.Kind.OTHER,
            by=by,
            detail=f"Saved '{definition.title}'" + ("" if complete else " as a draft"),
            data={"section": section, "complete": complete, "version": saved.version},
        )
        return saved


def set_partners(*, proposal: Proposal, partners: Iterable[CCG], by: User) -> Proposal:
    """Choose a joint proposal's partner CCGs. A partner that stays keeps its agreement."""
    partners = list(partners)
    with transaction.atomic():
        locked = _lock(proposal)
        _editable_by_lead(locked, by)
        if locked.model != CommissioningModel.JOINT:
            raise InvalidProposal("Only a joint proposal has partner CCGs.")
        if any(p.pk == locked.ccg_id for p in partners):
            raise InvalidProposal("Your own CCG cannot also be a partner.")
        if any(p.area_team_id != locked.ccg.area_team_id for p in partners):
            raise InvalidProposal("Partner CCGs must be in your area team.")
        links = {link.ccg_id: link for link in locked.partner_links.select_related("ccg")}
        wanted = {p.pk: p for p in partners}
        removed = [links[pk] for pk in links if pk not in wanted]
        added = [wanted[pk] for pk in wanted if pk not in links]
        if not removed and not added:
            return locked
        for link in removed:
            link.delete()
        ProposalPartner.objects.bulk_create(
            ProposalPartner(proposal=locked, ccg=ccg) for ccg in added
        )
        _bump(locked)
        changes = [f"added {c.name}" for c in added] + [f"removed {li.ccg.name}" for li in removed]
        services.record_event(
            proposal=locked,
            kind=ProposalEvent.Kind.OTHER,
            by=by,
            detail="Partner CCGs changed: " + "; ".join(changes) + ".",
            data={
                "partners_added": [c.ods_code for c in added],
                "partners_removed": [li.ccg.ods_code for li in removed],
            },
        )
    return locked


def confirm_agreement(
    *, proposal: Proposal, partner: CCG, by: User, governing_body_agreed_on
) -> ProposalPartner:
    """A partner CCG confirms its governing body's agreement. Confirming again changes
    nothing (a double click, a replayed request)."""
    from . import notifications as notify

    with transaction.atomic():
        locked = _lock(proposal)
        link = (
            ProposalPartner.objects.select_for_update().filter(proposal=locked, ccg=partner).first()
        )
        is_partner_staff = by.is_active and by.role == "ccg_staff" and by.ccg_id == partner.pk
        if link is None or not is_partner_staff:
            raise NotPermitted("Only the partner CCG's own staff can confirm its agreement.")
        if link.agreed_at is not None:
            return link
        link = services.confirm_partner_agreement(
            proposal=locked,
            partner=partner,
            by=by,
            governing_body_agreed_on=governing_body_agreed_on,
        )
        locked.refresh_from_db(fields=["version"])
        services.record_event(
            proposal=locked,
            kind=ProposalEvent.Kind.PARTNER_AGREED,
            by=by,
            detail=f"{partner.name}'s governing body agreed on "
            f"{governing_body_agreed_on:%-d %B %Y}.",
            data={"ccg": partner.ods_code, "agreed_on": governing_body_agreed_on.isoformat()},
        )
        staff = notify.ccg_staff_emails([locked.ccg_id])
        enqueue_email(
            key=f"partner-agreed:{locked.pk}:{partner.pk}",
            to=notify.proposal_contacts(locked, staff),
            subject=f"{partner.name} has agreed to join {locked.reference}",
            body=(
                f"{partner.name} confirmed that its governing body agreed on "
                f"{governing_body_agreed_on:%-d %B %Y} to join {locked.ccg}'s joint "
                f"commissioning proposal {locked.reference}.\n\n"
                f"See the proposal at {notify.site_url()}\n"
            ),
        )
    return link


# -- submitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    proposal: Proposal
    # True when this request repeated one that had already submitted the same version (a
    # double click, the browser re-posting): nothing new happened.
    replayed: bool


def _snapshot(proposal: Proposal, *, transition: str, by: User, summary: str) -> None:
    partners = [
        {
            "ccg": link.ccg.ods_code,
            "name": link.ccg.name,
            "agreed_on": (
                link.governing_body_agreed_on.isoformat() if link.governing_body_agreed_on else None
            ),
        }
        for link in proposal.partner_links.select_related("ccg").order_by("ccg__name")
    ]
    documents = [
        {"id": d.pk, "kind": d.kind, "name": d.original_name, "sha256": d.sha256}
        for d in ProposalDocument.objects.filter(proposal=proposal, removed_at__isnull=True)
    ]
    ProposalSnapshot.objects.create(
        proposal=proposal,
        version=proposal.version,
        transition=transition,
        pro_forma=proposal.pro_forma,
        partners=partners,
        documents=documents,
        summary_of_changes=summary,
        taken_by=by,
    )


def _confirm_recorded(proposal: Proposal) -> None:
    from . import notifications as notify

    staff = notify.ccg_staff_emails([proposal.ccg_id])
    enqueue_email(
        key=f"recorded:{proposal.pk}:{proposal.version}",
        to=notify.proposal_contacts(proposal, staff),
        subject=f"{proposal.ccg}'s greater involvement arrangement {proposal.reference} "
        "is recorded",
        body=(
            f"{proposal.ccg}'s greater involvement arrangement with "
            f"{proposal.ccg.area_team} was recorded on {notify.when(proposal.decided_at)} "
            f"with reference {proposal.reference}.\n\nThere is no review: the arrangement is "
            f"in place. See it at {notify.site_url()}\n"
        ),
    )


def _unmet_conditions(proposal: Proposal, transition: str) -> list[str]:
    meta = getattr(proposal, transition)._django_fsm
    if not meta.has_transition(proposal.state):
        return []
    conditions = meta.get_transition(proposal.state).conditions or []
    return [check.message for check in conditions if not check(proposal)]


def submit(
    *, proposal: Proposal, by: User, expected_version: int, summary_of_changes: str = ""
) -> Submitted:
    """Submit a draft, resubmit after a request for changes, or record a greater involvement
    arrangement: whichever the proposal is ready for. Idempotent: the same page posted twice
    submits once, and the second request is told it already happened."""
    with transaction.atomic():
        locked = _lock(proposal)
        if not is_lead_ccg_staff(locked, by):
            raise NotPermitted("Only the lead CCG's staff can submit its proposal.")
        if locked.state not in EDITABLE_STATES:
            earlier = locked.transitions.filter(
                name__in=SUBMITTING_TRANSITIONS, proposal_version=expected_version + 1
            ).exists()
            if earlier:
                return Submitted(locked, replayed=True)
        if locked.version != expected_version:
            raise ProposalChanged(
                f"{locked.reference} was changed since you checked your answers "
                f"(it is now {locked.get_state_display().lower()}). Check them again."
            )
        if locked.state == ProposalState.CHANGES_REQUESTED and not summary_of_changes.strip():
            raise InvalidProposal("Enter a summary of what you changed.")
        if locked.model == CommissioningModel.GREATER_INVOLVEMENT:
            name = "record"
        elif locked.state == ProposalState.CHANGES_REQUESTED:
            name = "resubmit"
        else:
            name = "submit"
        documents = list(ProposalDocument.objects.filter(proposal=locked))
        missing = [f"Upload the {label.lower()}." for label in missing_documents(locked, documents)]
        if missing:
            # The documents are our rule, not the state machine's: list them together with
            # the state machine's unmet conditions, so the page says everything at once.
            unmet = [*_unmet_conditions(locked, name), *missing]
            raise TransitionRefused(" ".join(unmet), unmet=unmet)
        if name == "record":
            result = services.record_greater_involvement(proposal=locked, by=by)
            _confirm_recorded(result)
        elif name == "resubmit":
            result = services.resubmit_proposal(
                proposal=locked,
                by=by,
                summary_of_changes=summary_of_changes,
                expected_version=expected_version,
            )
        else:
            result = services.submit_proposal(
                proposal=locked, by=by, expected_version=expected_version
            )
        _snapshot(result, transition=name, by=by, summary=summary_of_changes.strip())
    return Submitted(result, replayed=False)


def withdraw(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    """Withdraw before a decision. Not tied to the version the page showed: a CCG that has
    decided to withdraw should not be stopped because a reviewer opened the proposal."""
    with transaction.atomic():
        locked = _lock(proposal)
        if not is_lead_ccg_staff(locked, by):
            raise NotPermitted("Only the lead CCG's staff can withdraw its proposal.")
        if locked.state == ProposalState.WITHDRAWN:
            return locked  # a replayed request: it is already withdrawn
        return services.withdraw_proposal(proposal=locked, by=by, reason=reason)


# -- comments ----------------------------------------------------------------------------------


def can_comment(proposal: Proposal, user: Any) -> bool:
    """Area team staff comment on their CCGs' proposals; the region's reviewers may too."""
    return is_area_team_staff(proposal, user) or is_regional_reviewer(proposal, user)


def add_comment(*, proposal: Proposal, by: User, text: str) -> ProposalEvent:
    text = (text or "").strip()
    if not can_comment(proposal, by):
        raise NotPermitted("You cannot comment on this proposal.")
    if not text:
        raise InvalidProposal("Enter your comment.")
    with transaction.atomic():
        _lock(proposal)  # serialises a double click, so the check below sees the first
        # The same comment from the same person within a minute is a double click or a
        # replayed request, not something they meant to say twice.
        duplicate = ProposalEvent.objects.filter(
            proposal=proposal,
            kind=ProposalEvent.Kind.COMMENT,
            actor=by,
            detail=text,
            at__gte=timezone.now() - dt.timedelta(minutes=1),
        ).first()
        if duplicate is not None:
            return duplicate
        return services.record_event(
            proposal=proposal, kind=ProposalEvent.Kind.COMMENT, by=by, detail=text
        )
