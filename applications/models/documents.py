import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class DocumentKind(models.TextChoices):
    """The documents a proposal is assured against (the briefing's list)."""

    CONSTITUTION_AMENDMENT = "constitution_amendment", "Constitution amendment"
    TERMS_OF_REFERENCE = "terms_of_reference", "Terms of reference of the joint committee"
    CONFLICTS_OF_INTEREST_POLICY = "conflicts_of_interest_policy", "Conflicts of interest policy"
    GOVERNING_BODY_RESOLUTION = "governing_body_resolution", "Governing body resolution"


EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


def stored_document_path(instance: "ProposalDocument", filename: str) -> str:
    """A random name: nothing the uploader chose (name, folders, extension) reaches the disk.
    The extension comes from the type the content was sniffed as."""
    return f"proposal-documents/{uuid.uuid4().hex}{EXTENSIONS[instance.content_type]}"


class ProposalDocument(models.Model):
    """A file attached to a proposal. Removing one only marks it removed: a submitted
    version may refer to it, and reviewers must still be able to read what was submitted."""

    proposal = models.ForeignKey(
        "applications.Proposal", on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    file = models.FileField(upload_to=stored_document_path, max_length=200)
    # Checked and cleaned on upload (see applications.documents); shown and used as the
    # download's file name, never as a path.
    original_name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=100, choices=[(k, k) for k in EXTENSIONS])
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["proposal", "removed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def is_current(self) -> bool:
        return self.removed_at is None

    @property
    def type_label(self) -> str:
        return "PDF" if self.content_type == "application/pdf" else "Word document"
