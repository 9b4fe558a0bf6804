"""The webhooks API, mounted at /api/v1/webhooks/."""

from django.urls import path

from webhooks.api import views

app_name = "webhooks-api"

urlpatterns = [
    path("", views.SubscriptionListView.as_view(), name="list"),
    path("incoming/", views.IncomingListView.as_view(), name="incoming-list"),
    path("incoming/<uuid:hook_id>/", views.IncomingDetailView.as_view(), name="incoming-detail"),
    path("<uuid:webhook_id>/", views.SubscriptionDetailView.as_view(), name="detail"),
    path("<uuid:webhook_id>/ping/", views.PingView.as_view(), name="ping"),
    path("<uuid:webhook_id>/deliveries/", views.DeliveryListView.as_view(), name="deliveries"),
    path(
        "<uuid:webhook_id>/deliveries/<uuid:delivery_id>/",
        views.DeliveryDetailView.as_view(),
        name="delivery",
    ),
    path(
        "<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver/",
        views.RedeliverView.as_view(),
        name="redeliver",
    ),
]
