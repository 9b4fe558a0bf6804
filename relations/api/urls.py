"""The relations API, mounted at /api/v1/relations/ (so the list is /api/v1/relations/)."""

from django.urls import path

from relations.api import views

app_name = "relations-api"

urlpatterns = [
    path("", views.RelationshipListView.as_view(), name="list"),
    path("<uuid:relationship_id>/", views.RelationshipDetailView.as_view(), name="detail"),
    path("check/", views.CheckView.as_view(), name="check"),
]
