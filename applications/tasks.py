"""Celery tasks stay thin: they take ids, re-fetch, and call a service."""

from celery import shared_task

from . import outbox


@shared_task(name="applications.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    return outbox.relay_pending()


@shared_task(name="applications.run_deadline_sweep", ignore_result=True)
def run_deadline_sweep() -> int:
    from .deadlines import run_sweep

    return run_sweep().pk
