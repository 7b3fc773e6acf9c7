"""Who may perform each proposal transition. Each rule takes (proposal, actor) so that
django-fsm can ask it; the actor is a User or the SYSTEM actor used by scheduled work."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models.users import Role

if TYPE_CHECKING:
    from .models import Proposal


@dataclass(frozen=True)
class SystemActor:
    """The scheduler acting on a deadline: nobody signed in, but still named in the audit."""

    name: str = "System (deadline sweep)"

    is_active = True
    is_authenticated = False
    role = None
    pk = None

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()


def _is_active_user(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def is_lead_ccg_staff(proposal: "Proposal", actor: Any) -> bool:
    return (
        _is_active_user(actor) and actor.role == Role.CCG_STAFF and actor.ccg_id == proposal.ccg_id
    )


def is_area_team_staff(proposal: "Proposal", actor: Any) -> bool:
    return (
        _is_active_user(actor)
        and actor.role == Role.AREA_TEAM
        and actor.area_team_id == proposal.ccg.area_team_id
    )


def is_lead_ccg_or_area_team_staff(proposal: "Proposal", actor: Any) -> bool:
    return is_lead_ccg_staff(proposal, actor) or is_area_team_staff(proposal, actor)


def is_regional_reviewer(proposal: "Proposal", actor: Any) -> bool:
    return (
        _is_active_user(actor)
        and actor.role == Role.REGIONAL_REVIEWER
        and actor.region_id == proposal.ccg.area_team.region_id
    )


def is_committee_secretary(proposal: "Proposal", actor: Any) -> bool:
    return _is_active_user(actor) and actor.role == Role.COMMITTEE_SECRETARY


def is_system(proposal: "Proposal", actor: Any) -> bool:
    return actor is SYSTEM


def is_system_or_national_admin(proposal: "Proposal", actor: Any) -> bool:
    return is_system(proposal, actor) or (
        _is_active_user(actor) and actor.role == Role.NATIONAL_ADMIN
    )
