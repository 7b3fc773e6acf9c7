"""The pages bench/pages.py measures run the same queries on ten times bench/data.py's data:
the same generator (every proposal through the real write paths) on a few CCGs, then on ten
times the CCGs, proposals and audit rows, each page's queries counted with Django's own
capture."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import CCG, Proposal, ProposalEvent, ProposalTransition, User
from bench import data
from bench.pages import pick_pages

pytestmark = pytest.mark.django_db


def measure(client) -> dict[str, int]:
    pages, usernames = pick_pages()
    counts = {}
    for page in pages:
        client.logout()
        if page.role:
            client.force_login(User.objects.get(username=usernames[page.role]))
        client.get(page.path)  # the session's first request stamps its limits (and builds)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path)
        assert response.status_code == 200, page.name
        assert page.expect in response.content.decode(), page.name
        counts[page.name] = len(queries)
    return counts


def agenda_items() -> int:
    """Items on the agenda bench/pages.py measures: an empty one would skip its queries."""
    from approvals.models import AgendaItem

    pages, _ = pick_pages()
    path = next(p.path for p in pages if p.name == "committee agenda")
    return AgendaItem.objects.filter(meeting_id=int(path.strip("/").split("/")[-1])).count()


def audit_rows() -> int:
    return ProposalTransition.objects.count() + ProposalEvent.objects.count()


def test_the_benchmarked_pages_run_the_same_queries_on_ten_times_the_data(client, settings):
    settings.PAGE_CACHE = False  # the pages' own queries, every time
    years = data.prepare_world(scale=1, limit=10)
    data.play(years=years, seed=7, redrafts=3, say=lambda _: None)
    ccgs, proposals, rows = CCG.objects.count(), Proposal.objects.count(), audit_rows()
    small = measure(client)
    assert agenda_items() > 0

    real = set(CCG.objects.values_list("ods_code", flat=True))
    data.copy_country(10, None)
    twins = set(CCG.objects.values_list("ods_code", flat=True)) - real
    data.play(years=years, seed=8, redrafts=3, only=twins, say=lambda _: None)
    assert CCG.objects.count() == 10 * ccgs
    assert Proposal.objects.count() >= 6 * proposals
    assert audit_rows() >= 6 * rows
    large = measure(client)
    assert agenda_items() > 0

    assert set(small) == {
        "CCG start page",
        "reviewer queue",
        "proposal page",
        "committee agenda",
        "national dashboard",
        "public register",
    }
    assert large == small
