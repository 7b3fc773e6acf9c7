"""Shared by the page tests, the document tests and the browser tests: real PDF and Word
files, raw multipart bodies (to send file names a browser never would), and shortcuts to a
proposal in a given state."""

import io
import uuid
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from applications import actions
from applications.documents import REQUIRED_DOCUMENTS, attach_document, check_upload
from applications.pro_forma import sections_for
from applications.services import create_proposal, save_pro_forma_section
from tests.factories import COMPLETE_ANSWERS, london

# Inside the 2015/16 window: after the answers' December 2014 dates, before the delegated
# deadline (5 January 2015, 23:59) and the joint one (30 January).
JANUARY_2ND = london(2015, 1, 2, 10)


def pdf_bytes(text: str = "Constitution amendment") -> bytes:
    body = (
        "%PDF-1.4\n"
        "1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        "2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
        "3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\n"
        f"% {text}\n"
        "trailer <</Root 1 0 R>>\n"
        "%%EOF\n"
    )
    return body.encode()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/>'
    "</Types>"
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def docx_bytes(text: str = "Terms of reference", *, main: str = DOCX_MAIN, extra=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main))
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
        for name, content in extra:
            archive.writestr(name, content)
    return buffer.getvalue()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]):
    """A multipart/form-data body exactly as given: the test client would strip folders
    from file names, and we want to send names as an attacker would."""
    boundary = f"----test{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for field, filename, content, content_type in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode("utf-8", "surrogateescape")
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def uploaded(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def fill_in(proposal, user):
    for section in sections_for(proposal.model):
        proposal = save_pro_forma_section(
            proposal=proposal, section=section.key, answers=COMPLETE_ANSWERS[section.key], by=user
        )
    return proposal


def attach_all(proposal, user):
    for kind in REQUIRED_DOCUMENTS[proposal.model]:
        upload = uploaded(f"{kind}.pdf", pdf_bytes(kind))
        attach_document(
            proposal=proposal, kind=kind, upload=upload, checked=check_upload(upload), by=user
        )
    proposal.refresh_from_db()
    return proposal


def ready_to_submit(ccg, cycle, user, model="delegated", partners=()):
    proposal = create_proposal(ccg=ccg, cycle=cycle, model=model, by=user)
    if partners:
        proposal = actions.set_partners(proposal=proposal, partners=partners, by=user)
    proposal = fill_in(proposal, user)
    if REQUIRED_DOCUMENTS[proposal.model]:
        proposal = attach_all(proposal, user)
    proposal.refresh_from_db()
    return proposal
