"""The notifications API, mounted at /api/v1/notifications/."""

from django.urls import path

from notifications.api import views

app_name = "notifications-api"

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="list"),
    path("unread-count/", views.UnreadCountView.as_view(), name="unread-count"),
    path("read-all/", views.ReadAllView.as_view(), name="read-all"),
    path("<uuid:notification_id>/read/", views.NotificationReadView.as_view(), name="read"),
]
