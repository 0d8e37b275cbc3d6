from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("tracks/<int:track_pk>/", views.track_evidence, name="track"),
    path("tracks/<int:track_pk>/upload/", views.upload, name="upload"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/download/", views.download, name="download"),
    path("items/<int:pk>/new-version/", views.supersede, name="supersede"),
    path("items/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
