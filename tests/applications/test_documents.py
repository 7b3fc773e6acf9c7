"""Uploads: the corpus of bad files is refused with a clear message and nothing is stored;
good files are stored under random names, listed, served only to people who may see the
proposal, as attachments, and removed without losing what earlier versions referred to."""

import html
import re

import pytest
import time_machine
from django.urls import reverse

from applications.models import ProposalDocument, ProposalEvent
from applications.services import create_proposal
from tests.applications.view_helpers import (
    DOCM_MAIN,
    JANUARY_2ND,
    docx_bytes,
    multipart,
    pdf_bytes,
    ready_to_submit,
)

pytestmark = pytest.mark.django_db

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _in_january_2015():
    with time_machine.travel(JANUARY_2ND, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def proposal(ccg, cycle, actors):
    return create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=actors["lead_ccg_staff"])


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def post_raw(client, proposal, filename: str, content: bytes, content_type=PDF, kind=None):
    body, header = multipart(
        {"kind": kind or "constitution_amendment"}, [("file", filename, content, content_type)]
    )
    return client.generic(
        "POST",
        reverse("proposal_documents", args=[proposal.reference]),
        data=body,
        content_type=header,
    )


def errors(response) -> list[str]:
    block = re.search(r'<div class="nhsuk-error-summary".*?</ul>', response.content.decode(), re.S)
    assert block, "no error summary"
    return [html.unescape(m) for m in re.findall(r'<a href="#id_file">([^<]+)</a>', block[0])]


TEN_MB = 10 * 1024 * 1024
BAD_UPLOADS = {
    "oversize": (
        "big.pdf",
        pdf_bytes()[:-7] + b"0" * (TEN_MB + 1) + b"\n%%EOF\n",
        "The selected file must be smaller than 10MB.",
    ),
    "html renamed .pdf": (
        "constitution.pdf",
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
        "The selected file is not a real PDF. Save or export it again as a PDF or .docx and "
        "upload that.",
    ),
    "pdf header only, no end": (
        "truncated.pdf",
        b"%PDF-1.4\n<script>alert(1)</script>",
        "The selected file is not a real PDF. Save or export it again as a PDF or .docx and "
        "upload that.",
    ),
    "path traversal": (
        "../../../etc/cron.d/constitution.pdf",
        pdf_bytes(),
        "The file name must not include folder names. Rename the file and try again.",
    ),
    "windows path traversal": (
        "..\\..\\windows\\constitution.pdf",
        pdf_bytes(),
        "The file name must not include folder names. Rename the file and try again.",
    ),
    "encoded traversal": (
        "..&#47;..&#47;constitution.pdf",
        pdf_bytes(),
        "The file name must not include folder names. Rename the file and try again.",
    ),
    "control character": (
        "consti\x1btution.pdf",
        pdf_bytes(),
        "The file name must not include hidden or control characters. Rename the file and try "
        "again.",
    ),
    "right-to-left override": (
        "constitution\u202efdp.exe",
        pdf_bytes(),
        "The file name must not include hidden or control characters. Rename the file and try "
        "again.",
    ),
    "empty file": (
        "constitution.pdf",
        b"",
        "The selected file is empty. Choose a file with content.",
    ),
    "executable": (
        "constitution.exe",
        pdf_bytes(),
        "The selected file must be a PDF or a Word document (.docx).",
    ),
    "no name before the extension": (
        ".pdf",
        pdf_bytes(),
        "The file must have a name. Rename the file and try again.",
    ),
    "word document named .pdf": (
        "constitution.pdf",
        docx_bytes(),
        "The file's name does not match what it contains. Check you chose the right file.",
    ),
    "pdf named .docx": (
        "constitution.docx",
        pdf_bytes(),
        "The file's name does not match what it contains. Check you chose the right file.",
    ),
    "macro-enabled document named .docx": (
        "constitution.docx",
        docx_bytes(main=DOCM_MAIN, extra=[("word/vbaProject.bin", b"\x00macro")]),
        "The selected file is not a real Word document. Save or export it again as a PDF or "
        ".docx and upload that.",
    ),
    "zip that is not a word document": (
        "constitution.docx",
        docx_bytes()[:30],
        "The selected file is not a real Word document. Save or export it again as a PDF or "
        ".docx and upload that.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_the_upload_corpus_is_refused_with_a_clear_message_and_nothing_is_stored(
    client, proposal, actors, media, case
):
    filename, content, message = BAD_UPLOADS[case]
    client.force_login(actors["lead_ccg_staff"])
    version = proposal.version
    response = post_raw(client, proposal, filename, content)
    assert response.status_code == 200
    assert errors(response) == [message]
    # The document type chosen is kept for the next try.
    assert 'value="constitution_amendment" checked' in response.content.decode()
    assert not ProposalDocument.objects.exists()
    assert stored_files(media) == []
    assert not ProposalEvent.objects.filter(proposal=proposal).exists()
    proposal.refresh_from_db()
    assert proposal.version == version


def test_choosing_no_file_or_no_type_is_explained(client, proposal, actors, media):
    client.force_login(actors["lead_ccg_staff"])
    response = client.post(reverse("proposal_documents", args=[proposal.reference]), {})
    page = html.unescape(response.content.decode())
    assert '<a href="#id_kind_0">Select which document you are uploading</a>' in page
    assert '<a href="#id_file">Select a PDF or Word document to upload.</a>' in page
    assert stored_files(media) == []


def test_good_files_are_stored_under_random_names_and_recorded(client, proposal, actors, media):
    staff = actors["lead_ccg_staff"]
    client.force_login(staff)
    version = proposal.version
    response = post_raw(client, proposal, "Constitution v2 (final).pdf", pdf_bytes())
    assert response.status_code == 302
    response = post_raw(
        client,
        proposal,
        "Conflicts of interest \u2013 Résumé.docx",
        docx_bytes(),
        content_type="application/octet-stream",  # what the browser says does not matter
        kind="conflicts_of_interest_policy",
    )
    assert response.status_code == 302
    pdf, word = ProposalDocument.objects.order_by("pk")
    assert (pdf.original_name, pdf.content_type) == ("Constitution v2 (final).pdf", PDF)
    assert word.original_name == "Conflicts of interest \u2013 Résumé.docx"
    assert word.content_type == DOCX
    for document, extension in [(pdf, ".pdf"), (word, ".docx")]:
        assert re.fullmatch(rf"proposal-documents/[0-9a-f]{{32}}\{extension}", document.file.name)
        assert document.uploaded_by == staff and len(document.sha256) == 64
    assert sorted(p.name for p in stored_files(media)) == sorted(
        [pdf.file.name.split("/")[1], word.file.name.split("/")[1]]
    )
    proposal.refresh_from_db()
    assert proposal.version == version + 2
    assert list(proposal.events.values_list("kind", flat=True)) == ["document_added"] * 2
    page = html.unescape(
        client.get(reverse("proposal_documents", args=[proposal.reference])).content.decode()
    )
    assert "Constitution v2 (final).pdf" in page
    assert "Upload the governing body resolution" not in page  # that is the check page's job
    assert "Governing body resolution" in page  # still to upload


def test_names_lose_characters_that_could_break_a_download_header(client, proposal, actors):
    client.force_login(actors["lead_ccg_staff"])
    post_raw(client, proposal, 'board "final"; v2.pdf', pdf_bytes())
    assert ProposalDocument.objects.get().original_name == "board final v2.pdf"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("lead_ccg_staff", 200),
        ("partner_ccg_staff", 404),  # not a partner of this delegated proposal
        ("foreign_ccg_staff", 404),
        ("area_team_staff", 200),
        ("regional_reviewer", 200),
        ("other_region_reviewer", 404),
        ("committee_secretary", 404),  # a draft is not the committee's to see
        ("national_admin", 200),
    ],
)
def test_downloads_only_for_people_who_may_see_the_proposal_as_an_attachment(
    client, proposal, actors, who, status
):
    client.force_login(actors["lead_ccg_staff"])
    post_raw(client, proposal, "Constitution.pdf", pdf_bytes("secret"))
    document = ProposalDocument.objects.get()
    url = reverse("document_download", args=[proposal.reference, document.pk])
    client.force_login(actors[who])
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == PDF
        assert response["Content-Disposition"] == 'attachment; filename="Constitution.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == pdf_bytes("secret")


def test_a_document_cannot_be_reached_through_another_proposal(
    client, ccg, foreign_ccg, cycle, actors
):
    own = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=actors["lead_ccg_staff"])
    theirs = create_proposal(
        ccg=foreign_ccg, cycle=cycle, model="joint", by=actors["foreign_ccg_staff"]
    )
    client.force_login(actors["foreign_ccg_staff"])
    post_raw(client, theirs, "Theirs.pdf", pdf_bytes(), kind="terms_of_reference")
    document = ProposalDocument.objects.get()
    client.force_login(actors["lead_ccg_staff"])
    # Their document id under our own proposal's address: not found, nothing leaks.
    assert (
        client.get(reverse("document_download", args=[own.reference, document.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("document_download", args=[theirs.reference, document.pk])).status_code
        == 404
    )
    assert client.get("/media/" + document.file.name).status_code == 404
    client.logout()
    response = client.get(reverse("document_download", args=[theirs.reference, document.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_removing_a_document_keeps_the_file_for_earlier_versions(client, ccg, cycle, actors, media):
    staff = actors["lead_ccg_staff"]
    proposal = create_proposal(ccg=ccg, cycle=cycle, model="delegated", by=staff)
    client.force_login(staff)
    post_raw(client, proposal, "Old constitution.pdf", pdf_bytes())
    document = ProposalDocument.objects.get()
    url = reverse("document_remove", args=[proposal.reference, document.pk])
    assert "Yes, remove it" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a replay changes nothing
    document.refresh_from_db()
    assert document.removed_at is not None and document.removed_by == staff
    assert len(stored_files(media)) == 1
    assert proposal.events.filter(kind="document_removed").count() == 1
    page = client.get(reverse("proposal_documents", args=[proposal.reference])).content.decode()
    assert "Old constitution.pdf<span" not in page  # no longer listed (only in the banner)


def test_documents_cannot_change_once_submitted(client, ccg, cycle, actors, media):
    from applications import actions

    staff = actors["lead_ccg_staff"]
    proposal = ready_to_submit(ccg, cycle, staff)
    actions.submit(proposal=proposal, by=staff, expected_version=proposal.version)
    before = stored_files(media)
    client.force_login(staff)
    response = post_raw(client, proposal, "Late.pdf", pdf_bytes())
    assert response.status_code == 302
    assert stored_files(media) == before
    document = proposal.documents.first()
    response = client.post(reverse("document_remove", args=[proposal.reference, document.pk]))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.removed_at is None
