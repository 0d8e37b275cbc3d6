from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("new/", views.contract_create, name="contract_create"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("<int:pk>/go-live/", views.contract_go_live, name="contract_go_live"),
    path("<int:pk>/terminate/", views.contract_terminate, name="contract_terminate"),
    path("<int:pk>/expire/", views.contract_expire, name="contract_expire"),
    path("<int:pk>/tailor/", views.contract_tailor, name="contract_tailor"),
    path("<int:pk>/history/", views.contract_history, name="contract_history"),
    path("<int:pk>/history.csv", views.contract_history_csv, name="contract_history_csv"),
    path("<int:pk>/cycles/", views.cycle_list, name="cycle_list"),
    path("<int:pk>/cycles/new/", views.cycle_create, name="cycle_create"),
    path("<int:pk>/cycles/<int:cycle_pk>/edit/", views.cycle_edit, name="cycle_edit"),
    path("<int:pk>/plans/", views.plan_list, name="plan_list"),
    path("<int:pk>/plans/<int:plan_pk>/", views.plan_detail, name="plan_detail"),
    path("tracks/<int:pk>/", views.track_detail, name="track_detail"),
    path("tracks/<int:pk>/targets/new/", views.target_create, name="target_create"),
    path("targets/<int:pk>/revise/", views.target_revise, name="target_revise"),
]
