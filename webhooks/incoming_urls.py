"""Incoming webhook calls, mounted at /hooks/in/: no sign-in, the token is the credential."""

from django.urls import path

from webhooks.api import views

app_name = "incoming-webhooks"

urlpatterns = [
    path("<str:token>/", views.IncomingCallView.as_view(), name="call"),
]
