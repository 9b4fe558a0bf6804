from django.urls import path

from nexus_site.events.api.views import EventListView

app_name = "events"

urlpatterns = [
    path("events/", EventListView.as_view(), name="event-list"),
]
