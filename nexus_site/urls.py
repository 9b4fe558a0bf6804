from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.views import admin_login
from nexus_site import health, http_metrics
from nexus_site.api.schema import SwaggerDocsView
from nexus_site.views import DashboardView

api_v1 = [
    path("auth/", include("accounts.api.urls")),
    path("admin/", include("accounts.api.admin_urls")),
    path("relations/", include("relations.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("workspace.api.urls")),
    path("", include("patterns.api.urls")),
    path("", include("nexus_site.events.api.urls")),
    path("", include("comments.api.urls")),
    path("", include("search.api.urls")),
    path("notifications/", include("notifications.api.urls")),
    path("webhooks/", include("webhooks.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", http_metrics.metrics_view, name="metrics"),
    # The admin's own login, behind the login throttles (accounts.views.admin_login).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("graph/", include("relations.urls")),
    path("projects/", include("projects.urls")),
    path("documents/", include("workspace.documents.urls")),
    path("files/", include("workspace.files.urls")),
    path("ai/", include("workspace.ai_usage.urls")),
    path("mail/", include("workspace.mail.urls")),
    path("chat/", include("workspace.chat.urls")),
    path("comments/", include("comments.urls")),
    path("search/", include("search.urls")),
    path("notifications/", include("notifications.urls")),
    path("task-attachments/", include("workspace.task_attachments.urls")),
    path("patterns/", include("patterns.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("hooks/in/", include("webhooks.incoming_urls")),
    path("f/", include("workspace.files.public_urls")),
    path("", DashboardView.as_view(), name="dashboard"),
]

handler400 = "nexus_site.views.bad_request_view"
handler403 = "nexus_site.views.permission_denied_view"
handler404 = "nexus_site.views.not_found_view"
handler500 = "nexus_site.outages.server_error_view"  # an outage is a 503, not a 500
