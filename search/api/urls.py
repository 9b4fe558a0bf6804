"""The search API, mounted at /api/v1/: /api/v1/search/."""

from django.urls import path

from search.api import views

app_name = "search-api"

urlpatterns = [path("search/", views.SearchView.as_view(), name="search")]
