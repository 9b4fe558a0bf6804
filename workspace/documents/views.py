"""Server-rendered document pages: the list (with a new-document form and an import upload),
the structured editor of each type, the history with a diff between two versions, the trash
and the share management. Thin, like the API: reads through documents.selectors, writes
through documents.services. The editor saves through the API with the version it loaded."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from nexus_site.definitions.enums import Permission
from nexus_site.exceptions import BaseAppException, NotFoundError, error_text
from relations.access import permits
from workspace.documents import selectors, services
from workspace.documents.diff import diff_content
from workspace.documents.models import DocumentType
from workspace.documents.version_diff import readable_rows


def visible_or_404(load, *args, **kwargs):
    """Return what ``load`` finds; a hidden object is as missing as a deleted one."""
    try:
        return load(*args, **kwargs)
    except NotFoundError as exc:
        raise Http404 from exc


class NewDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE_LENGTH)
    doc_type = forms.ChoiceField(label=_("Type"), choices=DocumentType.choices)
    project = forms.ChoiceField(label=_("Project"), required=False)

    def __init__(self, *args, user, reached=None, **kwargs):
        super().__init__(*args, **kwargs)
        projects = selectors.project_choices(user, reached=reached)
        self.projects = {str(p.pk): p for p in projects}
        self.fields["project"].choices = [("", _("No project"))] + [
            (pk, project.name) for pk, project in self.projects.items()
        ]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Office file (.docx, .xlsx, .pptx)"))


class DocumentListPage(LoginRequiredMixin, ListView):
    """The documents the user may see, a form for a new one and an import upload."""

    template_name = "workspace/documents/list.html"
    context_object_name = "documents"
    paginate_by = 50

    def get_queryset(self):
        self.reached = selectors.containers_reached(self.request.user)
        documents = selectors.documents_visible_to(self.request.user, reached=self.reached)
        return documents.order_by("-updated_at", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            new_form=NewDocumentForm(user=self.request.user, reached=self.reached),
            import_form=ImportForm(),
            import_limit=settings.DOCUMENT_IMPORT_MAX_BYTES,
            **kwargs,
        )
        label_rows(context["documents"])
        return context


def label_rows(documents) -> None:
    """Give each row its editor link and type label, worked out once per page, not per row."""
    placeholder = "00000000-0000-0000-0000-000000000000"
    editor = reverse("documents:editor", args=[placeholder])
    labels = dict(DocumentType.choices)
    for document in documents:
        document.editor_url = editor.replace(placeholder, str(document.id))
        document.type_label = labels.get(document.doc_type, document.doc_type)


class DocumentCreateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = NewDocumentForm(request.POST, user=request.user)
        if not form.is_valid():
            messages.error(request, _("Give the document a title and a type."))
            return HttpResponseRedirect(reverse("documents:list"))
        try:
            document = services.document_create(
                actor=request.user,
                title=form.cleaned_data["title"],
                doc_type=form.cleaned_data["doc_type"],
                project=form.projects.get(form.cleaned_data["project"]),
            )
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("documents:list"))
        return HttpResponseRedirect(reverse("documents:editor", args=[document.pk]))


class DocumentImportPageView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose a .docx, .xlsx or .pptx file to import."))
            return HttpResponseRedirect(reverse("documents:list"))
        upload = form.cleaned_data["file"]
        try:
            services.ensure_import_size(upload.size)
            document = services.document_import(
                actor=request.user, data=upload.read(), filename=upload.name or ""
            )
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("documents:list"))
        messages.success(request, _("Imported “%(title)s”.") % {"title": document.title})
        return HttpResponseRedirect(reverse("documents:editor", args=[document.pk]))


class DocumentPageMixin(LoginRequiredMixin):
    """Load the live document of the URL for the user (404 when they may not see it)."""

    def document(self):
        document = visible_or_404(
            selectors.document_get, self.request.user, self.kwargs["document_id"]
        )
        document.permission = selectors.document_permission(self.request.user, document)
        return document


class DocumentEditorPage(DocumentPageMixin, TemplateView):
    """The structured editor of a document's type; it saves through the API."""

    template_name = "workspace/documents/editor.html"

    def get_context_data(self, **kwargs):
        document = self.document()
        return super().get_context_data(
            document=document,
            can_edit=permits(document.permission, Permission.EDIT),
            can_manage=permits(document.permission, Permission.MANAGE),
            **kwargs,
        )


class HistoryPage(DocumentPageMixin, TemplateView):
    """The versions of a document, and the diff between two of them."""

    template_name = "workspace/documents/history.html"

    def get_context_data(self, **kwargs):
        document = self.document()
        versions = list(selectors.document_versions(document)[:200])
        numbers = {version.number: version for version in versions}
        context = super().get_context_data(
            document=document,
            versions=versions,
            can_edit=permits(document.permission, Permission.EDIT),
            can_manage=permits(document.permission, Permission.MANAGE),
            **kwargs,
        )
        try:
            old = numbers.get(int(self.request.GET.get("from", "")))
            new = numbers.get(int(self.request.GET.get("to", "")))
        except ValueError:
            old = new = None
        if old is None and new is None and len(versions) > 1:
            old, new = versions[1], versions[0]
        if old is not None and new is not None:
            diff = diff_content(document.doc_type, old.content, new.content)
            context |= {"old": old, "new": new, "diff": diff, "diff_rows": readable_rows(diff)}
        return context


class VersionRestorePageView(DocumentPageMixin, View):
    http_method_names = ["post"]

    def post(self, request, document_id, number):
        document = self.document()
        try:
            document = services.document_version_restore(
                actor=request.user, document=document, number=number
            )
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("Version %(old)d restored as version %(new)d.")
                % {"old": number, "new": document.version},
            )
        return HttpResponseRedirect(reverse("documents:history", args=[document_id]))


class DocumentTrashView(DocumentPageMixin, View):
    """Move a document to the trash from its editor."""

    http_method_names = ["post"]

    def post(self, request, document_id):
        document = self.document()
        try:
            services.document_delete(actor=request.user, document=document)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("documents:editor", args=[document_id]))
        messages.success(request, _("“%(title)s” moved to the trash.") % {"title": document.title})
        return HttpResponseRedirect(reverse("documents:list"))


class TrashPage(LoginRequiredMixin, ListView):
    """The trashed documents the user may see, each with a restore button."""

    template_name = "workspace/documents/trash.html"
    context_object_name = "documents"
    paginate_by = 50

    def get_queryset(self):
        return selectors.documents_visible_to(self.request.user, deleted=True).order_by(
            "-deleted_at", "id"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            retention_days=settings.DOCUMENT_TRASH_RETENTION_DAYS, **kwargs
        )


class DocumentRestorePageView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, document_id):
        document = visible_or_404(selectors.document_get, request.user, document_id, deleted=True)
        try:
            services.document_restore(actor=request.user, document=document)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("documents:trash"))
        messages.success(request, _("“%(title)s” restored.") % {"title": document.title})
        return HttpResponseRedirect(reverse("documents:editor", args=[document_id]))


class ShareForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's email"))
    permission = forms.ChoiceField(label=_("May"), choices=Permission.choices)
    expires_at = forms.DateTimeField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class SharesPage(DocumentPageMixin, TemplateView):
    """Who the document is shared with; managers add, change and remove shares here."""

    template_name = "workspace/documents/shares.html"

    def get_context_data(self, **kwargs):
        document = kwargs.pop("document", None) or self.document()
        shares = list(selectors.document_shares(document))
        users = selectors.users_by_id(edge.source_id for edge in shares)
        labels = dict(Permission.choices)
        rows = []
        for edge in shares:
            permission = edge.metadata.get("permission", Permission.EDIT)
            rows.append(
                {
                    "user": users.get(edge.source_id),
                    "permission": permission,
                    "permission_label": labels.get(permission, permission),
                    "expires_at": edge.metadata.get("expires_at"),
                }
            )
        return super().get_context_data(
            document=document,
            shares=rows,
            can_manage=permits(document.permission, Permission.MANAGE),
            form=kwargs.pop("form", None) or ShareForm(),
            **kwargs,
        )

    def post(self, request, document_id):
        document = self.document()
        remove = request.POST.get("remove")
        try:
            if remove:
                user = selectors.user_by_id(remove, active_only=False)
                if user is None:
                    raise NotFoundError()
                services.document_unshare(actor=request.user, document=document, user=user)
                messages.success(request, _("Share removed."))
            else:
                form = ShareForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(document=document, form=form)
                    )
                user = (
                    get_user_model()
                    .objects.filter(email__iexact=form.cleaned_data["email"], is_active=True)
                    .first()
                )
                if user is None:
                    messages.error(request, _("No active user has this email."))
                else:
                    services.document_share(
                        actor=request.user,
                        document=document,
                        user=user,
                        permission=form.cleaned_data["permission"],
                        expires_at=form.cleaned_data["expires_at"],
                    )
                    messages.success(request, _("Shared with %(email)s.") % {"email": user.email})
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
        return HttpResponseRedirect(reverse("documents:shares", args=[document_id]))
