from django.urls import path

from applications.urls import ReferenceConverter  # noqa: F401 - registers the "ref" converter

from .views import committee, packs, review

app_name = "approvals"

urlpatterns = [
    # Regional review
    path("review/", review.review_queue, name="queue"),
    path("review/<ref:reference>/", review.review, name="review"),
    path("review/<ref:reference>/start/", review.start_review, name="start_review"),
    path("review/<ref:reference>/interest/", review.declare_interest, name="declare_interest"),
    path("review/<ref:reference>/decide/<slug:action>/", review.decide, name="decide"),
    # The Commissioning Committee
    path("committee/", committee.meetings, name="meetings"),
    path("committee/new/", committee.meeting_create, name="meeting_create"),
    path("committee/<int:pk>/", committee.meeting, name="meeting"),
    path("committee/<int:pk>/agenda/", committee.agenda_add, name="agenda_add"),
    path(
        "committee/<int:pk>/items/<int:item>/remove/",
        committee.agenda_remove,
        name="agenda_remove",
    ),
    path("committee/<int:pk>/items/<int:item>/move/", committee.agenda_move, name="agenda_move"),
    path(
        "committee/<int:pk>/items/<int:item>/decision/",
        committee.item_decision,
        name="item_decision",
    ),
    path("committee/<int:pk>/decisions/", committee.bulk_decision, name="bulk_decision"),
    path(
        "committee/<int:pk>/conditions/<int:condition>/met/",
        committee.condition_met,
        name="condition_met",
    ),
    path("committee/<int:pk>/pack/", packs.pack_page, name="pack"),
    path("committee/<int:pk>/pack/<int:pack>/status/", packs.pack_status, name="pack_status"),
    path("committee/<int:pk>/pack/<int:pack>/download/", packs.pack_download, name="pack_download"),
    path("letters/<int:pk>/", committee.letter_download, name="letter_download"),
]
