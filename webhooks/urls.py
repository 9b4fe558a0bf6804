"""The webhooks pages, mounted at /webhooks/."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.WebhookListPage.as_view(), name="list"),
    path("new/", views.WebhookCreatePage.as_view(), name="create"),
    path("incoming/new/", views.IncomingCreatePage.as_view(), name="incoming-create"),
    path(
        "incoming/<uuid:hook_id>/revoke/",
        views.IncomingRevokeView.as_view(),
        name="incoming-revoke",
    ),
    path("<uuid:webhook_id>/", views.WebhookDetailPage.as_view(), name="detail"),
    path("<uuid:webhook_id>/active/", views.WebhookActiveView.as_view(), name="active"),
    path("<uuid:webhook_id>/ping/", views.WebhookPingView.as_view(), name="ping"),
    path("<uuid:webhook_id>/delete/", views.WebhookDeleteView.as_view(), name="delete"),
    path(
        "<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver/",
        views.RedeliverView.as_view(),
        name="redeliver",
    ),
]
