from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("", views.claim_list, name="claim_list"),
    path("review/", views.review_queue, name="review_queue"),
    path("tracks/<int:track_pk>/new/", views.claim_new, name="claim_new"),
    path("tracks/<int:track_pk>/regression/", views.regression_new, name="regression_new"),
    path("<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("<int:pk>/history.csv", views.assessment_history_csv, name="assessment_history_csv"),
    *[
        path(f"<int:pk>/{name.replace('_', '-')}/", views.transition, {"name": name}, name=name)
        for name, _, _ in views.TRANSITIONS
    ],
    path("contracts/<int:contract_pk>/board/", views.board_agenda, name="board_agenda"),
    path(
        "contracts/<int:contract_pk>/board/meetings/new/",
        views.meeting_new,
        name="meeting_new",
    ),
    path("contracts/<int:contract_pk>/decisions/", views.decision_ledger, name="decision_ledger"),
    path("board/meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("board/meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("board/meetings/<int:pk>/decide/", views.decision_new, name="decision_new"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
]
