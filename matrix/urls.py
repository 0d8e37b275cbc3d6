from django.urls import path

from . import views

app_name = "matrix"

urlpatterns = [
    path("", views.framework_list, name="framework_list"),
    path("<int:pk>/", views.framework_detail, name="framework_detail"),
    path(
        "<int:pk>/download.xlsx",
        views.framework_export,
        {"fmt": "xlsx"},
        name="framework_export_xlsx",
    ),
    path(
        "<int:pk>/download.tsv",
        views.framework_export,
        {"fmt": "tsv"},
        name="framework_export_tsv",
    ),
]
