"""The relations API, mounted at /api/v1/relations/ (so the list is /api/v1/relations/)."""

from django.urls import path

from relations.api import views

app_name = "relations-api"

urlpatterns = [
    path("", views.RelationshipListView.as_view(), name="list"),
    path("<uuid:relationship_id>/", views.RelationshipDetailView.as_view(), name="detail"),
    path("check/", views.CheckView.as_view(), name="check"),
    path("neighbors/", views.NeighborsView.as_view(), name="neighbors"),
    path("path/", views.PathView.as_view(), name="path"),
    path("cycles/", views.CyclesView.as_view(), name="cycles"),
    path("order/", views.OrderView.as_view(), name="order"),
    path("stats/", views.StatsView.as_view(), name="stats"),
]
