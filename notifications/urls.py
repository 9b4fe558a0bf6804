from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.NotificationListPage.as_view(), name="list"),
    path("read-all/", views.ReadAllView.as_view(), name="read-all"),
    path("<uuid:notification_id>/read/", views.NotificationReadView.as_view(), name="read"),
    path("unsubscribe/<str:token>/", views.UnsubscribePage.as_view(), name="unsubscribe"),
]
