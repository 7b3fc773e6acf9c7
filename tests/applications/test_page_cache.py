"""Kept pages (applications.page_cache): served again only to the same person, for the same
data, in the same minute; any committed change shows on the next request; every form in a
kept page posts; the CSP nonce is this response's."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import actions, services
from applications.models import DataVersion, ProposalState
from applications.page_cache import data_version
from tests import factories

pytestmark = pytest.mark.django_db

NONCE = re.compile(r'<script[^>]* nonce="([^"]+)"')


def get(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, len(queries)


@pytest.fixture
def proposal(ccg, cycle, actors):
    return services.create_proposal(
        ccg=ccg, cycle=cycle, model="delegated", by=actors["lead_ccg_staff"]
    )


def test_a_page_is_kept_until_the_data_changes(client, ccg, actors, proposal):
    client.force_login(actors["lead_ccg_staff"])
    url = reverse("ccg_start")
    first, built = get(client, url)
    again, served = get(client, url)
    assert first.page_cache_hit is False and again.page_cache_hit is True
    assert again.content == first.content.replace(
        NONCE.search(first.content.decode()).group(1).encode(),
        NONCE.search(again.content.decode()).group(1).encode(),
    ).replace(
        re.search(rb'csrfmiddlewaretoken" value="([^"]+)"', first.content).group(1),
        re.search(rb'csrfmiddlewaretoken" value="([^"]+)"', again.content).group(1),
    )
    # Only the session, the user, the data version and the session's save.
    assert served < built and served <= 6

    before = data_version()
    services.withdraw_proposal(
        proposal=proposal, by=actors["lead_ccg_staff"], reason="Not this year."
    )
    assert data_version() > before
    changed, _ = get(client, url)
    assert changed.page_cache_hit is False
    assert "Withdrawn" in changed.content.decode()


def test_people_never_get_each_others_pages(client, ccg, actors, proposal):
    colleague = factories.ccg_staff(ccg, first_name="Zadie", last_name="Colleague")
    client.force_login(actors["lead_ccg_staff"])
    url = reverse("proposal_overview", args=[proposal.reference])
    get(client, url)
    assert get(client, url)[0].page_cache_hit is True

    other = Client()
    other.force_login(colleague)
    theirs, _ = get(other, url)
    assert theirs.page_cache_hit is False
    assert "Zadie Colleague" in theirs.content.decode()
    assert "Zadie Colleague" not in get(client, url)[0].content.decode()


def test_a_kept_page_carries_this_responses_nonce_and_a_working_csrf_token(
    ccg, cycle, actors, proposal
):
    area = Client(enforce_csrf_checks=True)
    area.force_login(actors["area_team_staff"])
    url = reverse("proposal_overview", args=[proposal.reference])
    get(area, url)
    kept, _ = get(area, url)
    assert kept.page_cache_hit is True
    body = kept.content.decode()
    nonces = set(NONCE.findall(body))
    assert len(nonces) == 1
    assert f"'nonce-{nonces.pop()}'" in kept["Content-Security-Policy"]
    assert "%%page-cache" not in body
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    posted = area.post(
        reverse("proposal_comment", args=[proposal.reference]),
        {"csrfmiddlewaretoken": token, "text": "The area team supports this."},
    )
    assert posted.status_code == 302
    after = area.get(url)
    assert after.page_cache_hit is False  # the comment changed the data
    assert "The area team supports this." in after.content.decode()


def test_a_page_showing_a_message_is_never_kept(client, ccg, actors, proposal):
    client.force_login(actors["area_team_staff"])
    url = reverse("proposal_overview", args=[proposal.reference])
    client.post(reverse("proposal_comment", args=[proposal.reference]), {"text": "Looks complete."})
    shown, _ = get(client, url)
    assert "Your comment was added." in shown.content.decode()
    assert shown.page_cache_hit is False
    # The message has been seen: the next page is built without it, and kept.
    next_one, _ = get(client, url)
    assert "Your comment was added." not in next_one.content.decode()
    assert next_one.page_cache_hit is False
    assert get(client, url)[0].page_cache_hit is True


def test_a_new_minute_builds_the_page_again(client, ccg, actors, proposal):
    client.force_login(actors["lead_ccg_staff"])
    url = reverse("ccg_start")
    with time_machine.travel(dt.datetime(2014, 12, 1, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        get(client, url)
        assert get(client, url)[0].page_cache_hit is True
    with time_machine.travel(dt.datetime(2014, 12, 1, 10, 1, 0, tzinfo=dt.UTC), tick=False):
        assert get(client, url)[0].page_cache_hit is False


def test_a_refused_page_is_never_kept_nor_served(client, ccg, actors, proposal):
    url = reverse("proposal_overview", args=[proposal.reference])
    client.force_login(actors["lead_ccg_staff"])
    get(client, url)
    client.force_login(actors["foreign_ccg_staff"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_the_register_answers_a_conditional_request_from_a_kept_page(client, proposal):
    url = reverse("uptake:register")
    first = client.get(url)
    kept = client.get(url)
    assert kept.page_cache_hit is True and kept["ETag"] == first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_a_bulk_update_bumps_the_version_too(proposal):
    from applications.models import Proposal

    before = data_version()
    Proposal.objects.filter(pk=proposal.pk).update(version=proposal.version + 1)
    assert data_version() > before


def test_the_version_moves_only_when_a_change_commits(transactional_db, ccg, cycle, actors):
    # An earlier test that committed had its tables flushed, this row with them: the
    # fixtures' own changes have put it back.
    before = DataVersion.objects.get().version
    with transaction.atomic():
        proposal = services.create_proposal(
            ccg=ccg, cycle=cycle, model="joint", by=actors["lead_ccg_staff"]
        )
        # Deferred to the commit: nobody sees a new version before the change itself.
        assert DataVersion.objects.get().version == before
    committed = DataVersion.objects.get().version
    # Once for the transaction, however many rows it wrote (the proposal, its audit row):
    # a transaction of a million rows must not update the version row a million times.
    assert committed == before + 1
    with transaction.atomic():
        for n in range(30):
            actions.save_section(
                proposal=proposal,
                section="contact",
                answers={"contact_name": f"Draft {n}"},
                by=actors["lead_ccg_staff"],
            )
    assert DataVersion.objects.get().version == committed + 1
    committed += 1

    with pytest.raises(RuntimeError), transaction.atomic():
        actions.save_section(
            proposal=proposal,
            section="contact",
            answers={"contact_name": "Rolled Back"},
            by=actors["lead_ccg_staff"],
        )
        raise RuntimeError("the request failed")
    assert DataVersion.objects.get().version == committed
    assert proposal.state == ProposalState.DRAFT


def test_every_table_a_page_shows_is_watched():
    """A new table must be added to the triggers (applications/0007, approvals/0003) or to
    the tables that pages never show."""
    never_shown = {
        "applications_dataversion",
        "applications_outboxmessage",
        "applications_sweeprun",
        "applications_user_groups",
        "applications_user_user_permissions",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND (tablename LIKE 'applications\\_%%' OR tablename LIKE 'approvals\\_%%')"
        )
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'data_version'"
        )
        watched = {row[0] for row in cursor.fetchall()}
    assert "applications_proposal" in watched and "approvals_review" in watched
    assert tables - never_shown == watched


def test_without_a_version_row_nothing_is_kept_until_a_change_brings_it_back(
    client, ccg, cycle, actors, proposal
):
    DataVersion.objects.all().delete()
    client.force_login(actors["lead_ccg_staff"])
    url = reverse("ccg_start")
    get(client, url)
    assert get(client, url)[0].page_cache_hit is False
    services.withdraw_proposal(proposal=proposal, by=actors["lead_ccg_staff"], reason="No.")
    restarted = data_version()
    assert restarted > 1_700_000_000_000  # the time in milliseconds
    get(client, url)
    assert get(client, url)[0].page_cache_hit is True


def test_switched_off_every_page_is_built(client, settings, actors, proposal):
    settings.PAGE_CACHE = False
    client.force_login(actors["lead_ccg_staff"])
    url = reverse("ccg_start")
    assert get(client, url)[0].page_cache_hit is False
    assert get(client, url)[0].page_cache_hit is False


def test_the_register_shows_nothing_of_the_clock_so_it_is_kept_across_minutes(client, proposal):
    url = reverse("uptake:register")
    with time_machine.travel(dt.datetime(2014, 12, 1, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        client.get(url)
    with time_machine.travel(dt.datetime(2014, 12, 1, 10, 7, 0, tzinfo=dt.UTC), tick=False):
        assert client.get(url).page_cache_hit is True


def test_a_process_serves_its_recent_pages_without_the_shared_cache(client, actors, proposal):
    from django.core.cache import cache

    client.force_login(actors["lead_ccg_staff"])
    url = reverse("ccg_start")
    get(client, url)
    cache.clear()  # the shared copy gone: this process still has its own
    assert get(client, url)[0].page_cache_hit is True
    services.withdraw_proposal(proposal=proposal, by=actors["lead_ccg_staff"], reason="No.")
    assert get(client, url)[0].page_cache_hit is False  # a new version: neither copy fits
