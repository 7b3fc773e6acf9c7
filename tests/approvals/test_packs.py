"""The sign-off pack as its readers get it: read back with poppler's tools."""

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from approvals.models import SignOffPack
from approvals.services import (
    add_to_agenda,
    create_meeting,
    recommend_to_committee,
    record_committee_decision,
    request_sign_off_pack,
)
from tests.approvals.conftest import reviewed_proposal
from tests.factories import london

pytestmark = pytest.mark.django_db


def meeting_with(count, make_ccg, cycle, actors, label="Number"):
    secretary, region_reviewer = actors["committee_secretary"], actors["regional_reviewer"]
    meeting = create_meeting(
        cycle=cycle,
        meets_at=london(2015, 2, 16, 10),
        by=secretary,
        location="Skipton House, London",
        members="Sir Malcolm Grant, Chair\nSimon Stevens, Chief Executive",
    )
    for index in range(count):
        proposal = reviewed_proposal(
            make_ccg(name=f"NHS Pack Test {label} {index + 1} CCG"), cycle, region_reviewer
        )
        proposal = recommend_to_committee(proposal=proposal, by=region_reviewer, recommend=True)
        add_to_agenda(meeting=meeting, proposal=proposal, by=secretary)
    return meeting


def generate(meeting, by, capture) -> SignOffPack:
    with capture(execute=True):
        pack = request_sign_off_pack(meeting=meeting, by=by)
    pack.refresh_from_db()
    assert pack.status == SignOffPack.Status.READY, pack.error
    return pack


def pdftotext(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_the_pack_lists_every_item_with_contents_that_match_its_pages(
    make_ccg, cycle, actors, django_capture_on_commit_callbacks, tmp_path
):
    meeting = meeting_with(5, make_ccg, cycle, actors)
    pack = generate(meeting, actors["committee_secretary"], django_capture_on_commit_callbacks)
    path = Path(pack.file.path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == pack.sha256
    assert pack.contents_version == meeting.contents_version()
    assert pack.item_count == 5

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages == pack.page_count
    assert re.search(r"Tagged:\s+yes", info)

    text = pdftotext(path)
    for number in range(1, 6):
        assert f"NHS Pack Test Number {number} CCG" in text
    assert f"Page 1 of {pages}" in pdftotext(path, 1)
    assert f"Page {pages} of {pages}" in pdftotext(path, pages)

    contents = pdftotext(path, 2)
    entries = re.findall(r"Item (\d+): (NHS Pack Test Number \d+ CCG).*?(\d+)\s*$", contents, re.M)
    assert len(entries) == 5
    for position, name, listed_page in entries:
        page_text = pdftotext(path, int(listed_page))
        assert f"Item {position}: {name}" in page_text, (position, listed_page)
        previous = pdftotext(path, int(listed_page) - 1)
        assert (
            f"Item {position}: {name}" not in previous.split("Contents")[-1]
            or int(listed_page) == 2
        )
    decisions = re.search(r"Decision record.*?(\d+)\s*$", contents, re.M)
    assert "Decision record" in pdftotext(path, int(decisions.group(1)))

    subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page*.png"))) == pages

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(" yes " in row for row in rows), fonts  # every font embedded


def test_pages_grow_linearly_with_items(
    make_ccg, cycle, actors, django_capture_on_commit_callbacks
):
    counts = {}
    for size in (1, 3, 5):
        meeting = meeting_with(size, make_ccg, cycle, actors, label=f"Size {size}")
        counts[size] = generate(
            meeting, actors["committee_secretary"], django_capture_on_commit_callbacks
        ).page_count
    assert counts[3] - counts[1] == counts[5] - counts[3] > 0


def test_a_change_to_an_item_marks_the_pack_out_of_date(
    make_ccg, cycle, actors, django_capture_on_commit_callbacks
):
    meeting = meeting_with(2, make_ccg, cycle, actors)
    pack = generate(meeting, actors["committee_secretary"], django_capture_on_commit_callbacks)
    assert not pack.is_out_of_date()
    item = meeting.items.first()
    record_committee_decision(
        proposal=item.proposal, by=actors["committee_secretary"], decision="deferred", item=item
    )
    assert SignOffPack.objects.get(pk=pack.pk).is_out_of_date()


def test_only_the_secretary_asks_for_a_pack(make_ccg, cycle, actors):
    from applications.errors import NotPermitted

    meeting = meeting_with(1, make_ccg, cycle, actors)
    for who in ["regional_reviewer", "lead_ccg_staff", "national_admin"]:
        with pytest.raises(NotPermitted):
            request_sign_off_pack(meeting=meeting, by=actors[who])
    assert not SignOffPack.objects.exists()


def test_the_sweep_queues_a_pack_in_good_time_once(
    make_ccg, cycle, actors, django_capture_on_commit_callbacks
):
    import time_machine

    from applications.deadlines import run_sweep

    meeting = meeting_with(1, make_ccg, cycle, actors)
    with time_machine.travel(london(2015, 2, 12, 9), tick=False):
        assert run_sweep().actions["counts"] == {}
    with time_machine.travel(london(2015, 2, 13, 10, 5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run = run_sweep()
        assert run.actions["counts"] == {"sign-off pack queued": 1}
        run_sweep()
    pack = SignOffPack.objects.get(meeting=meeting)
    assert pack.status == SignOffPack.Status.READY
    assert pack.requested_by is None
