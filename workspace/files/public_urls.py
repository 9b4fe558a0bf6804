"""Public file links, mounted at /f/: downloads without login."""

from django.urls import path

from workspace.files import views

app_name = "public-files"

urlpatterns = [
    path("<str:token>/", views.public_download, name="download"),
]
