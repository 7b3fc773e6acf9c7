"""Checks on uploaded documents, and the write paths that attach and remove them.

A CCG's documents go to reviewers' machines, so an upload is accepted only when its
*content* is a PDF or a Word (.docx) document; the extension must agree with the content;
it is within the size limit; and its name is an ordinary file name. Anything else is refused
with a sentence the person can act on, before anything is written to storage. Accepted files
are stored under random names (see ``stored_document_path``) and served only through the
permission-checked download view."""

import hashlib
import html
import logging
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.http.multipartparser import MultiPartParser
from django.utils import timezone

from .errors import InvalidProposal, NotPermitted, TransitionRefused
from .models import CommissioningModel, DocumentKind, Proposal, ProposalDocument, User
from .models.proposals import ProposalState
from .permissions import is_lead_ccg_staff

logger = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

# The documents each model's proposal needs before it can be submitted.
REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    CommissioningModel.GREATER_INVOLVEMENT: (),
    CommissioningModel.JOINT: (
        DocumentKind.CONSTITUTION_AMENDMENT,
        DocumentKind.TERMS_OF_REFERENCE,
    ),
    CommissioningModel.DELEGATED: (
        DocumentKind.CONSTITUTION_AMENDMENT,
        DocumentKind.CONFLICTS_OF_INTEREST_POLICY,
        DocumentKind.GOVERNING_BODY_RESOLUTION,
    ),
}

EDITABLE_STATES = (ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED)

# A .docx is a zip; these stop a small upload from expanding into gigabytes when a reviewer
# (or a future converter) opens it.
DOCX_MAX_MEMBERS = 2000
DOCX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_NAME_LENGTH = 150


def max_bytes() -> int:
    return settings.DOCUMENT_MAX_BYTES


def max_size_label() -> str:
    return f"{max_bytes() // (1024 * 1024)}MB"


class UploadRefused(ValueError):
    """The upload is not acceptable; the message says why in words the uploader can act on."""


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    original_name: str
    size: int
    sha256: str


# -- reading the request: what Django would otherwise clean up silently --------------------


def unsafe_name_reason(raw_name: str) -> str | None:
    """Why a file name as the browser sent it is not acceptable, or None.

    Django strips folders and invisible characters from upload names before a view sees
    them, which would turn ``../../etc/passwd.pdf`` into an innocent-looking ``passwd.pdf``.
    We want such uploads refused outright (they never come from a person choosing a file in a
    browser), so the raw name is checked here, as the request is parsed."""
    name = html.unescape(raw_name)
    if "/" in name or "\\" in name or name in {".", ".."}:
        return "The file name must not include folder names. Rename the file and try again."
    if any(not ch.isprintable() for ch in name):
        return (
            "The file name must not include hidden or control characters. "
            "Rename the file and try again."
        )
    return None


class GuardedMultiPartParser(MultiPartParser):
    """Django's parser, noting on the request any upload whose raw name is unsafe."""

    def __init__(self, *args, request, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._request = request

    def sanitize_file_name(self, file_name):
        reason = unsafe_name_reason(file_name)
        if reason:
            self._request.upload_refusals = [*getattr(self._request, "upload_refusals", []), reason]
        return super().sanitize_file_name(file_name)


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading a file as soon as it passes the document size limit, so an oversize
    upload is never written to a temporary file in full. The file is skipped and the form
    says why."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = start + len(raw_data)
        if self.received > max_bytes():
            self.request.upload_refusals = [
                *getattr(self.request, "upload_refusals", []),
                f"The selected file must be smaller than {max_size_label()}.",
            ]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


# -- checking the file itself ---------------------------------------------------------------


def clean_name(name: str) -> str:
    """The name to show and to offer on download: Unicode-normalised, without characters
    that could spoof or break a Content-Disposition header, and not too long."""
    name = unicodedata.normalize("NFC", name).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*;')
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + dot + extension
    return name


def sniff(upload: UploadedFile) -> str | None:
    """The type the content really is (PDF or DOCX), or None."""
    upload.seek(0)
    head = upload.read(1024)
    if head.startswith(b"%PDF-"):
        upload.seek(max(0, upload.size - 2048))
        tail = upload.read()
        upload.seek(0)
        # A real PDF ends with an end-of-file marker (possibly followed by a line break);
        # a file that only starts like one is refused.
        return PDF if b"%%EOF" in tail else None
    if head.startswith(b"PK\x03\x04"):
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                members = archive.infolist()
                if len(members) > DOCX_MAX_MEMBERS:
                    return None
                if sum(m.file_size for m in members) > DOCX_MAX_UNCOMPRESSED:
                    return None
                if any(m.flag_bits & 0x1 for m in members):  # encrypted
                    return None
                names = {m.filename for m in members}
                if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                    return None
                if "word/vbaProject.bin" in names:  # macros: a .docm wearing a .docx name
                    return None
                content_types = archive.read("[Content_Types].xml")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError):
            return None
        finally:
            upload.seek(0)
        return DOCX if DOCX_MAIN.encode() in content_types else None
    return None


def check_upload(upload: UploadedFile | None) -> CheckedUpload:
    """Accept the upload or raise UploadRefused with the reason."""
    if upload is None:
        raise UploadRefused("Select a PDF or Word document to upload.")
    if upload.size == 0:
        raise UploadRefused("The selected file is empty. Choose a file with content.")
    if upload.size > max_bytes():
        raise UploadRefused(f"The selected file must be smaller than {max_size_label()}.")
    name = clean_name(upload.name or "")
    stem, _, extension = name.rpartition(".")
    extension = extension.lower()
    if not stem.strip(" ."):
        raise UploadRefused("The file must have a name. Rename the file and try again.")
    if extension not in {"pdf", "docx"}:
        raise UploadRefused("The selected file must be a PDF or a Word document (.docx).")
    content_type = sniff(upload)
    if content_type is None:
        raise UploadRefused(
            f"The selected file is not a real {'PDF' if extension == 'pdf' else 'Word document'}"
            ". Save or export it again as a PDF or .docx and upload that."
        )
    if (extension == "pdf") != (content_type == PDF):
        raise UploadRefused(
            "The file's name does not match what it contains. Check you chose the right file."
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        content_type=content_type, original_name=name, size=upload.size, sha256=digest.hexdigest()
    )


def document_kinds_for(model: str) -> list[tuple[str, str]]:
    """The kinds of document a proposal of this model can attach."""
    return [(kind, DocumentKind(kind).label) for kind in REQUIRED_DOCUMENTS.get(model, ())]


def missing_documents(proposal: Proposal, documents: list[ProposalDocument]) -> list[str]:
    """Labels of the required kinds with no current document (documents already fetched)."""
    present = {d.kind for d in documents if d.removed_at is None}
    return [
        DocumentKind(kind).label
        for kind in REQUIRED_DOCUMENTS.get(proposal.model, ())
        if kind not in present
    ]


# -- write paths ----------------------------------------------------------------------------


def _lock_for_editing(proposal: Proposal, by: User) -> Proposal:
    locked = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("ccg__area_team")
        .get(pk=proposal.pk)
    )
    if not is_lead_ccg_staff(locked, by):
        raise NotPermitted("Only the lead CCG's staff can change its documents.")
    if locked.state not in EDITABLE_STATES:
        raise TransitionRefused(
            f"A proposal that is {locked.get_state_display().lower()} cannot be changed."
        )
    return locked


def attach_document(
    *, proposal: Proposal, kind: str, upload: UploadedFile, checked: CheckedUpload, by: User
) -> ProposalDocument:
    """Store a checked upload against the proposal, bump its version and record the event,
    in one transaction. If the transaction fails the stored file is removed again."""
    from .services import record_event

    if kind not in dict(document_kinds_for(proposal.model)):
        raise InvalidProposal("Choose which document this is.")
    document = ProposalDocument(
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    try:
        with transaction.atomic():
            locked = _lock_for_editing(proposal, by)
            document.proposal = locked
            document.file.save("upload", upload, save=False)
            document.save()
            locked.version += 1
            locked.updated_at = timezone.now()
            locked.save(update_fields=["version", "updated_at"])
            record_event(
                proposal=locked,
                kind="document_added",
                by=by,
                detail=f"{document.get_kind_display()}: {document.original_name}",
                data={"document": document.pk, "sha256": document.sha256},
            )
    except BaseException:
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def remove_document(*, document: ProposalDocument, by: User) -> ProposalDocument:
    """Mark a document removed. The file is kept: an earlier submitted version may list it."""
    from .services import record_event

    with transaction.atomic():
        locked = _lock_for_editing(document.proposal, by)
        current = ProposalDocument.objects.select_for_update().get(pk=document.pk)
        if current.proposal_id != locked.pk:
            raise NotPermitted("This document belongs to another proposal.")
        if current.removed_at is not None:
            return current  # already removed: a replayed request changes nothing
        current.removed_at = timezone.now()
        current.removed_by = by
        current.save(update_fields=["removed_at", "removed_by"])
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["version", "updated_at"])
        record_event(
            proposal=locked,
            kind="document_removed",
            by=by,
            detail=f"{current.get_kind_display()}: {current.original_name}",
            data={"document": current.pk},
        )
    return current
