"""The transactional outbox: enqueue inside the transaction that makes the change; relay
after commit (and from a periodic task, for whatever a dead broker left behind)."""

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def _enqueue(kind: str, key: str, payload: dict[str, Any]) -> OutboxMessage | None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Outbox messages are enqueued inside the transaction of the change.")
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(kind=kind, dedupe_key=key, payload=payload)
    except IntegrityError:
        return None  # already enqueued by an earlier run of the same event
    transaction.on_commit(kick_relay)
    return message


def enqueue_email(*, key: str, to: Iterable[str], subject: str, body: str) -> OutboxMessage | None:
    recipients = sorted({address.strip().lower() for address in to if address and address.strip()})
    if not recipients:
        return None
    return _enqueue(
        OutboxMessage.Kind.EMAIL, key, {"to": recipients, "subject": subject, "body": body}
    )


def enqueue_emails(messages: Iterable[tuple[str, Iterable[str], str, str]]) -> int:
    """Many emails in one INSERT, for the sweep: (key, to, subject, body) each. Keys already
    enqueued are skipped by the database, so a second sweep adds nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Outbox messages are enqueued inside the transaction of the change.")
    rows = []
    for key, to, subject, body in messages:
        recipients = sorted({a.strip().lower() for a in to if a and a.strip()})
        if recipients:
            rows.append(
                OutboxMessage(
                    kind=OutboxMessage.Kind.EMAIL,
                    dedupe_key=key,
                    payload={"to": recipients, "subject": subject, "body": body},
                )
            )
    if rows:
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
        transaction.on_commit(kick_relay)
    return len(rows)


def enqueue_task(*, key: str, task: str, kwargs: dict[str, Any]) -> OutboxMessage | None:
    """A Celery task to run once the change has committed (by registered name, ids only)."""
    return _enqueue(OutboxMessage.Kind.TASK, key, {"task": task, "kwargs": kwargs})


def kick_relay() -> None:
    """Ask a worker to relay now. If the broker is down, say so and carry on: the periodic
    relay will find the rows when it is back, and the person's change is already saved."""
    from .tasks import relay_outbox

    try:
        # No publish retries: with the broker down, fail fast rather than hold up the page.
        relay_outbox.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - any broker failure must not undo a committed change
        logger.warning("outbox relay not queued: broker unavailable; the periodic relay will send")


def relay_pending(limit: int = 200) -> int:
    """Send what is pending; returns how many were sent. Safe to run concurrently: each row
    is claimed with SKIP LOCKED and marked sent in the same transaction."""
    from celery import current_app

    sent = 0
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS)
            .order_by("pk")[:limit]
        )
        for message in batch:
            message.attempts += 1
            try:
                if message.kind == OutboxMessage.Kind.EMAIL:
                    send_mail(
                        subject=message.payload["subject"],
                        message=message.payload["body"],
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        recipient_list=message.payload["to"],
                    )
                else:
                    # Through the registered task (not send_task), so eager mode applies.
                    task = current_app.tasks[message.payload["task"]]
                    task.apply_async(kwargs=message.payload["kwargs"], retry=False)
            except Exception as error:  # noqa: BLE001 - recorded on the row and retried
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                message.next_attempt_at = now + timedelta(minutes=2**message.attempts)
                logger.warning("outbox message %s failed: %s", message.pk, message.last_error)
            else:
                message.sent_at = timezone.now()
                message.last_error = ""
                sent += 1
        OutboxMessage.objects.bulk_update(
            batch, ["attempts", "sent_at", "last_error", "next_attempt_at"]
        )
    return sent
