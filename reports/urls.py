from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="dashboard_csv"),
    path("contracts/<int:pk>/matrix.csv", views.matrix_csv, name="matrix_csv"),
    path(
        "contracts/<int:pk>/meetings/<int:meeting_pk>/board-pack.pdf",
        views.board_pack_pdf,
        name="board_pack_pdf",
    ),
    path(
        "contracts/<int:pk>/meetings/<int:meeting_pk>/board-pack.xlsx",
        views.board_pack_xlsx,
        name="board_pack_xlsx",
    ),
]
