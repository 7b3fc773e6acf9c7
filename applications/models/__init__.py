from .choices import REVIEWED_MODELS, CommissioningModel
from .cycles import Cycle, Deadline, DeadlineEvent
from .organisations import CCG, AreaTeam, Region
from .proposals import (
    Proposal,
    ProposalCondition,
    ProposalPartner,
    ProposalState,
    ProposalTransition,
)
from .users import Role, User

__all__ = [
    "CCG",
    "REVIEWED_MODELS",
    "AreaTeam",
    "CommissioningModel",
    "Cycle",
    "Deadline",
    "DeadlineEvent",
    "Proposal",
    "ProposalCondition",
    "ProposalPartner",
    "ProposalState",
    "ProposalTransition",
    "Region",
    "Role",
    "User",
]
