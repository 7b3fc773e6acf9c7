"""Supporting documents: upload, download (as an attachment, to people who may see the
proposal), remove."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import selectors
from ..documents import (
    REQUIRED_DOCUMENTS,
    attach_document,
    document_kinds_for,
    max_size_label,
    missing_documents,
    remove_document,
)
from ..errors import ProposalError
from ..forms import DocumentUploadForm
from .common import (
    back_to_overview,
    not_editable_message,
    page_title,
    proposal_or_404,
    require_lead,
)


def _documents_page(request, proposal, form) -> HttpResponse:
    documents = list(proposal.documents.select_related("uploaded_by"))
    return render(
        request,
        "applications/proposal_documents.html",
        {
            "proposal": proposal,
            "form": form,
            "documents": [d for d in documents if d.removed_at is None],
            "missing": missing_documents(proposal, documents),
            "max_size": max_size_label(),
            "title": page_title("Supporting documents", form),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_documents(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    require_lead(request, proposal)
    if not REQUIRED_DOCUMENTS.get(proposal.model):
        raise Http404("This kind of proposal has no documents")
    if not selectors.is_editable(proposal):
        return back_to_overview(request, proposal, not_editable_message(proposal))
    kinds = document_kinds_for(proposal.model)
    if request.method == "POST":
        form = DocumentUploadForm(
            request.POST, request.FILES, kinds=kinds, refusals=request.upload_refusals
        )
        if form.is_valid():
            try:
                document = attach_document(
                    proposal=proposal,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    checked=form.checked,
                    by=request.user,
                )
            except ProposalError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"'{document.original_name}' uploaded.")
                return redirect("proposal_documents", reference=proposal.reference)
    else:
        form = DocumentUploadForm(kinds=kinds)
    return _documents_page(request, proposal, form)


@login_required
@require_GET
def document_download(request: HttpRequest, reference: str, document: int) -> FileResponse:
    proposal = proposal_or_404(request, reference)
    doc = selectors.document_for(proposal, document)
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing") from None
    response = FileResponse(
        handle, as_attachment=True, filename=doc.original_name, content_type=doc.content_type
    )
    # Never rendered by the browser, never guessed at, never cached on a shared machine.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def document_remove(request: HttpRequest, reference: str, document: int) -> HttpResponse:
    proposal = proposal_or_404(request, reference)
    require_lead(request, proposal)
    doc = selectors.document_for(proposal, document)
    if not selectors.is_editable(proposal):
        return back_to_overview(request, proposal, not_editable_message(proposal))
    if doc.removed_at is not None:
        return redirect("proposal_documents", reference=proposal.reference)
    if request.method == "POST":
        try:
            remove_document(document=doc, by=request.user)
        except ProposalError as error:
            return back_to_overview(request, proposal, error.message)
        messages.success(request, f"'{doc.original_name}' removed.")
        return redirect("proposal_documents", reference=proposal.reference)
    return render(
        request,
        "applications/document_remove.html",
        {"proposal": proposal, "document": doc, "title": "Remove a document"},
    )
