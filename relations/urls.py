"""Pages of the graph, mounted at /graph/."""

from django.urls import path

from relations import pages

app_name = "relations"

urlpatterns = [
    path("", pages.GraphExplorerView.as_view(), name="explorer"),
    path("drawing/", pages.GraphDrawingView.as_view(), name="drawing"),
    path("search/", pages.NodeSearchView.as_view(), name="search"),
]
