"""Write paths for proposals. Each is atomic: the state change, its audit row and any
side effect's outbox row commit together or not at all."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .errors import InvalidProposal, NotPermitted, ProposalChanged, TransitionRefused
from .models import (
    CCG,
    CommissioningModel,
    Cycle,
    Proposal,
    ProposalEvent,
    ProposalPartner,
    ProposalState,
    ProposalTransition,
    User,
)
from .models.proposals import ARRANGEMENT_STATES, IN_FLIGHT_STATES
from .permissions import SYSTEM, SystemActor, is_lead_ccg_or_area_team_staff, is_lead_ccg_staff
from .transition_log import log_after_commit

Actor = User | SystemActor


def _actor_fields(by: Actor) -> dict[str, Any]:
    if isinstance(by, SystemActor):
        return {"actor": None, "actor_name": by.name, "actor_role": "system"}
    return {
        "actor": by,
        "actor_name": by.get_full_name() or by.get_username(),
        "actor_role": by.role,
    }


def _record(proposal: Proposal, *, name: str, from_state: str, by: Actor, reason: str) -> None:
    row = ProposalTransition.objects.create(
        proposal=proposal,
        name=name,
        from_state=from_state,
        to_state=proposal.state,
        reason=reason,
        proposal_version=proposal.version,
        **_actor_fields(by),
    )
    log_after_commit([row])


def record_event(
    *, proposal: Proposal, kind: str, by: Actor, detail: str = "", data: dict | None = None
) -> ProposalEvent:
    """Record something that happened to a proposal without changing its state."""
    fields = _actor_fields(by)
    fields.pop("actor_role")
    return ProposalEvent.objects.create(
        proposal=proposal, kind=kind, detail=detail, data=data or {}, **fields
    )


def _lock(proposal: Proposal | int) -> Proposal:
    pk = proposal if isinstance(proposal, int) else proposal.pk
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("cycle", "ccg__area_team__region")
        .get(pk=pk)
    )


def current_arrangement(ccg: CCG) -> Proposal | None:
    """The CCG's highest agreed or live arrangement, which a new proposal moves up from."""
    arrangements = list(Proposal.objects.filter(ccg=ccg, state__in=ARRANGEMENT_STATES))
    if not arrangements:
        return None
    return max(arrangements, key=lambda p: (CommissioningModel.level(p.model), p.created_at))


def perform_transition(
    *,
    proposal: Proposal | int,
    transition: str,
    by: Actor,
    reason: str = "",
    expected_version: int | None = None,
) -> Proposal:
    """Lock the proposal, check the transition is possible, permitted and its conditions
    met, apply it and write its audit row, all in one transaction. A second caller racing
    on the same proposal waits for the lock and then finds the state already moved on."""
    with transaction.atomic():
        locked = _lock(proposal)
        if expected_version is not None and locked.version != expected_version:
            raise ProposalChanged(
                f"{locked.reference} was changed by someone else while you were looking at it "
                f"(it is now {locked.get_state_display().lower()}). Check it and try again."
            )
        method = getattr(locked, transition)
        meta = method._django_fsm
        from_state = locked.state
        if not meta.has_transition(from_state):
            label = transition.replace("_", " ")
            raise TransitionRefused(
                f"A proposal that is {locked.get_state_display().lower()} cannot be "
                f"given the action '{label}'."
            )
        if not meta.has_transition_perm(locked, from_state, by):
            raise NotPermitted("You do not have permission to do this to this proposal.")
        conditions = meta.get_transition(from_state).conditions or []
        unmet = [c.message for c in conditions if not c(locked)]
        if unmet:
            raise TransitionRefused(" ".join(unmet), unmet=unmet)
        method()
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _record(locked, name=transition, from_state=from_state, by=by, reason=reason)
    return locked


def perform_bulk_transition(
    *, proposals: list[Proposal], transition: str, by: Actor, reason: str = ""
) -> list[Proposal]:
    """Apply one transition to many proposals the caller has already locked (SELECT ...
    FOR UPDATE, with cycle deadlines and conditions prefetched), in a constant number of
    queries. The same transition definitions decide: proposals whose state, permission or
    conditions do not allow it are left alone and not returned."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Bulk transitions run inside the transaction holding the locks.")
    now = timezone.now()
    stamped = ("submitted_at", "decided_at", "live_at")
    moved: list[tuple[Proposal, str]] = []
    touched: set[str] = set()
    for proposal in proposals:
        method = getattr(proposal, transition)
        meta = method._django_fsm
        from_state = proposal.state
        if not (
            meta.has_transition(from_state)
            and meta.has_transition_perm(proposal, from_state, by)
            and meta.conditions_met(proposal, from_state)
        ):
            continue
        before = [getattr(proposal, name) for name in stamped]
        method()
        # One pass, one moment: whatever the transition stamped gets the same time, so the
        # whole batch is a single UPDATE rather than a CASE per row.
        for name, value in zip(stamped, before, strict=True):
            if getattr(proposal, name) != value:
                setattr(proposal, name, now)
                touched.add(name)
        proposal.version += 1
        proposal.updated_at = now
        moved.append((proposal, from_state))
    if not moved:
        return []
    changed = [proposal for proposal, _ in moved]
    fields = ["state", "updated_at", *sorted(touched)]
    if all(len({getattr(p, name) for p in changed}) == 1 for name in fields):
        Proposal.objects.filter(pk__in=[p.pk for p in changed]).update(
            version=F("version") + 1, **{name: getattr(changed[0], name) for name in fields}
        )
    else:
        Proposal.objects.bulk_update(changed, ["version", *fields])
    actor = _actor_fields(by)
    rows = ProposalTransition.objects.bulk_create(
        ProposalTransition(
            proposal=proposal,
            name=transition,
            from_state=from_state,
            to_state=proposal.state,
            reason=reason,
            proposal_version=proposal.version,
            at=now,
            **actor,
        )
        for proposal, from_state in moved
    )
    log_after_commit(rows)
    return changed


def require_text(value: str, what: str) -> str:
    """The trimmed text, or a domain error asking the person to enter it."""
    value = (value or "").strip()
    if not value:
        raise InvalidProposal(f"Enter {what}.")
    return value


def _require_reason(reason: str, what: str) -> str:
    return require_text(reason, f"the reason for {what}")


# -- creating and editing ---------------------------------------------------------------


def _next_reference(*, ccg: CCG, cycle: Cycle, model: str) -> str:
    letter = {"greater_involvement": "G", "joint": "J", "delegated": "D"}[model]
    count = Proposal.objects.filter(ccg=ccg, cycle=cycle).count()
    return f"CC{cycle.code}-{ccg.ods_code}-{letter}{count + 1}"


def create_proposal(
    *,
    ccg: CCG,
    cycle: Cycle,
    model: str,
    by: User,
    partners: Iterable[CCG] = (),
    carried_from: Proposal | None = None,
) -> Proposal:
    """Start a draft. A CCG that already has an arrangement may only move up a level."""
    if model not in CommissioningModel.values:
        raise InvalidProposal("Choose greater involvement, joint or delegated commissioning.")
    if not (by.is_active and by.role == "ccg_staff" and by.ccg_id == ccg.pk) and not (
        carried_from is not None and by.role == "national_admin"
    ):
        raise NotPermitted("Only the CCG's own staff can start its proposal.")
    partners = list(partners)
    if partners and model != CommissioningModel.JOINT:
        raise InvalidProposal("Only a joint proposal has partner CCGs.")
    if any(p.pk == ccg.pk for p in partners):
        raise InvalidProposal("The lead CCG cannot also be a partner.")
    current = current_arrangement(ccg)
    if current is not None and CommissioningModel.level(model) <= CommissioningModel.level(
        current.model
    ):
        raise InvalidProposal(
            f"{ccg} already has {current.get_model_display().lower()}; "
            "a new proposal must move up to a higher level."
        )
    with transaction.atomic():
        if (
            Proposal.objects.select_for_update()
            .filter(ccg=ccg, cycle=cycle, state__in=IN_FLIGHT_STATES)
            .exists()
        ):
            raise InvalidProposal(
                f"{ccg} already has a proposal in progress for {cycle}. "
                "Withdraw it before starting another."
            )
        proposal = Proposal(
            reference=_next_reference(ccg=ccg, cycle=cycle, model=model),
            cycle=cycle,
            ccg=ccg,
            model=model,
            supersedes=current,
            carried_from=carried_from,
            created_by=by,
            pro_forma=dict(carried_from.pro_forma) if carried_from else {},
        )
        try:
            with transaction.atomic():
                proposal.save()
        except IntegrityError as error:
            raise InvalidProposal(
                f"{ccg} already has a proposal in progress for {cycle}."
            ) from error
        for partner in partners:
            ProposalPartner.objects.create(proposal=proposal, ccg=partner)
        reason = f"Carried forward from {carried_from.reference}" if carried_from else ""
        _record(proposal, name="create", from_state="", by=by, reason=reason)
    return proposal


def save_pro_forma_section(
    *,
    proposal: Proposal,
    section: str,
    answers: Mapping[str, Any],
    by: User,
    expected_version: int | None = None,
) -> Proposal:
    """Save one section's answers as a draft. Editable while the CCG holds the pen."""
    with transaction.atomic():
        locked = _lock(proposal)
        if not is_lead_ccg_staff(locked, by):
            raise NotPermitted("Only the lead CCG's staff can edit its pro forma.")
        if locked.state not in (ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED):
            raise TransitionRefused(
                f"A proposal that is {locked.get_state_display().lower()} cannot be edited."
            )
        if expected_version is not None and locked.version != expected_version:
            raise ProposalChanged(f"{locked.reference} was changed since you opened it.")
        if section not in {s.key for s in _sections(locked)}:
            raise InvalidProposal(f"This proposal has no section '{section}'.")
        locked.pro_forma = {**locked.pro_forma, section: dict(answers)}
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["pro_forma", "version", "updated_at"])
    return locked


def _sections(proposal: Proposal):
    from .pro_forma import sections_for

    return sections_for(proposal.model)


def confirm_partner_agreement(
    *, proposal: Proposal, partner: CCG, by: User, governing_body_agreed_on
) -> ProposalPartner:
    with transaction.atomic():
        locked = _lock(proposal)
        link = ProposalPartner.objects.select_for_update().get(proposal=locked, ccg=partner)
        if not (by.is_active and by.role == "ccg_staff" and by.ccg_id == partner.pk):
            raise NotPermitted("Only the partner CCG's own staff can confirm its agreement.")
        if locked.state not in (ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED):
            raise TransitionRefused("Agreement can only be confirmed before submission.")
        link.agreed_at = timezone.now()
        link.agreed_by = by
        link.governing_body_agreed_on = governing_body_agreed_on
        link.save()
        locked.version += 1
        locked.save(update_fields=["version"])
    return link


# -- the CCG's transitions --------------------------------------------------------------


def _confirm_submission(proposal: Proposal, *, resubmitted: bool) -> None:
    """Email the CCG's contacts, through the outbox, in the submission's transaction: the
    submission stands even if the broker is down, and the email follows when it is back."""
    from . import notifications as notify
    from .outbox import enqueue_email

    staff = notify.ccg_staff_emails([proposal.ccg_id])
    verb = "resubmitted" if resubmitted else "submitted"
    enqueue_email(
        key=f"{verb}:{proposal.pk}:{proposal.version}",
        to=notify.proposal_contacts(proposal, staff),
        subject=f"{proposal.ccg}'s proposal {proposal.reference} has been {verb}",
        body=(
            f"{proposal.ccg}'s {proposal.get_model_display().lower()} proposal "
            f"{proposal.reference} was {verb} on {notify.when(proposal.submitted_at)}.\n\n"
            f"NHS England's {proposal.ccg.area_team.region} regional office will review it. "
            f"You can follow its progress at {notify.site_url()}\n"
        ),
    )


def submit_proposal(
    *, proposal: Proposal, by: User, expected_version: int | None = None
) -> Proposal:
    with transaction.atomic():
        submitted = perform_transition(
            proposal=proposal, transition="submit", by=by, expected_version=expected_version
        )
        _confirm_submission(submitted, resubmitted=False)
    return submitted


def record_greater_involvement(*, proposal: Proposal, by: User) -> Proposal:
    if not is_lead_ccg_or_area_team_staff(proposal, by):
        raise NotPermitted("Only the CCG's or its area team's staff can record this.")
    return perform_transition(proposal=proposal, transition="record", by=by)


def resubmit_proposal(
    *,
    proposal: Proposal,
    by: User,
    summary_of_changes: str = "",
    expected_version: int | None = None,
) -> Proposal:
    with transaction.atomic():
        resubmitted = perform_transition(
            proposal=proposal,
            transition="resubmit",
            by=by,
            reason=summary_of_changes.strip(),
            expected_version=expected_version,
        )
        _confirm_submission(resubmitted, resubmitted=True)
    return resubmitted


def withdraw_proposal(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    return perform_transition(
        proposal=proposal,
        transition="withdraw",
        by=by,
        reason=_require_reason(reason, "withdrawing the proposal"),
    )


# -- the system's transitions -----------------------------------------------------------


def lapse_proposal(*, proposal: Proposal | int) -> Proposal:
    return perform_transition(
        proposal=proposal,
        transition="lapse",
        by=SYSTEM,
        reason="Not submitted by the deadline",
    )


def go_live(*, proposal: Proposal | int, by: Actor = SYSTEM) -> Proposal:
    return perform_transition(
        proposal=proposal, transition="go_live", by=by, reason="Go-live date reached"
    )


def carry_forward(*, proposal: Proposal, to_cycle: Cycle, by: User) -> Proposal:
    """Start a draft in a later cycle from a proposal that closed at its deadline, keeping
    its answers and partners."""
    if proposal.state != ProposalState.LAPSED:
        raise TransitionRefused("Only a proposal closed at its deadline can be carried forward.")
    if hasattr(proposal, "carried_to"):
        raise InvalidProposal(
            f"{proposal.reference} was already carried forward to {proposal.carried_to.reference}."
        )
    if to_cycle.starts_on <= proposal.cycle.starts_on:
        raise InvalidProposal("A proposal can only be carried forward to a later cycle.")
    return create_proposal(
        ccg=proposal.ccg,
        cycle=to_cycle,
        model=proposal.model,
        by=by,
        partners=[link.ccg for link in proposal.partner_links.select_related("ccg")],
        carried_from=proposal,
    )
