"""Site-wide pages and error views: JSON envelopes under /api/, templates elsewhere."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from nexus_site.api.envelope import envelope
from nexus_site.dashboard import panels_for
from nexus_site.exceptions import PayloadTooLargeError


class DashboardView(LoginRequiredMixin, TemplateView):
    """The signed-in home page, with the panels the apps registered (nexus_site.dashboard)."""

    template_name = "dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = panels_for(self.request.user)
        return context


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path in {"/healthz", "/readyz"}


def error_page(
    request: HttpRequest, status: int, code: str, message, template: str, page_message=None
) -> HttpResponse:
    """Return the JSON envelope for API paths, else the HTML page (with ``page_message``)."""
    if wants_json(request):
        return JsonResponse(envelope(code, message), status=status)
    context = {"status": status, "message": page_message or message}
    return render(request, template, context, status=status)


def bad_request_view(request: HttpRequest, exception=None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        error = PayloadTooLargeError()
        return error_page(request, error.status, error.code, error.message, "error.html")
    return error_page(request, 400, "bad_request", _("The request is malformed."), "error.html")


def permission_denied_view(request: HttpRequest, exception=None) -> HttpResponse:
    message = _("You do not have permission to perform this action.")
    return error_page(request, 403, "authorization", message, "error.html")


def not_found_view(request: HttpRequest, exception=None) -> HttpResponse:
    page_message = _("The page you asked for does not exist or has moved.")
    return error_page(request, 404, "not_found", _("Not found."), "error.html", page_message)


def server_error_view(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(envelope("server_error", _("Something went wrong.")), status=500)
    # Rendered without the request, like Django's own: no context processor may touch the
    # database or the session while the site is failing.
    return HttpResponseServerError(loader.get_template("500.html").render())
