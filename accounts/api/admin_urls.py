"""Staff user management, mounted at /api/v1/admin/ (X-Source: admin and a staff user)."""

from django.urls import path

from accounts.api import views

app_name = "accounts-admin-api"

urlpatterns = [
    path("users/", views.AdminUserListView.as_view(), name="user-list"),
    path("users/<uuid:user_id>/", views.AdminUserDetailView.as_view(), name="user-detail"),
    path(
        "users/<uuid:user_id>/unlock/",
        views.AdminUserUnlockView.as_view(),
        name="user-unlock",
    ),
]
