"""Sign-off packs and decision letters: HTML print templates rendered to PDF by WeasyPrint.

The pack is one HTML document (cover, contents, summary table, a section per proposal,
decision record). Page numbers in the contents come from CSS target-counter(), so they are
the pages WeasyPrint actually laid out; the footer's "Page N of M" from counter(pages)."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from applications import pro_forma
from applications.models import Proposal, ProposalCondition
from applications.selectors import answers_by_section

from .models import AgendaItem, CommitteeMeeting, Review

PDF_OPTIONS = {
    # Tagged PDF with the PDF/UA-1 metadata WeasyPrint can produce, for screen readers.
    "pdf_variant": "pdf/ua-1",
    "pdf_tags": True,
}


@dataclass
class BuiltPdf:
    content: bytes
    pages: int
    sha256: str


def _render_pdf(html: str) -> BuiltPdf:
    from weasyprint import HTML  # imported here: only workers need Pango

    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    content = document.write_pdf(**PDF_OPTIONS)
    return BuiltPdf(content, len(document.pages), hashlib.sha256(content).hexdigest())


def pack_items(meeting: CommitteeMeeting) -> list[AgendaItem]:
    """Everything the pack shows, in a constant number of queries."""
    return list(
        meeting.items.select_related(
            "proposal__ccg__area_team__region", "proposal__cycle"
        ).prefetch_related(
            Prefetch(
                "proposal__reviews",
                queryset=Review.objects.select_related("reviewer").order_by("-round"),
            ),
            Prefetch("proposal__conditions", queryset=ProposalCondition.objects.order_by("pk")),
            "proposal__partner_links__ccg",
        )
    )


def _item_context(item: AgendaItem) -> dict:
    proposal: Proposal = item.proposal
    reviews = list(proposal.reviews.all())
    answers = proposal.pro_forma
    chosen = (answers.get("delegated_functions") or {}).get("functions") or []
    return {
        "item": item,
        "proposal": proposal,
        "review": reviews[0] if reviews else None,
        "sections": answers_by_section(proposal),
        "functions": [
            (label, key in chosen) for key, label in pro_forma.DELEGABLE_FUNCTIONS.items()
        ],
        "non_delegable": pro_forma.NON_DELEGABLE_FUNCTIONS,
        "conflicts": (answers.get("conflicts_of_interest") or {}).get("arrangements", ""),
        "conditions": list(proposal.conditions.all()),
    }


def pack_html(meeting: CommitteeMeeting, items: list[AgendaItem] | None = None) -> str:
    items = items if items is not None else pack_items(meeting)
    return render_to_string(
        "approvals/print/pack.html",
        {
            "meeting": meeting,
            "items": [_item_context(item) for item in items],
            "generated_at": timezone.now(),
            "contents_version": meeting.contents_version(items),
        },
    )


def build_pack(meeting: CommitteeMeeting) -> tuple[BuiltPdf, str, int]:
    items = pack_items(meeting)
    version = meeting.contents_version(items)
    return _render_pdf(pack_html(meeting, items)), version, len(items)


def letter_html(proposal: Proposal, item: AgendaItem | None) -> str:
    return render_to_string(
        "approvals/print/letter.html",
        {
            "proposal": proposal,
            "item": item,
            "conditions": list(proposal.conditions.order_by("pk")),
            "contact": proposal.pro_forma.get("contact") or {},
            "today": timezone.localdate(),
        },
    )


def build_letter(proposal: Proposal, item: AgendaItem | None) -> BuiltPdf:
    return _render_pdf(letter_html(proposal, item))
