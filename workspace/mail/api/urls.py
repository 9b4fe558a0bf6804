from django.urls import path  # noqa: F401

app_name = "mail-api"

urlpatterns: list = []
