from django.urls import path, register_converter

from .views import ccg, documents, proposals
from .views import pro_forma as pro_forma_views


class ReferenceConverter:
    """Proposal references such as CC1516-04K-D1."""

    regex = r"[A-Z0-9][A-Z0-9-]{0,31}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

urlpatterns = [
    path("ccg/", ccg.ccg_start, name="ccg_start"),
    path("proposals/", proposals.proposal_list, name="proposal_list"),
    path("proposals/start/", ccg.proposal_start, name="proposal_start"),
    path("proposals/<ref:reference>/", proposals.proposal_overview, name="proposal_overview"),
    path(
        "proposals/<ref:reference>/sections/<slug:section>/",
        pro_forma_views.proposal_section,
        name="proposal_section",
    ),
    path(
        "proposals/<ref:reference>/partners/",
        pro_forma_views.proposal_partners,
        name="proposal_partners",
    ),
    path(
        "proposals/<ref:reference>/documents/",
        documents.proposal_documents,
        name="proposal_documents",
    ),
    path(
        "proposals/<ref:reference>/documents/<int:document>/",
        documents.document_download,
        name="document_download",
    ),
    path(
        "proposals/<ref:reference>/documents/<int:document>/remove/",
        documents.document_remove,
        name="document_remove",
    ),
    path("proposals/<ref:reference>/check/", pro_forma_views.proposal_check, name="proposal_check"),
    path(
        "proposals/<ref:reference>/confirmation/",
        proposals.proposal_confirmation,
        name="proposal_confirmation",
    ),
    path(
        "proposals/<ref:reference>/agreement/",
        pro_forma_views.proposal_agreement,
        name="proposal_agreement",
    ),
    path(
        "proposals/<ref:reference>/withdraw/",
        pro_forma_views.proposal_withdraw,
        name="proposal_withdraw",
    ),
    path(
        "proposals/<ref:reference>/comments/",
        proposals.proposal_comment,
        name="proposal_comment",
    ),
    path("proposals/<ref:reference>/changes/", proposals.proposal_changes, name="proposal_changes"),
]
