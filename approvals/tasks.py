"""Celery tasks for packs and letters: they take ids, re-fetch, and call a service."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="approvals.generate_sign_off_pack", ignore_result=True)
def generate_sign_off_pack(pack_id: int) -> None:
    from .documents import generate_sign_off_pack as generate

    generate(pack_id=pack_id)


@shared_task(name="approvals.generate_decision_letter", ignore_result=True)
def generate_decision_letter(proposal_id: int, item_id: int | None = None) -> None:
    from .documents import generate_decision_letter as generate

    generate(proposal_id=proposal_id, item_id=item_id)
