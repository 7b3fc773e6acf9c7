from .choices import REVIEWED_MODELS, CommissioningModel
from .cycles import Cycle, Deadline, DeadlineEvent
from .data_version import DataVersion
from .documents import DocumentKind, ProposalDocument
from .events import ProposalEvent, SweepRun
from .organisations import CCG, AreaTeam, Region
from .outbox import OutboxMessage
from .proposals import (
    Proposal,
    ProposalCondition,
    ProposalPartner,
    ProposalState,
    ProposalTransition,
)
from .snapshots import ProposalSnapshot
from .users import Role, User

__all__ = [
    "CCG",
    "REVIEWED_MODELS",
    "AreaTeam",
    "CommissioningModel",
    "Cycle",
    "DataVersion",
    "Deadline",
    "DeadlineEvent",
    "DocumentKind",
    "OutboxMessage",
    "Proposal",
    "ProposalCondition",
    "ProposalDocument",
    "ProposalEvent",
    "ProposalPartner",
    "ProposalSnapshot",
    "ProposalState",
    "ProposalTransition",
    "Region",
    "Role",
    "SweepRun",
    "User",
]
