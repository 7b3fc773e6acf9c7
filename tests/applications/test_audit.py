import pytest
from django.db import DatabaseError, connection, transaction

from applications.models import ProposalTransition
from applications.services import create_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_row(ccg, cycle, actors):
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=actors["lead_ccg_staff"])
    return proposal.transitions.get()


def test_the_database_refuses_to_update_an_audit_row(audit_row):
    with (
        pytest.raises(DatabaseError, match="cannot be update"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE applications_proposaltransition SET reason = 'rewritten' WHERE id = %s",
            [audit_row.pk],
        )
    assert ProposalTransition.objects.get(pk=audit_row.pk).reason == ""


def test_the_database_refuses_to_delete_an_audit_row(audit_row):
    with (
        pytest.raises(DatabaseError, match="cannot be delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM applications_proposaltransition WHERE id = %s", [audit_row.pk])
    assert ProposalTransition.objects.filter(pk=audit_row.pk).exists()


def test_the_orm_refuses_too_before_reaching_the_database(audit_row):
    audit_row.reason = "rewritten"
    with pytest.raises(PermissionError):
        audit_row.save()
    with pytest.raises(PermissionError):
        audit_row.delete()
    with pytest.raises(PermissionError):
        ProposalTransition.objects.filter(pk=audit_row.pk).update(reason="x")
    with pytest.raises(PermissionError):
        ProposalTransition.objects.all().delete()
    assert ProposalTransition.objects.get(pk=audit_row.pk).reason == ""


def test_a_refused_transition_writes_no_audit_row_and_a_failed_one_rolls_back(
    ccg, cycle, actors, monkeypatch
):
    from applications import services

    proposal = create_proposal(ccg=ccg, cycle=cycle, model="joint", by=actors["lead_ccg_staff"])

    def broken_record(*args, **kwargs):
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(services, "_record", broken_record)
    with pytest.raises(RuntimeError):
        services.withdraw_proposal(proposal=proposal, by=actors["lead_ccg_staff"], reason="x")
    proposal.refresh_from_db()
    # The state change and its audit row commit together or not at all.
    assert proposal.state == "draft"
    assert proposal.transitions.count() == 1
