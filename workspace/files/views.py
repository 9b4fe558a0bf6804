"""Server-rendered file pages: the file list with an upload form, the quota bar, downloads,
deletion; a file's page with its public links; and the public download at /f/<token>/ that
needs no login. Thin, like the API: they read through workspace.files.selectors and write
through its services.

The file's page lists every link of the file (address with a copy button, created, expiry,
downloads, state) with a revoke button for the current one. Only the SHA-256 of a link's token is
stored; the token is an HMAC of the link's id under the site's key, so the page can show it again
(links made before tokens were derived show their address only when created)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET
from django.views.generic import ListView, TemplateView

from nexus_site.api.envelope import envelope
from nexus_site.definitions.enums import Permission
from nexus_site.exceptions import BaseAppException, GoneError, NotFoundError
from projects import selectors as project_selectors
from relations.access import permission_on, permits
from relations.nodes import node_of
from workspace.files import selectors, services
from workspace.files.models import PublicLink
from workspace.files.responses import counted_download, download_response
from workspace.files.uploads import guard_upload

LIST_URL = reverse_lazy("files:list")
LINKS_SHOWN = 50
# The session key under which a new link's address waits for the file's page, shown once.
NEW_LINK_KEY = "files_new_public_link"


def visible_or_404(user, file_id):
    """Return the file ``user`` may see; a hidden file is as missing as a deleted one."""
    try:
        return selectors.file_get(user, file_id)
    except NotFoundError as exc:
        raise Http404 from exc


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    project = forms.ModelChoiceField(
        label=_("Project"), queryset=None, required=False, empty_label=_("No project")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = project_selectors.projects_visible_to(user).order_by(
            "name", "id"
        )


class PublicLinkForm(forms.Form):
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    max_downloads = forms.IntegerField(
        label=_("Download limit"), required=False, min_value=1, max_value=2_000_000_000
    )


class FileListPage(LoginRequiredMixin, ListView):
    """The files the user may see, with the upload form and the quota bar."""

    template_name = "workspace/files/file_list.html"
    context_object_name = "files"
    paginate_by = 50

    def get_queryset(self):
        current = PublicLink.objects.filter(revoked_at__isnull=True)
        return (
            selectors.files_visible_to(self.request.user)
            .prefetch_related(Prefetch("public_links", queryset=current, to_attr="current_links"))
            .order_by("-created_at", "id")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            upload_form=UploadForm(user=self.request.user),
            link_form=PublicLinkForm(),
            usage=selectors.usage_of(self.request.user),
            now=timezone.now(),
            **kwargs,
        )


@method_decorator(csrf_exempt, name="dispatch")  # the CSRF check runs in post(), see there
class FileUploadView(LoginRequiredMixin, View):
    """Take an upload from the page's form, then back to the list."""

    http_method_names = ["post"]

    def post(self, request):
        # The size guard must be in place before anything parses the body, CSRF check included.
        try:
            guard_upload(request)
        except BaseAppException as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(LIST_URL)
        return csrf_protect(self.upload)(request)

    def upload(self, request):
        try:
            form = UploadForm(request.POST, request.FILES, user=request.user)
            valid = form.is_valid()
        except BaseAppException as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(LIST_URL)
        if not valid:
            messages.error(request, _("Choose a file to upload."))
            return HttpResponseRedirect(LIST_URL)
        try:
            file = services.file_upload(
                actor=request.user,
                upload=form.cleaned_data["file"],
                project=form.cleaned_data["project"],
            )
        except BaseAppException as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Uploaded %(name)s.") % {"name": file.name})
        return HttpResponseRedirect(LIST_URL)


class FileDownloadPage(LoginRequiredMixin, View):
    """Stream a file the user may see."""

    http_method_names = ["get"]

    def get(self, request, file_id):
        file = visible_or_404(request.user, file_id)
        try:
            return counted_download(request, file)
        except GoneError as exc:
            return public_error(request, exc)


class FileDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, file_id):
        file = visible_or_404(request.user, file_id)
        try:
            services.file_delete(actor=request.user, file=file)
        except BaseAppException as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Deleted %(name)s.") % {"name": file.name})
        return HttpResponseRedirect(LIST_URL)


class FilePage(LoginRequiredMixin, TemplateView):
    """One file: what it is, and for those who manage it its public links, each address with a
    copy button, and a form for a new one; a link just created is pointed out."""

    template_name = "workspace/files/file_detail.html"

    def get_context_data(self, **kwargs):
        file = visible_or_404(self.request.user, kwargs["file_id"])
        level = permission_on(self.request.user, node_of(file))
        can_manage = level is not None and permits(level, Permission.MANAGE)
        links, new_link = [], None
        if can_manage:
            links = selectors.public_links_of(file, limit=LINKS_SHOWN)
            waiting = self.request.session.get(NEW_LINK_KEY) or {}
            if waiting.get("file") == str(file.pk):
                new_link = self.request.session.pop(NEW_LINK_KEY)
        now = timezone.now()
        for link in links:
            link.state = link_state(link, now)
            token = services.public_link_token(link)
            link.address = (
                self.request.build_absolute_uri(
                    reverse("public-files:download", kwargs={"token": token})
                )
                if token
                else ""
            )
        return super().get_context_data(
            file=file,
            can_manage=can_manage,
            links=links,
            new_link=new_link,
            link_form=PublicLinkForm(),
            **kwargs,
        )


def link_state(link: PublicLink, now) -> str:
    """Return why a link does or does not let a download through now."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    if link.max_downloads is not None and link.download_count >= link.max_downloads:
        return "used_up"
    return "active"


class PublicLinkCreateView(LoginRequiredMixin, View):
    """Create a public link, then show it on the file's page, pointed out with its address."""

    http_method_names = ["post"]

    def post(self, request, file_id):
        file = visible_or_404(request.user, file_id)
        form = PublicLinkForm(request.POST)
        page = reverse("files:detail", args=[file.pk])
        if not form.is_valid():
            messages.error(request, _("Check the expiry time and the download limit."))
            return HttpResponseRedirect(page)
        try:
            created = services.public_link_create(
                actor=request.user,
                file=file,
                expires_at=form.cleaned_data["expires_at"],
                max_downloads=form.cleaned_data["max_downloads"],
            )
        except BaseAppException as exc:
            messages.error(request, exc.message)
        else:
            url = request.build_absolute_uri(
                reverse("public-files:download", kwargs={"token": created.token})
            )
            request.session[NEW_LINK_KEY] = {
                "file": str(file.pk),
                "link": str(created.link.pk),
                "url": url,
            }
            messages.success(request, _("Public link created for %(name)s.") % {"name": file.name})
        return HttpResponseRedirect(page)


class PublicLinkRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, file_id):
        file = visible_or_404(request.user, file_id)
        try:
            services.public_link_revoke(actor=request.user, file=file)
        except BaseAppException as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The public link is revoked."))
        return HttpResponseRedirect(reverse("files:detail", args=[file.pk]))


def wants_json(request: HttpRequest) -> bool:
    """Return whether the client prefers JSON to HTML (browsers ask for HTML first)."""
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def public_error(request: HttpRequest, exc: BaseAppException) -> HttpResponse:
    """Answer a refused public download: the JSON envelope, or the site's error page."""
    if wants_json(request):
        return JsonResponse(envelope(exc.code, exc.message, exc.details), status=exc.status)
    context = {"status": exc.status, "message": exc.message}
    if isinstance(exc, GoneError):
        context["title"] = _("This link is no longer available")
    else:
        context["message"] = _("The page you asked for does not exist or has moved.")
    return render(request, "error.html", context, status=exc.status)


@require_GET
def public_download(request: HttpRequest, token: str) -> HttpResponse:
    """Stream the file behind a public link while the link is valid; no login needed."""
    try:
        file = services.public_link_download(token=token)
        return download_response(file)
    except (NotFoundError, GoneError) as exc:
        return public_error(request, exc)
