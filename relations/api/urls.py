"""The relations API, mounted at /api/v1/relations/."""

from django.urls import path

from relations.api import views

app_name = "relations-api"

urlpatterns = [
    path("check/", views.CheckView.as_view(), name="check"),
]
