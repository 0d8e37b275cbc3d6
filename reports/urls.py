from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="dashboard_csv"),
    path("contracts/<int:pk>/matrix.csv", views.matrix_csv, name="matrix_csv"),
]
