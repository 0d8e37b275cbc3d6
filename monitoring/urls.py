from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        views.notification_mark_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        views.notifications_mark_all_read,
        name="notifications_read_all",
    ),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("contracts/<int:pk>/flags/", views.contract_flags, name="contract_flags"),
    path("contracts/<int:pk>/flags.csv", views.contract_flags_csv, name="contract_flags_csv"),
]
