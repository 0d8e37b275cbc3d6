from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("config.auth_urls")),
    path("admin/", admin.site.urls),
    path("frameworks/", include("matrix.urls")),
    path("contracts/", include("contracts.urls")),
    path("evidence/", include("evidence.urls")),
    path("claims/", include("workflows.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("config.api_urls")),
]
