"""One structured log line per committed state change of a proposal.

services._record and services.perform_bulk_transition hand their audit rows here; each line
is written only after the transaction commits, so a change that rolled back is never logged.
The audit table stays the record; these lines let operations follow changes alongside the
request that made them (the JSON formatter adds its request id)."""

import logging
from collections.abc import Iterable

from django.db import transaction

logger = logging.getLogger("applications.transitions")


def _line(row) -> dict:
    return {
        "event": "proposal_transition",
        "proposal_id": row.proposal_id,
        "transition": row.name,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "proposal_version": row.proposal_version,
        "actor_id": row.actor_id,
        "actor_role": row.actor_role,
        "reason": row.reason,
    }


def log_after_commit(rows: Iterable) -> None:
    lines = [_line(row) for row in rows]

    def write() -> None:
        for line in lines:
            logger.info("proposal transition", extra={"fields": line})

    transaction.on_commit(write)
