"""Structured logs: one JSON line per request and per committed state change, each with the
request id; text people type (paths, reasons) cannot end a line or forge a record."""

import json
import logging

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse

from applications.deadlines import run_sweep
from applications.models import ProposalState
from applications.services import create_proposal, perform_transition
from cocommissioning.logs import JsonFormatter
from tests.factories import ccg_staff, london

FORGED = '\n{"level": "CRITICAL", "logger": "cocommissioning.requests", "message": "forged"}'


@pytest.fixture
def log_lines(caplog):
    """Every record as the production formatter writes it; returns a function that parses
    the output so far, insisting that it is exactly one JSON object per record."""
    caplog.set_level(logging.INFO)
    caplog.handler.setFormatter(JsonFormatter())

    def lines() -> list[dict]:
        text = caplog.text
        raw = text.splitlines()
        assert len(raw) == len(caplog.records), "a record spilled over more than one line"
        assert "\u2028" not in text and "\u2029" not in text and "\r" not in text
        return [json.loads(line) for line in raw]

    return lines


def of(lines: list[dict], logger: str) -> list[dict]:
    return [line for line in lines if line["logger"] == logger]


@pytest.mark.django_db
def test_one_line_per_request_with_its_id(client, ccg, log_lines):
    user = ccg_staff(ccg)
    client.force_login(user)
    response = client.get(reverse("ccg_start"), HTTP_X_REQUEST_ID="lb-4f2a.77:1")
    assert response["X-Request-ID"] == "lb-4f2a.77:1"
    anonymous = Client().get(reverse("home"))
    generated = anonymous["X-Request-ID"]
    assert len(generated) == 32

    requests = of(log_lines(), "cocommissioning.requests")
    assert len(requests) == 2
    first, second = requests
    assert first["method"] == "GET" and first["path"] == reverse("ccg_start")
    assert first["status"] == 200 and first["user_id"] == user.pk
    assert first["request_id"] == "lb-4f2a.77:1"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert second["user_id"] is None and second["request_id"] == generated
    assert second["level"] == "INFO" and second["time"].endswith("+00:00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    ["has spaces", "x" * 200, "new\nline", '{"json": 1}', "", "-leading-dash", "naïve"],
)
def test_a_request_id_that_is_not_a_plain_token_is_replaced(client, given, log_lines):
    response = client.get(reverse("home"), HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32
    (line,) = of(log_lines(), "cocommissioning.requests")
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_a_path_cannot_forge_a_log_line(client, log_lines):
    path = "/no-such-page/%0A%7B%22level%22:%20%22CRITICAL%22%7D%E2%80%A8%0D"
    response = client.get(path)
    assert response.status_code == 404
    lines = log_lines()
    assert not [line for line in lines if line["level"] == "CRITICAL"]
    (request,) = of(lines, "cocommissioning.requests")
    assert request["path"] == '/no-such-page/\n{"level": "CRITICAL"}\u2028\r'
    assert request["status"] == 404
    # Django's own "Not Found: <path>" warning goes through the same formatter.
    (not_found,) = of(lines, "django.request")
    assert not_found["message"].startswith("Not Found: /no-such-page/")
    assert "request" not in not_found  # the request object itself is not dumped
    assert not_found["request_id"] == request["request_id"]


def withdraw_form(client, proposal, reason):
    return client.post(
        reverse("proposal_withdraw", kwargs={"reference": proposal.reference}),
        {"reason": reason},
        HTTP_X_REQUEST_ID="withdraw-1",
    )


@pytest.mark.django_db(transaction=True)
def test_a_state_change_is_one_line_with_the_request_id_and_a_reason_cannot_forge(
    client, ccg, cycle, log_lines
):
    """Real commits (transactional test), as in production: the line is written when the
    change commits, inside the request that made it."""
    staff = ccg_staff(ccg)
    with time_machine.travel(london(2015, 1, 2, 10), tick=False):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
        client.force_login(staff)
        reason = f"Merging with a neighbour{FORGED}\u2028second line"
        response = withdraw_form(client, proposal, reason)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.WITHDRAWN

    lines = log_lines()
    changes = of(lines, "applications.transitions")
    assert [c["transition"] for c in changes] == ["create", "withdraw"]
    created, withdrawn = changes
    assert created["request_id"] is None  # made outside any request
    assert withdrawn == {
        **withdrawn,
        "event": "proposal_transition",
        "proposal_id": proposal.pk,
        "from_state": "draft",
        "to_state": "withdrawn",
        "proposal_version": proposal.version,
        "actor_id": staff.pk,
        "actor_role": "ccg_staff",
        "reason": reason.strip(),
        "request_id": "withdraw-1",
    }
    assert not [line for line in lines if line["level"] == "CRITICAL"]
    assert not [line for line in lines if line.get("message") == "forged"]
    (request,) = of(lines, "cocommissioning.requests")
    assert request["request_id"] == "withdraw-1" and request["status"] == 302


@pytest.mark.django_db
def test_bulk_transitions_of_the_sweep_log_one_line_each(
    ccg, partner_ccg, cycle, log_lines, django_capture_on_commit_callbacks
):
    with time_machine.travel(london(2015, 1, 2, 10), tick=False):
        drafts = [
            create_proposal(ccg=c, cycle=cycle, model="delegated", by=ccg_staff(c))
            for c in (ccg, partner_ccg)
        ]
    with (
        time_machine.travel(london(2015, 1, 6, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_sweep()
    lapses = [c for c in of(log_lines(), "applications.transitions") if c["transition"] == "lapse"]
    assert sorted(c["proposal_id"] for c in lapses) == sorted(p.pk for p in drafts)
    assert all(c["actor_role"] == "system" and c["actor_id"] is None for c in lapses)


@pytest.mark.django_db
def test_a_change_that_rolls_back_is_not_logged(
    ccg, cycle, log_lines, django_capture_on_commit_callbacks
):
    staff = ccg_staff(ccg)
    with time_machine.travel(london(2015, 1, 2, 10), tick=False):
        proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            perform_transition(proposal=proposal, transition="withdraw", by=staff)
            raise RuntimeError("the page failed after the change")
    assert not of(log_lines(), "applications.transitions")


@pytest.mark.django_db
@pytest.mark.urls("tests.security.urls_raising")
def test_an_error_is_logged_as_json_lines_with_its_traceback_escaped(log_lines):
    response = Client(raise_request_exception=False).get("/boom/", HTTP_X_REQUEST_ID="err-1")
    assert response.status_code == 500
    lines = log_lines()
    (error,) = of(lines, "django.request")
    assert error["level"] == "ERROR" and error["request_id"] == "err-1"
    assert "RuntimeError: something broke" in error["exception"]
    (request,) = of(lines, "cocommissioning.requests")
    assert request["status"] == 500 and request["request_id"] == "err-1"
